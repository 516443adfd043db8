package mq

import (
	"context"
	"testing"

	"github.com/shiyu-coder/kronos/internal/brokertest"
	"github.com/shiyu-coder/kronos/internal/redistest"
)

// BenchmarkPoolPublish is one publish on a warm pooled connection, outside
// Wasm: the broker's own round trip, the baseline of the mq executor's
// per-execution cost (host BenchmarkMQExecutionWarm).
func BenchmarkPoolPublish(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cfg   func(b *testing.B) ConnConfig
		topic func(b *testing.B) string
	}{
		{"redis", func(b *testing.B) ConnConfig { return ConnConfig{URL: redistest.URL(b), MaxLen: 1000} }, func(b *testing.B) string {
			stream := redistest.Prefix() + "bench"
			rc := redistest.Client(b)
			b.Cleanup(func() { rc.Del(context.Background(), stream) })
			return stream
		}},
		{"nats", func(b *testing.B) ConnConfig {
			return ConnConfig{URL: brokertest.NATS(b)}
		}, func(*testing.B) string { return brokertest.ID() + ".bench" }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := NewPool(PoolConfig{})
			b.Cleanup(func() { _ = p.Close() })
			cfg, m := bc.cfg(b), Message{Topic: bc.topic(b), Payload: []byte(`{"run":"0193a5f0","team":"data"}`)}
			if _, err := p.Publish(b.Context(), "default", "bench", cfg, m); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Publish(b.Context(), "default", "bench", cfg, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
