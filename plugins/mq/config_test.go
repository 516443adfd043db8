package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeConfigDefaults(t *testing.T) {
	cfg, err := decodeConfig(json.RawMessage(`{"connection":"orders","topic":"orders.created","payload":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	req, err := cfg.message(testVars)
	if err != nil {
		t.Fatal(err)
	}
	if req.Connection != "orders" || req.Topic != "orders.created" || string(req.Payload) != "hi" || req.Exchange != "" ||
		req.Headers != nil || req.Key != "" || req.QoS != nil || req.Retain {
		t.Errorf("request = %+v", req)
	}
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		wantErr string // "" for a valid config
	}{
		{"text payload", `{"connection":"orders","topic":"t","payload":"x"}`, ""},
		{"empty text payload", `{"connection":"orders","topic":"t","payload":""}`, ""},
		{"json payload", `{"connection":"orders","topic":"t","payload_json":{"a":[1,"${execution.id}"]}}`, ""},
		{"json null payload", `{"connection":"orders","topic":"t","payload_json":null}`, ""},
		{"every field", `{"connection":"mq-1.prod","topic":"r/${execution.task}","exchange":"ex","payload":"p","headers":{"Trace-Id":"${execution.id}","x.y_z":"v"},"key":"${execution.labels.team}","qos":2,"retain":true}`, ""},
		{"qos 0", `{"connection":"c","topic":"t","payload":"","qos":0}`, ""},
		{"secret reference as written", `{"connection":"c","topic":"t","payload":"","headers":{"Authorization":"Bearer {{ secret \"tok\" }}"}}`, ""},
		{"connection required", `{"topic":"t","payload":""}`, "config.connection: is required"},
		{"connection upper case", `{"connection":"Orders","topic":"t","payload":""}`, `config.connection: "Orders" is not a connection name`},
		{"connection too long", `{"connection":"` + strings.Repeat("a", 129) + `","topic":"t","payload":""}`, "config.connection: is 129 characters long; the limit is 128"},
		{"topic required", `{"connection":"c","payload":""}`, "config.topic: is required"},
		{"topic blank", `{"connection":"c","topic":"  ","payload":""}`, "config.topic: is required"},
		{"topic with newline", `{"connection":"c","topic":"a\nb","payload":""}`, "config.topic: holds a line break"},
		{"topic too long", `{"connection":"c","topic":"` + strings.Repeat("t", 1025) + `","payload":""}`, "config.topic: is 1025 bytes; the limit is 1024"},
		{"topic unknown placeholder", `{"connection":"c","topic":"${task}","payload":""}`, "config.topic: unknown placeholder ${task}; use one of ${execution.id}"},
		{"exchange too long", `{"connection":"c","topic":"t","exchange":"` + strings.Repeat("e", 256) + `","payload":""}`, "config.exchange: is 256 bytes; AMQP allows 255"},
		{"neither payload", `{"connection":"c","topic":"t"}`, "config.payload: is required: set payload to the message text"},
		{"both payloads", `{"connection":"c","topic":"t","payload":"a","payload_json":{}}`, "config.payload: and payload_json are both set"},
		{"payload unknown placeholder", `{"connection":"c","topic":"t","payload":"at ${execution.schedule}"}`, "config.payload: unknown placeholder ${execution.schedule}"},
		{"payload unterminated", `{"connection":"c","topic":"t","payload":"at ${now"}`, "config.payload: the placeholder at byte 3 has no closing }"},
		{"payload too big", `{"connection":"c","topic":"t","payload":"` + strings.Repeat("p", maxPayloadBytes+1) + `"}`, "config.payload: is 1048577 bytes; the limit is 1048576"},
		{"payload_json unknown placeholder", `{"connection":"c","topic":"t","payload_json":{"a":{"b":"${x}"}}}`, "config.payload_json.a.b: unknown placeholder ${x}"},
		{"header name with blank", `{"connection":"c","topic":"t","payload":"","headers":{"Trace Id":"v"}}`, `config.headers: "Trace Id" is not a header name`},
		{"header name with colon", `{"connection":"c","topic":"t","payload":"","headers":{"a:b":"v"}}`, `config.headers: "a:b" is not a header name`},
		{"header name empty", `{"connection":"c","topic":"t","payload":"","headers":{"":"v"}}`, `config.headers: "" is not a header name: it is empty`},
		{"header value with newline", `{"connection":"c","topic":"t","payload":"","headers":{"A":"v\r\nB: w"}}`, "config.headers.A: the value holds a line break"},
		{"header value placeholder", `{"connection":"c","topic":"t","payload":"","headers":{"A":"${execution.idx}"}}`, "config.headers.A: unknown placeholder"},
		{"key placeholder", `{"connection":"c","topic":"t","payload":"","key":"${key}"}`, "config.key: unknown placeholder ${key}"},
		{"qos 3", `{"connection":"c","topic":"t","payload":"","qos":3}`, "config.qos: 3 is not an MQTT QoS"},
		{"qos negative", `{"connection":"c","topic":"t","payload":"","qos":-1}`, "config.qos: -1 is not an MQTT QoS"},
		{"qos as a string", `{"connection":"c","topic":"t","payload":"","qos":"1"}`, "config.qos: expected integer, got string"},
		{"payload as a number", `{"connection":"c","topic":"t","payload":1}`, "config.payload: expected string, got number"},
		{"unknown field", `{"connection":"c","topic":"t","payload":"","body":"x"}`, `config: unknown field "body"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeConfig(json.RawMessage(tt.config))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateConfigReportsEveryField(t *testing.T) {
	fields := validateConfig(json.RawMessage(`{"connection":"Bad Name","topic":"${nope}","payload":"${execution.id","headers":{"A":"${x}"},"key":"${y}","qos":7}`))
	got := map[string]string{}
	for _, f := range fields {
		got[f.Field] = f.Message
	}
	for _, field := range []string{"config.connection", "config.topic", "config.payload", "config.headers.A", "config.key", "config.qos"} {
		if _, ok := got[field]; !ok {
			t.Errorf("no error on %s: %+v", field, fields)
		}
	}
	if len(fields) != 6 {
		t.Errorf("%d errors: %+v", len(fields), fields)
	}
	if fields := validateConfig(json.RawMessage(`{"connection":"orders","topic":"t","payload_json":{"id":"${execution.id}"}}`)); len(fields) != 0 {
		t.Errorf("valid config: %+v", fields)
	}
}

func TestMessage(t *testing.T) {
	cfg, err := decodeConfig(json.RawMessage(`{
		"connection": "orders",
		"topic": "reports.${execution.labels.team}",
		"exchange": "kronos",
		"payload_json": {"task": "${execution.task}", "attempt": "${execution.attempt}", "n": 1},
		"headers": {"Nats-Msg-Id": "${execution.id}", "Static": "yes"},
		"key": "${execution.task}",
		"qos": 0,
		"retain": true
	}`))
	if err != nil {
		t.Fatal(err)
	}
	req, err := cfg.message(testVars)
	if err != nil {
		t.Fatal(err)
	}
	if req.Topic != "reports.data" || req.Exchange != "kronos" || string(req.Payload) != `{"task":"nightly_report","attempt":"2","n":1}` ||
		req.Headers["Nats-Msg-Id"] != testVars.exec.ID || req.Headers["Static"] != "yes" || req.Key != "nightly_report" ||
		req.QoS == nil || *req.QoS != 0 || !req.Retain {
		t.Errorf("request = %+v", req)
	}
}

func TestMessageExpandedTopicMustNotBeEmpty(t *testing.T) {
	cfg, err := decodeConfig(json.RawMessage(`{"connection":"c","topic":"${execution.labels.route}","payload":""}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.message(testVars)
	if err == nil || !strings.Contains(err.Error(), "config.topic: is empty once its placeholders are expanded") {
		t.Fatalf("err = %v", err)
	}
}

func TestMessageExpandedPayloadLimit(t *testing.T) {
	big := strings.Repeat("${execution.id}", maxPayloadBytes/len("${execution.id}"))
	cfg, err := decodeConfig(json.RawMessage(`{"connection":"c","topic":"t","payload":"` + big + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.message(testVars)
	if err == nil || !strings.Contains(err.Error(), "config.payload: the message is") {
		t.Fatalf("err = %v", err)
	}
}
