package host

import (
	"context"
	"testing"
)

// BenchmarkPoolCheckout is the cost of taking an idle instance from a pool
// and giving it back.
func BenchmarkPoolCheckout(b *testing.B) {
	p := &pool{maxIdle: 1}
	p.idle = append(p.idle, &instance{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		inst, _ := p.get(ctx, nil)
		p.put(ctx, inst)
	}
}

// MQOpens counts the broker connections the runtime's mq_publish pool
// has opened.
func MQOpens(rt *Runtime) int64 { return rt.mqOpens.Load() }

// MQPoolLen is the number of pooled broker connections.
func MQPoolLen(rt *Runtime) int { return rt.mq.Len() }
