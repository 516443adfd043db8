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
			ex, _, d := brokertest.AMQPQueue(t, u, "direct", "orders.created")
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
			got := brokertest.AMQPReceive(t, d)
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
	ex := brokertest.ID()
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
	secret := "wrong-" + brokertest.ID()
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
