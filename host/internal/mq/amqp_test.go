package mq

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/shiyu-coder/kronos/internal/brokertest"
)

// testQueue declares an auto-deleted direct exchange and an exclusive queue
// bound to it with key, and returns the exchange name and the deliveries.
func testQueue(t *testing.T, u, key string) (string, <-chan amqp.Delivery) {
	t.Helper()
	conn, err := amqp.Dial(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ex := testID()
	if err := ch.ExchangeDeclare(ex, "direct", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := amqp.Dial(u); err == nil {
			if ch, err := c.Channel(); err == nil {
				_ = ch.ExchangeDelete(ex, false, false)
			}
			_ = c.Close()
		}
	})
	q, err := ch.QueueDeclare(ex+"-q", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, key, ex, false, nil); err != nil {
		t.Fatal(err)
	}
	d, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ex, d
}

func receive(t *testing.T, d <-chan amqp.Delivery) amqp.Delivery {
	t.Helper()
	select {
	case m := <-d:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery within 5s")
	}
	panic("unreachable")
}

func TestAMQPPublish(t *testing.T) {
	u := brokertest.AMQP(t)
	for _, tc := range []struct {
		name       string
		inConfig   bool
		persistent bool
	}{
		{"exchange in message, transient", false, false},
		{"exchange in config, persistent", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, d := testQueue(t, u, "orders.created")
			cfg := ConnConfig{URL: u, Persistent: tc.persistent}
			m := Message{Topic: "orders.created", Payload: []byte("hello"), Headers: testHeaders}
			if tc.inConfig {
				cfg.Exchange = ex
			} else {
				m.Exchange = ex
			}
			c := mustOpen(t, cfg)
			if _, err := c.Publish(testCtx(t), m); err != nil {
				t.Fatal(err)
			}
			got := receive(t, d)
			if string(got.Body) != "hello" || got.Exchange != ex || got.RoutingKey != "orders.created" {
				t.Errorf("got body %q exchange %q key %q", got.Body, got.Exchange, got.RoutingKey)
			}
			if len(got.Headers) != len(testHeaders) {
				t.Errorf("headers %v, want %v", got.Headers, testHeaders)
			}
			for k, v := range testHeaders {
				if got.Headers[k] != v {
					t.Errorf("header %s = %v, want %q", k, got.Headers[k], v)
				}
			}
			want := amqp.Transient
			if tc.persistent {
				want = amqp.Persistent
			}
			if got.DeliveryMode != want {
				t.Errorf("delivery mode %d, want %d", got.DeliveryMode, want)
			}
			select {
			case extra := <-d:
				t.Errorf("a second delivery: %q", extra.Body)
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
}

func TestAMQPMissingExchange(t *testing.T) {
	u := brokertest.AMQP(t)
	c := mustOpen(t, ConnConfig{URL: u})
	ex := testID()
	_, err := c.Publish(testCtx(t), Message{Exchange: ex, Topic: "k", Payload: []byte("x")})
	if err == nil {
		t.Fatal("publish to a missing exchange succeeded")
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("a missing exchange is not ErrInvalid: %v", err)
	}
	for _, want := range []string{`publish to rabbitmq amqp://guest:xxxxx@`, `exchange "` + ex + `" routing key "k"`, "NOT_FOUND"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !c.(breaker).broken() {
		t.Error("the conn is not marked broken after its channel closed")
	}
}

func TestAMQPBadPassword(t *testing.T) {
	u, err := url.Parse(brokertest.AMQP(t))
	if err != nil {
		t.Fatal(err)
	}
	secret := "wrong-" + testID()
	_, err = Open(testCtx(t), ConnConfig{URL: u.String(), Password: secret})
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "connect to rabbitmq amqp://") || !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("error %q", err)
	}
}
