package mq

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/internal/brokertest"
)

// fakeConn counts publishes and can be broken.
type fakeConn struct {
	id        int
	publishes atomic.Int32
	isBroken  atomic.Bool
	closed    atomic.Bool
}

func (f *fakeConn) Publish(context.Context, Message) (Receipt, error) {
	if f.closed.Load() {
		return Receipt{}, errors.New("publish on a closed fakeConn")
	}
	f.publishes.Add(1)
	if f.isBroken.Load() {
		return Receipt{}, errors.New("connection reset")
	}
	return Receipt{}, nil
}
func (f *fakeConn) Close() error { f.closed.Store(true); return nil }
func (f *fakeConn) broken() bool { return f.isBroken.Load() }

type fakeOpener struct {
	mu    sync.Mutex
	conns []*fakeConn
	fail  error
}

func (o *fakeOpener) open(context.Context, ConnConfig) (Conn, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return nil, o.fail
	}
	c := &fakeConn{id: len(o.conns)}
	o.conns = append(o.conns, c)
	return c, nil
}

func (o *fakeOpener) opened() []*fakeConn {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*fakeConn(nil), o.conns...)
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestPool(t *testing.T) (*Pool, *fakeOpener, *fakeClock) {
	o := &fakeOpener{}
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	p := NewPool(PoolConfig{IdleTimeout: time.Hour, Open: o.open, Now: clk.Now})
	t.Cleanup(func() { _ = p.Close() })
	return p, o, clk
}

func TestPoolReusesPerNamespaceNameAndConfig(t *testing.T) {
	p, o, _ := newTestPool(t)
	ctx := t.Context()
	a := ConnConfig{URL: "nats://a"}
	b := ConnConfig{URL: "nats://b"}
	for _, call := range []struct {
		ns, name string
		cfg      ConnConfig
	}{
		{"team-a", "events", a},
		{"team-a", "events", a},
		{"team-a", "events", a},
		{"team-b", "events", a}, // another namespace
		{"team-a", "audit", a},  // another name
		{"team-a", "events", b}, // the config changed
	} {
		if _, err := p.Publish(ctx, call.ns, call.name, call.cfg, Message{Topic: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	conns := o.opened()
	if len(conns) != 4 || conns[0].publishes.Load() != 3 {
		t.Errorf("opened %d conns, first used %d times; want 4 and 3", len(conns), conns[0].publishes.Load())
	}
}

func TestPoolConcurrentOpensOnce(t *testing.T) {
	p, o, _ := newTestPool(t)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := p.Publish(t.Context(), "ns", "c", ConnConfig{URL: "x"}, Message{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if conns := o.opened(); len(conns) != 1 || conns[0].publishes.Load() != 50 {
		t.Errorf("opened %d conns; want 1 with 50 publishes", len(conns))
	}
}

func TestPoolReopensBrokenConn(t *testing.T) {
	p, o, _ := newTestPool(t)
	ctx := t.Context()
	cfg := ConnConfig{URL: "x"}
	if _, err := p.Publish(ctx, "ns", "c", cfg, Message{}); err != nil {
		t.Fatal(err)
	}
	first := o.opened()[0]
	first.isBroken.Store(true)
	if _, err := p.Publish(ctx, "ns", "c", cfg, Message{}); err == nil {
		t.Fatal("publish on a broken conn succeeded")
	}
	if !first.closed.Load() {
		t.Error("the broken conn was not closed")
	}
	if _, err := p.Publish(ctx, "ns", "c", cfg, Message{}); err != nil {
		t.Fatal(err)
	}
	if n := len(o.opened()); n != 2 {
		t.Errorf("opened %d conns, want 2", n)
	}
}

func TestPoolRetriesFailedOpen(t *testing.T) {
	p, o, _ := newTestPool(t)
	o.fail = errors.New("connection refused")
	if _, err := p.Publish(t.Context(), "ns", "c", ConnConfig{}, Message{}); err == nil {
		t.Fatal("publish succeeded though open failed")
	}
	if p.Len() != 0 {
		t.Errorf("a failed open stays pooled")
	}
	o.fail = nil
	if _, err := p.Publish(t.Context(), "ns", "c", ConnConfig{}, Message{}); err != nil {
		t.Fatal(err)
	}
}

func TestPoolClosesIdle(t *testing.T) {
	p, o, clk := newTestPool(t)
	ctx := t.Context()
	if _, err := p.Publish(ctx, "ns", "old", ConnConfig{}, Message{}); err != nil {
		t.Fatal(err)
	}
	clk.Add(40 * time.Minute)
	if _, err := p.Publish(ctx, "ns", "recent", ConnConfig{}, Message{}); err != nil {
		t.Fatal(err)
	}
	clk.Add(30 * time.Minute)
	p.CloseIdle()
	conns := o.opened()
	if !conns[0].closed.Load() || conns[1].closed.Load() || p.Len() != 1 {
		t.Errorf("after 70m and 30m idle: closed %v %v, %d pooled; want true false 1",
			conns[0].closed.Load(), conns[1].closed.Load(), p.Len())
	}
}

func TestPoolClose(t *testing.T) {
	p, o, _ := newTestPool(t)
	if _, err := p.Publish(t.Context(), "ns", "c", ConnConfig{}, Message{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !o.opened()[0].closed.Load() {
		t.Error("Close left a conn open")
	}
	if _, err := p.Publish(t.Context(), "ns", "c", ConnConfig{}, Message{}); !errors.Is(err, ErrClosed) {
		t.Errorf("publish after Close: %v, want ErrClosed", err)
	}
}

// TestPoolAMQPReopensAfterChannelClose is the real case of a broken conn: a
// publish to a missing exchange closes the AMQP channel, and the next
// publish goes out on a new connection.
func TestPoolAMQPReopensAfterChannelClose(t *testing.T) {
	u := brokertest.AMQP(t)
	ex, _, d := brokertest.AMQPQueue(t, u, "direct", "k")
	p := NewPool(PoolConfig{})
	t.Cleanup(func() { _ = p.Close() })
	cfg := ConnConfig{URL: u}
	if _, err := p.Publish(testCtx(t), "ns", "rabbit", cfg, Message{Exchange: brokertest.ID(), Topic: "k"}); err == nil {
		t.Fatal("publish to a missing exchange succeeded")
	}
	if _, err := p.Publish(testCtx(t), "ns", "rabbit", cfg, Message{Exchange: ex, Topic: "k", Payload: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	if got := brokertest.AMQPReceive(t, d); string(got.Body) != "after" {
		t.Errorf("got %q", got.Body)
	}
}
