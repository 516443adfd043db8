package mq

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/shiyu-coder/kronos/internal/brokertest"
	"github.com/shiyu-coder/kronos/internal/redistest"
)

// TestDialIsUsed checks that every broker connects through ConnConfig.Dial
// and that a Dial error stays reachable with errors.Is (the host maps a
// network policy refusal to its own error kind).
func TestDialIsUsed(t *testing.T) {
	brokers := []struct {
		name string
		url  func(t testing.TB) string
	}{
		{"redis", redistest.URL},
		{"nats", brokertest.NATS},
		{"rabbitmq", brokertest.AMQP},
		{"mqtt", brokertest.MQTT},
	}
	errRefused := errors.New("refused by the test dialer")
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			u := b.url(t)
			var dials atomic.Int32
			ok := func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			}
			c := mustOpen(t, ConnConfig{URL: u, Dial: ok})
			if dials.Load() == 0 {
				t.Fatalf("connected without calling Dial")
			}
			_ = c

			refuse := func(context.Context, string, string) (net.Conn, error) { return nil, errRefused }
			_, err := Open(testCtx(t), ConnConfig{URL: u, Dial: refuse})
			var me *Error
			if !errors.Is(err, errRefused) || !errors.As(err, &me) || me.Op != "connect" {
				t.Fatalf("open with a refusing Dial: %v (want it to wrap the Dial error)", err)
			}
		})
	}
}

// TestPoolKeysByDialKey checks that a changed DialKey opens a new Conn.
func TestPoolKeysByDialKey(t *testing.T) {
	a, b := ConnConfig{URL: "redis://x", DialKey: "policy-a"}, ConnConfig{URL: "redis://x", DialKey: "policy-b"}
	if configHash(a) == configHash(b) {
		t.Fatal("configs that differ in DialKey hash alike")
	}
	a.Dial = func(context.Context, string, string) (net.Conn, error) { return nil, nil }
	if configHash(a) != configHash(ConnConfig{URL: "redis://x", DialKey: "policy-a"}) {
		t.Fatal("Dial changed the hash")
	}
}
