package mq

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBrokerDown(t *testing.T) {
	for _, tc := range []struct {
		cfg  ConnConfig
		want string
	}{
		{ConnConfig{URL: "redis://127.0.0.1:1/0"}, "connect to redis redis://127.0.0.1:1/0: "},
		{ConnConfig{URL: "nats://127.0.0.1:1"}, "connect to nats nats://127.0.0.1:1: "},
		{ConnConfig{URL: "nats://127.0.0.1:1", JetStream: true}, "connect to jetstream nats://127.0.0.1:1: "},
		{ConnConfig{URL: "amqp://guest:guest@127.0.0.1:1/"}, "connect to rabbitmq amqp://guest:xxxxx@127.0.0.1:1/: "},
		{ConnConfig{URL: "mqtt://127.0.0.1:1"}, "connect to mqtt mqtt://127.0.0.1:1: "},
		{ConnConfig{URL: "tcp://u:secret@127.0.0.1:1"}, "connect to mqtt tcp://u:xxxxx@127.0.0.1:1: "},
	} {
		t.Run(tc.cfg.URL, func(t *testing.T) {
			tc.cfg.Timeout = 2 * time.Second
			c, err := Open(testCtx(t), tc.cfg)
			if err == nil {
				_ = c.Close()
				t.Fatal("connected to a closed port")
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), tc.want) || !strings.HasSuffix(err.Error(), "connection refused") {
				t.Errorf("error %q\nwant %q...connection refused", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), ":guest@") {
				t.Errorf("error shows a password: %v", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Op != "connect" {
				t.Errorf("not a connect *Error: %#v", err)
			}
		})
	}
}

func TestOpenInvalid(t *testing.T) {
	for _, tc := range []struct{ name, url, want string }{
		{"unknown scheme", "kafka://u:pw@127.0.0.1:9092", `connect to broker kafka://u:xxxxx@127.0.0.1:9092: invalid scheme "kafka" (use redis`},
		{"unparsable", "amqp://u:pw@[::1", "connect to broker amqp://xxxxx@[::1: invalid URL: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(t.Context(), ConnConfig{URL: tc.url})
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q\nwant prefix %q", err, tc.want)
			}
		})
	}
}

func TestBadCAPEM(t *testing.T) {
	_, err := Open(t.Context(), ConnConfig{URL: "rediss://127.0.0.1:1", CAPEM: []byte("not a certificate")})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "CAPEM") {
		t.Errorf("got %v", err)
	}
}
