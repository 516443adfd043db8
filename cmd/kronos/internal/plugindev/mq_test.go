package plugindev

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/host"
)

func TestMQConnectionsFromFlags(t *testing.T) {
	var m MQConnections
	for _, spec := range []string{"events=amqp://guest:s3cret@127.0.0.1:5672/", "ticks=nats://127.0.0.1:4222"} {
		if err := m.AddFlag(spec); err != nil {
			t.Fatal(err)
		}
	}
	conn, password, err := m.MQConnection(t.Context(), "team", "events")
	if err != nil {
		t.Fatal(err)
	}
	if conn.URL != "amqp://guest@127.0.0.1:5672/" || password != "s3cret" || conn.Namespace != "team" || conn.Broker() != "rabbitmq" {
		t.Errorf("events = %+v with password %q; want the password taken out of the URL, in the call's namespace", conn, password)
	}
	if _, password, err := m.MQConnection(t.Context(), "team", "ticks"); err != nil || password != "" {
		t.Errorf("ticks: password %q, err %v; want none", password, err)
	}

	_, _, err = m.MQConnection(t.Context(), "team", "orders")
	var missing *host.MissingMQConnectionError
	if !errors.Is(err, store.ErrNotFound) || !errors.As(err, &missing) ||
		!strings.Contains(err.Error(), "pass --mq-connection orders=URL") || !strings.Contains(err.Error(), "this run has events, ticks") {
		t.Errorf("a missing connection: %v; want not found, with the flag to pass and the names given", err)
	}

	for spec, want := range map[string]string{
		"events":                       "write it as NAME=URL",
		"=nats://127.0.0.1:4222":       "write it as NAME=URL",
		"Bad=nats://127.0.0.1:4222":    "name:",
		"x=http://127.0.0.1/":          `url: has scheme "http"`,
		"events=nats://127.0.0.1:4223": "events is given twice",
	} {
		if err := m.AddFlag(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("AddFlag(%q) = %v; want an error saying %q", spec, err, want)
		}
	}
}

func TestMQConnectionsFromFile(t *testing.T) {
	var m MQConnections
	err := m.AddFile("conns.json", []byte(`{
		"events": {"url": "amqp://127.0.0.1:5672/", "username": "guest", "password": "guest", "exchange": "ev", "persistent": true, "timeout": "2s"},
		"stream": {"url": "redis://127.0.0.1:6379/0", "max_len": 1000}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	conn, password, err := m.MQConnection(t.Context(), "default", "events")
	if err != nil {
		t.Fatal(err)
	}
	if conn.Username != "guest" || password != "guest" || conn.Exchange != "ev" || !conn.Persistent || conn.Timeout != 2*time.Second {
		t.Errorf("events = %+v, password %q; want the file's fields", conn, password)
	}
	if conn, _, _ := m.MQConnection(t.Context(), "default", "stream"); conn.MaxLen != 1000 {
		t.Errorf("stream max_len = %d, want 1000", conn.MaxLen)
	}
	if m.Len() != 2 {
		t.Errorf("Len = %d, want 2", m.Len())
	}

	for body, want := range map[string]string{
		`[1]`: "write a JSON object",
		`{"a": {"url": "nats://127.0.0.1:4222", "password_secret": "x"}}`: `unknown field "password_secret"`,
		`{"a": {"url": "nats://127.0.0.1:4222", "timeout": "soon"}}`:      `timeout: "soon" is not a Go duration`,
		`{"a": {"url": "nats://127.0.0.1:4222", "max_len": 5}}`:           "max_len: applies to redis:// connections only",
		`{"events": {"url": "nats://127.0.0.1:4222"}}`:                    "events is given twice",
	} {
		if err := m.AddFile("f.json", []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("AddFile(%s) = %v; want an error saying %q", body, err, want)
		}
	}
}
