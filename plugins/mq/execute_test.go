package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/sdk"
	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

// answer returns an sdktest MQFunc that answers every publish with r and
// err.
func answer(r sdk.MQReceipt, err error) func(sdk.MQMessage) (sdk.MQReceipt, error) {
	return func(sdk.MQMessage) (sdk.MQReceipt, error) { return r, err }
}

// run executes config for testVars' execution at testVars' now, the host
// answering publishes with mq.
func run(t *testing.T, mq func(sdk.MQMessage) (sdk.MQReceipt, error), config string) (sdk.Output, *sdktest.Host, error) {
	t.Helper()
	old := now
	now = func() time.Time { return testVars.now }
	t.Cleanup(func() { now = old })
	host := sdktest.NewHost()
	host.MQFunc = mq
	out, err := sdktest.Execute(handle, host, json.RawMessage(config), testVars.exec)
	return out, host, err
}

func resultOf(t *testing.T, out sdk.Output) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(out.Result, &m); err != nil {
		t.Fatalf("result %s: %v", out.Result, err)
	}
	return m
}

func TestExecutePublishes(t *testing.T) {
	receipt := sdk.MQReceipt{Broker: "redis", ID: "1718000000000-0", Duration: 3 * time.Millisecond}
	out, host, err := run(t, answer(receipt, nil), `{"connection":"events","topic":"kronos.${execution.task}","payload":"run ${execution.id} at ${execution.scheduled_at}","key":"${execution.labels.team}","headers":{"Attempt":"${execution.attempt}"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != sdk.StatusSucceeded {
		t.Fatalf("output = %+v", out)
	}
	msgs := host.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d publishes", len(msgs))
	}
	payload := "run 0193a5f0-0000-7000-8000-000000000001 at 2026-12-01T02:00:00Z"
	want := sdk.MQMessage{Connection: "events", Topic: "kronos.nightly_report", Payload: []byte(payload), Key: "data", Headers: map[string]string{"Attempt": "2"}}
	if !reflect.DeepEqual(msgs[0], want) {
		t.Errorf("message = %+v, want %+v", msgs[0], want)
	}
	wantResult := map[string]any{"connection": "events", "broker": "redis", "topic": "kronos.nightly_report", "id": "1718000000000-0", "bytes": float64(len(payload)), "duration_ms": float64(3)}
	if got := resultOf(t, out); !reflect.DeepEqual(got, wantResult) {
		t.Errorf("result = %v, want %v", got, wantResult)
	}
	var published bool
	for _, l := range host.Logs() {
		if l.Level == sdk.LevelInfo && strings.HasPrefix(l.Msg, "published") && strings.Contains(l.Msg, "id=1718000000000-0") {
			published = true
		}
	}
	if !published {
		t.Errorf("no published line: %+v", host.Logs())
	}
}

func TestExecuteFailures(t *testing.T) {
	fail := func(kind sdk.MQErrorKind, msg string) error { return &sdk.MQError{Kind: kind, Message: msg} }
	tests := []struct {
		name      string
		config    string
		receipt   sdk.MQReceipt // a host may give the broker of a failed publish
		err       error
		wantError string
		wantKind  string
	}{
		{
			name:      "rabbitmq no confirm",
			config:    `{"connection":"orders","topic":"y","exchange":"x","payload":""}`,
			receipt:   sdk.MQReceipt{Broker: "rabbitmq", Duration: 5 * time.Second},
			err:       fail(sdk.MQErrorNoAck, "mq_publish: no publisher confirm within 5s"),
			wantError: `publish to connection "orders" (rabbitmq) exchange "x" routing key "y": no_ack: no publisher confirm within 5s`,
			wantKind:  "no_ack",
		},
		{
			name:      "rabbitmq default exchange",
			config:    `{"connection":"orders","topic":"jobs","payload":""}`,
			receipt:   sdk.MQReceipt{Broker: "rabbitmq"},
			err:       fail(sdk.MQErrorNack, "the broker refused the message"),
			wantError: `publish to connection "orders" (rabbitmq) routing key "jobs": nack: the broker refused the message`,
			wantKind:  "nack",
		},
		{
			name:      "redis down",
			config:    `{"connection":"cache","topic":"s","payload":""}`,
			receipt:   sdk.MQReceipt{Broker: "redis"},
			err:       fail(sdk.MQErrorConnect, "dial tcp 127.0.0.1:1: connection refused"),
			wantError: `publish to connection "cache" (redis) stream "s": connect: dial tcp 127.0.0.1:1: connection refused`,
			wantKind:  "connect",
		},
		{
			name:      "jetstream no stream",
			config:    `{"connection":"js","topic":"a.b","payload":""}`,
			receipt:   sdk.MQReceipt{Broker: "jetstream"},
			err:       fail(sdk.MQErrorNoAck, "no stream covers the subject"),
			wantError: `publish to connection "js" (jetstream) subject "a.b": no_ack: no stream covers the subject`,
			wantKind:  "no_ack",
		},
		{
			name:      "mqtt headers",
			config:    `{"connection":"iot","topic":"a/b","payload":"","headers":{"A":"b"}}`,
			receipt:   sdk.MQReceipt{Broker: "mqtt"},
			err:       fail(sdk.MQErrorInvalidRequest, "mq_publish: MQTT 3.1.1 has no headers"),
			wantError: `publish to connection "iot" (mqtt) topic "a/b": invalid_request: MQTT 3.1.1 has no headers`,
			wantKind:  "invalid_request",
		},
		{
			name:      "broker unknown",
			config:    `{"connection":"iot","topic":"a/b","exchange":"x","payload":""}`,
			err:       fail(sdk.MQErrorRefused, "10.0.0.5 is a private address"),
			wantError: `publish to connection "iot" exchange "x" topic "a/b": refused: 10.0.0.5 is a private address`,
			wantKind:  "refused",
		},
		{
			name:      "no such connection",
			config:    `{"connection":"nope","topic":"t","payload":""}`,
			err:       fail(sdk.MQErrorNotFound, `mq_publish: namespace "shop" has no MQ connection "nope"`),
			wantError: `publish to connection "nope" topic "t": not_found: namespace "shop" has no MQ connection "nope"`,
			wantKind:  "not_found",
		},
		{
			name:      "error without a kind",
			config:    `{"connection":"c","topic":"t","payload":""}`,
			err:       fail("", "odd"),
			wantError: `publish to connection "c" topic "t": other: odd`,
			wantKind:  "other",
		},
		{
			name:      "not an MQError",
			config:    `{"connection":"c","topic":"t","payload":""}`,
			err:       &sdk.HTTPError{Kind: "other", Message: "the host returned no response"},
			wantError: `publish to connection "c" topic "t": other: other: the host returned no response`,
			wantKind:  "other",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, answer(tt.receipt, tt.err), tt.config)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != sdk.StatusFailed || out.Error != tt.wantError {
				t.Fatalf("output = %+v\nwant error %s", out, tt.wantError)
			}
			res := resultOf(t, out)
			if e, _ := res["error"].(map[string]any); e == nil || e["kind"] != tt.wantKind {
				t.Errorf("result = %v", res)
			}
			if tt.receipt.Broker != "" && res["broker"] != tt.receipt.Broker {
				t.Errorf("result = %v, want broker %s", res, tt.receipt.Broker)
			}
		})
	}
}

func TestExecuteKeepsTheHostsMessageInTheResult(t *testing.T) {
	out, _, err := run(t, answer(sdk.MQReceipt{}, &sdk.MQError{Kind: sdk.MQErrorAuth, Message: "mq_publish: connect to nats nats://x: authorization violation"}), `{"connection":"c","topic":"t","payload":""}`)
	if err != nil {
		t.Fatal(err)
	}
	e := resultOf(t, out)["error"].(map[string]any)
	if e["kind"] != "auth" || e["message"] != "mq_publish: connect to nats nats://x: authorization violation" {
		t.Errorf("error = %v", e)
	}
}

func TestExecuteInvalidConfigPublishesNothing(t *testing.T) {
	_, host, err := run(t, answer(sdk.MQReceipt{}, nil), `{"connection":"c","topic":"t"}`)
	if err == nil || !strings.Contains(err.Error(), "config.payload: is required") {
		t.Fatalf("err = %v", err)
	}
	if n := len(host.Messages()); n != 0 {
		t.Errorf("%d publishes", n)
	}
}

// TestExecuteSecretValueWithPlaceholderSyntax shows the documented edge: a
// secret is resolved before placeholders are expanded, so a resolved value
// holding "${" is read as a placeholder.
func TestExecuteSecretValueWithPlaceholderSyntax(t *testing.T) {
	_, _, err := run(t, answer(sdk.MQReceipt{}, nil), `{"connection":"c","topic":"t","payload":"","headers":{"Authorization":"Bearer a${b"}}`)
	if err == nil || !strings.Contains(err.Error(), "config.headers.Authorization: the placeholder at byte 8 has no closing }") {
		t.Fatalf("err = %v", err)
	}
}
