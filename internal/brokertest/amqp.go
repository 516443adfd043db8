package brokertest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ID returns a name no other test uses, for a stream, subject, queue,
// exchange or client ID.
func ID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "kronos-test-" + hex.EncodeToString(b)
}

// AMQPQueue declares on the RabbitMQ at u an exclusive queue of the test's
// own, bound with key to a new exchange of kind ("direct", "topic"), and
// consumes it; the queue goes with the test's connection and the exchange
// is deleted at cleanup. With kind "" the queue is on the default exchange,
// where its name is the routing key, and key is ignored. It returns the
// exchange ("" for the default one), the queue and the deliveries.
func AMQPQueue(t testing.TB, u, kind, key string) (exchange, queue string, deliveries <-chan amqp.Delivery) {
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
	queue = ID()
	if kind != "" {
		exchange = queue
		if err := ch.ExchangeDeclare(exchange, kind, false, true, false, false, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			// The test's connection may be closed already: a fresh one.
			if c, err := amqp.Dial(u); err == nil {
				if ch, err := c.Channel(); err == nil {
					_ = ch.ExchangeDelete(exchange, false, false)
				}
				_ = c.Close()
			}
		})
		queue += "-q"
	}
	if _, err := ch.QueueDeclare(queue, false, true, true, false, nil); err != nil {
		t.Fatal(err)
	}
	if kind != "" {
		if err := ch.QueueBind(queue, key, exchange, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	deliveries, err = ch.Consume(queue, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return exchange, queue, deliveries
}

// AMQPReceive returns the next delivery, failing the test when none comes
// within 10 s.
func AMQPReceive(t testing.TB, deliveries <-chan amqp.Delivery) amqp.Delivery {
	t.Helper()
	select {
	case d := <-deliveries:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no AMQP delivery within 10s")
		return amqp.Delivery{}
	}
}
