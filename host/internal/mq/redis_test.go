package mq

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/internal/redistest"
)

func TestRedisPublish(t *testing.T) {
	ctx := testCtx(t)
	rc := redistest.Client(t)
	stream := redistest.Prefix() + "stream"
	t.Cleanup(func() { rc.Del(context.Background(), stream) })
	c := mustOpen(t, ConnConfig{URL: redistest.URL(t)})

	r, err := c.Publish(ctx, Message{Topic: stream, Payload: []byte(`{"n":1}`), Key: "order-7", Headers: testHeaders})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rc.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("stream has %d entries, want 1", len(got))
	}
	if got[0].ID != r.ID {
		t.Errorf("entry ID %s, receipt %q", got[0].ID, r.ID)
	}
	want := map[string]any{"payload": `{"n":1}`, "key": "order-7", "h:Trace-Id": "abc-123", "h:x-kronos-task": "nightly report"}
	if !reflect.DeepEqual(got[0].Values, want) {
		t.Errorf("fields %v, want %v", got[0].Values, want)
	}
}

func TestRedisMaxLen(t *testing.T) {
	ctx := testCtx(t)
	rc := redistest.Client(t)
	stream := redistest.Prefix() + "capped"
	t.Cleanup(func() { rc.Del(context.Background(), stream) })
	c := mustOpen(t, ConnConfig{URL: redistest.URL(t), MaxLen: 10})
	for i := range 300 {
		if _, err := c.Publish(ctx, Message{Topic: stream, Payload: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// MAXLEN ~ trims whole radix-tree nodes (100 entries by default).
	if n := rc.XLen(ctx, stream).Val(); n >= 300 || n < 10 {
		t.Errorf("XLEN %d after 300 XADDs with MAXLEN ~ 10", n)
	}
}

func TestRedisBadPassword(t *testing.T) {
	u, err := url.Parse(redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	// An unknown ACL user fails on any Redis 6+, with or without requirepass.
	_, err = Open(testCtx(t), ConnConfig{URL: u.String(), Username: "kronos-nosuchuser", Password: "hunter2"})
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
	u.User = url.UserPassword("kronos-nosuchuser", "xxxxx")
	want := "connect to redis " + u.String() + ": authentication failed: WRONGPASS"
	if strings.Contains(err.Error(), "hunter2") || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q\nwant prefix %q", err, want)
	}
}
