package mq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

// brokerURL returns the test broker's URL from env (or def) once its port
// accepts a connection. Without one the test skips, except under CI=true.
func brokerURL(t testing.TB, env, def string) string {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("broker at %s: %v (CI=true: a missing service is a failure)", u.Redacted(), err)
		}
		t.Skipf("no broker at %s (%v); set %s", u.Redacted(), err, env)
	}
	_ = c.Close()
	return raw
}

func natsURL(t *testing.T) string {
	return brokerURL(t, "KRONOS_TEST_NATS_URL", "nats://127.0.0.1:4222")
}

func amqpURL(t *testing.T) string {
	return brokerURL(t, "KRONOS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
}

func mqttURL(t *testing.T) string {
	return brokerURL(t, "KRONOS_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
}

// testID returns a name prefix no other test uses.
func testID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "kronos-test-" + hex.EncodeToString(b)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustOpen opens cfg and closes the Conn with the test.
func mustOpen(t *testing.T, cfg ConnConfig) Conn {
	t.Helper()
	c, err := Open(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var testHeaders = map[string]string{"Trace-Id": "abc-123", "x-kronos-task": "nightly report"}
