package core_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
)

func TestMQConnectionValidate(t *testing.T) {
	valid := core.MQConnection{Namespace: "default", Name: "orders", URL: "amqp://kronos@rabbit:5672/", PasswordSecret: "rabbit-password", Exchange: "orders", Persistent: true}
	if err := valid.Validate(); err != nil {
		t.Fatalf("a valid connection: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(c *core.MQConnection)
		field string
		says  string
	}{
		{"no url", func(c *core.MQConnection) { c.URL = "" }, "url", "nats://127.0.0.1:4222"},
		{"unknown scheme", func(c *core.MQConnection) { c.URL = "kafka://broker:9092" }, "url", "use redis, rediss, nats"},
		{"no host", func(c *core.MQConnection) { c.URL = "amqp://" }, "url", "scheme://host:port"},
		{"password in url", func(c *core.MQConnection) { c.URL = "amqp://guest:guest@rabbit/" }, "url", "password_secret"},
		{"bad secret name", func(c *core.MQConnection) { c.PasswordSecret = "Not A Name" }, "password_secret", ""},
		{"no certificate", func(c *core.MQConnection) { c.CAPEM = "hello" }, "ca_pem", "BEGIN CERTIFICATE"},
		{"timeout too long", func(c *core.MQConnection) { c.Timeout = 2 * time.Minute }, "timeout", "1m0s"},
		{"jetstream on amqp", func(c *core.MQConnection) { c.JetStream = true }, "jetstream", "nats://"},
		{"exchange on nats", func(c *core.MQConnection) { c.URL = "nats://nats:4222" }, "exchange", "amqp://"},
		{"max_len on mqtt", func(c *core.MQConnection) { c.URL, c.Exchange, c.Persistent, c.MaxLen = "mqtt://m:1883", "", false, 5 }, "max_len", "redis://"},
		{"client_id on redis", func(c *core.MQConnection) {
			c.URL, c.Exchange, c.Persistent, c.ClientID = "redis://r:6379", "", false, "x"
		}, "client_id", "mqtt://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid
			tc.edit(&c)
			err := c.Validate()
			var ve *core.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != tc.field || !strings.Contains(ve.Fields[0].Message, tc.says) {
				t.Fatalf("got %v, want one error at %s saying %q", err, tc.field, tc.says)
			}
		})
	}
	if b := (&core.MQConnection{URL: "mqtts://broker:8883"}).Broker(); b != "mqtt" {
		t.Fatalf("broker of mqtts:// is %q", b)
	}
}
