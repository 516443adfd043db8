package mq

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shiyu-coder/kronos/internal/brokertest"
	"github.com/shiyu-coder/kronos/internal/redistest"
)

// TestConcurrentPublish publishes from many goroutines on one Conn of each
// broker; the subscriber gets every payload once.
func TestConcurrentPublish(t *testing.T) {
	const n = 20
	for _, tc := range []struct {
		name string
		// setup returns the config, the message template and a function
		// that returns the payloads received once n arrived (or time ran out).
		setup func(t *testing.T) (ConnConfig, Message, func() []string)
	}{
		{"redis", func(t *testing.T) (ConnConfig, Message, func() []string) {
			rc := redistest.Client(t)
			stream := redistest.Prefix() + "stream"
			t.Cleanup(func() { rc.Del(context.Background(), stream) })
			return ConnConfig{URL: redistest.URL(t)}, Message{Topic: stream}, func() []string {
				var got []string
				for _, e := range rc.XRange(t.Context(), stream, "-", "+").Val() {
					got = append(got, e.Values["payload"].(string))
				}
				return got
			}
		}},
		{"nats", func(t *testing.T) (ConnConfig, Message, func() []string) {
			u := brokertest.NATS(t)
			nc, err := nats.Connect(u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(nc.Close)
			subject := brokertest.ID()
			s, err := nc.SubscribeSync(subject)
			if err != nil {
				t.Fatal(err)
			}
			_ = nc.Flush()
			return ConnConfig{URL: u}, Message{Topic: subject}, func() []string {
				var got []string
				for range n {
					m, err := s.NextMsg(5 * time.Second)
					if err != nil {
						break
					}
					got = append(got, string(m.Data))
				}
				return got
			}
		}},
		{"jetstream", func(t *testing.T) (ConnConfig, Message, func() []string) {
			u := brokertest.NATS(t)
			_, st, id := testStream(t, u)
			return ConnConfig{URL: u, JetStream: true}, Message{Topic: id + ".x"}, func() []string {
				var got []string
				for seq := uint64(1); seq <= n; seq++ {
					m, err := st.GetMsg(t.Context(), seq)
					if err != nil {
						break
					}
					got = append(got, string(m.Data))
				}
				return got
			}
		}},
		{"rabbitmq", func(t *testing.T) (ConnConfig, Message, func() []string) {
			u := brokertest.AMQP(t)
			ex, _, d := brokertest.AMQPQueue(t, u, "direct", "k")
			return ConnConfig{URL: u}, Message{Exchange: ex, Topic: "k"}, func() []string {
				var got []string
				for range n {
					select {
					case m := <-d:
						got = append(got, string(m.Body))
					case <-time.After(5 * time.Second):
						return got
					}
				}
				return got
			}
		}},
		{"mqtt", func(t *testing.T) (ConnConfig, Message, func() []string) {
			u := brokertest.MQTT(t)
			topic := brokertest.ID()
			msgs := mqttSubscribe(t, u, topic)
			return ConnConfig{URL: u}, Message{Topic: topic, QoS: 1}, func() []string {
				var got []string
				for range n {
					select {
					case m := <-msgs:
						got = append(got, string(m.Payload()))
					case <-time.After(5 * time.Second):
						return got
					}
				}
				return got
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, tmpl, received := tc.setup(t)
			c := mustOpen(t, cfg)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					m := tmpl
					m.Payload = fmt.Appendf(nil, "m%02d", i)
					if _, err := c.Publish(testCtx(t), m); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			got := received()
			seen := map[string]bool{}
			for _, p := range got {
				seen[p] = true
			}
			if len(got) != n || len(seen) != n {
				t.Errorf("received %d messages (%d distinct), want %d: %v", len(got), len(seen), n, got)
			}
		})
	}
}
