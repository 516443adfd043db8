package host

import (
	"context"
	"errors"
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

// MQClientIDOf is the MQTT client ID a connection of the namespace gets on
// this runtime's node.
func MQClientIDOf(ctx context.Context, rt *Runtime, namespace, name string) (string, error) {
	_, cfg, bad := rt.mqConnConfig(ctx, namespace, name, NetworkPolicy{})
	if bad != nil {
		return "", errors.New(bad.Message)
	}
	return cfg.ClientID, nil
}
