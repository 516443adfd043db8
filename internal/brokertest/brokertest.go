// Package brokertest gives tests the machine's message brokers: NATS
// (KRONOS_TEST_NATS_URL, or nats://127.0.0.1:4222), RabbitMQ
// (KRONOS_TEST_AMQP_URL, or amqp://guest:guest@127.0.0.1:5672/) and MQTT
// (KRONOS_TEST_MQTT_URL, or mqtt://127.0.0.1:1883). A broker whose port
// does not accept a connection skips the test with a message, except under
// CI=true, where a missing service is a failure. Redis is internal/redistest's.
package brokertest

import (
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

// URL returns the broker URL of env (or def) once its port accepts a
// connection.
func URL(t testing.TB, env, def string) string {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(t.Context(), "tcp", u.Host)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("broker at %s: %v (CI=true: a missing service is a failure)", u.Redacted(), err)
		}
		t.Skipf("no broker at %s (%v); set %s", u.Redacted(), err, env)
	}
	_ = c.Close()
	return raw
}

// NATS returns the test NATS server's URL.
func NATS(t testing.TB) string {
	t.Helper()
	return URL(t, "KRONOS_TEST_NATS_URL", "nats://127.0.0.1:4222")
}

// AMQP returns the test RabbitMQ's URL, credentials included.
func AMQP(t testing.TB) string {
	t.Helper()
	return URL(t, "KRONOS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
}

// MQTT returns the test MQTT broker's URL.
func MQTT(t testing.TB) string {
	t.Helper()
	return URL(t, "KRONOS_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
}
