package mq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shiyu-coder/kronos/internal/brokertest"
)

func checkNATSMsg(t *testing.T, msg *nats.Msg, payload string) {
	t.Helper()
	if string(msg.Data) != payload {
		t.Errorf("payload %q, want %q", msg.Data, payload)
	}
	for k, v := range testHeaders {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q (headers %v)", k, got, v, msg.Header)
		}
	}
	if len(msg.Header) != len(testHeaders) {
		t.Errorf("headers %v, want %v", msg.Header, testHeaders)
	}
}

func TestNATSPublish(t *testing.T) {
	ctx := testCtx(t)
	u := brokertest.NATS(t)
	sub, err := nats.Connect(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)
	subject := brokertest.ID() + ".orders"
	s, err := sub.SubscribeSync(subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Flush(); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, ConnConfig{URL: u})
	r, err := c.Publish(ctx, Message{Topic: subject, Payload: []byte("hello"), Headers: testHeaders})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "" {
		t.Errorf("core NATS receipt %q, want none", r.ID)
	}
	msg, err := s.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkNATSMsg(t, msg, "hello")
	if extra, err := s.NextMsg(100 * time.Millisecond); err == nil {
		t.Errorf("a second message: %q", extra.Data)
	}
}

// testStream creates a stream over "<id>.>" and deletes it with the test.
func testStream(t *testing.T, u string) (jetstream.JetStream, jetstream.Stream, string) {
	t.Helper()
	ctx := testCtx(t)
	nc, err := nats.Connect(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	id := brokertest.ID()
	name := strings.ReplaceAll(id, "-", "_")
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{id + ".>"}, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Skipf("JetStream not enabled on %s? %v", u, err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })
	return js, st, id
}

func TestJetStreamPublish(t *testing.T) {
	ctx := testCtx(t)
	u := brokertest.NATS(t)
	_, st, id := testStream(t, u)
	c := mustOpen(t, ConnConfig{URL: u, JetStream: true})
	r, err := c.Publish(ctx, Message{Topic: id + ".orders", Payload: []byte("hello"), Headers: testHeaders})
	if err != nil {
		t.Fatal(err)
	}
	if want := st.CachedInfo().Config.Name + ":1"; r.ID != want {
		t.Errorf("receipt %q, want %q", r.ID, want)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(2, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []jetstream.Msg
	for m := range batch.Messages() {
		got = append(got, m)
	}
	if len(got) != 1 {
		t.Fatalf("stream has %d messages, want 1", len(got))
	}
	checkNATSMsg(t, &nats.Msg{Data: got[0].Data(), Header: got[0].Headers()}, "hello")
}

func TestJetStreamNoStream(t *testing.T) {
	u := brokertest.NATS(t)
	c := mustOpen(t, ConnConfig{URL: u, JetStream: true, Timeout: 2 * time.Second})
	subject := brokertest.ID() + ".nowhere"
	_, err := c.Publish(testCtx(t), Message{Topic: subject, Payload: []byte("x")})
	if !errors.Is(err, ErrNoAck) {
		t.Fatalf("got %v, want ErrNoAck", err)
	}
	want := fmt.Sprintf("publish to jetstream %s subject %q: no stream covers the subject", u, subject)
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q\nwant prefix %q", err, want)
	}
}
