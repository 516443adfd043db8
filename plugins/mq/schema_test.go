package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

func compileSchema(t *testing.T) *sdktest.Schema {
	t.Helper()
	s, err := sdktest.CompileSchema(configSchema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaAgreesWithDecodeConfig validates configs with the schema, as
// the host does, and with validateConfig, as the validate export does:
// both must accept or both refuse, except where only Go can tell
// (placeholders, one payload of two).
func TestSchemaAgreesWithDecodeConfig(t *testing.T) {
	s := compileSchema(t)
	tests := []struct {
		name         string
		config       string
		schemaOK, ok bool
	}{
		{"text payload", `{"connection":"orders","topic":"orders.created","payload":"hi"}`, true, true},
		{"json payload", `{"connection":"orders","topic":"t","payload_json":{"id":"${execution.id}"}}`, true, true},
		{"json array payload", `{"connection":"orders","topic":"t","payload_json":[1,2]}`, true, true},
		{"every field", `{"connection":"mq-1.prod","topic":"r/${execution.task}","exchange":"ex","payload":"p","headers":{"Trace-Id":"${execution.id}"},"key":"${execution.task}","qos":2,"retain":true}`, true, true},
		{"no connection", `{"topic":"t","payload":""}`, false, false},
		{"connection upper case", `{"connection":"Orders","topic":"t","payload":""}`, false, false},
		{"no topic", `{"connection":"c","payload":""}`, false, false},
		{"empty topic", `{"connection":"c","topic":"","payload":""}`, false, false},
		{"topic with newline", `{"connection":"c","topic":"a\nb","payload":""}`, false, false},
		{"exchange too long", `{"connection":"c","topic":"t","exchange":"` + strings.Repeat("e", 256) + `","payload":""}`, false, false},
		{"header name with blank", `{"connection":"c","topic":"t","payload":"","headers":{"A B":"v"}}`, false, false},
		{"header name with colon", `{"connection":"c","topic":"t","payload":"","headers":{"A:B":"v"}}`, false, false},
		{"header value not a string", `{"connection":"c","topic":"t","payload":"","headers":{"A":1}}`, false, false},
		{"header value with newline", `{"connection":"c","topic":"t","payload":"","headers":{"A":"v\nB"}}`, false, false},
		{"qos 3", `{"connection":"c","topic":"t","payload":"","qos":3}`, false, false},
		{"retain not a bool", `{"connection":"c","topic":"t","payload":"","retain":"yes"}`, false, false},
		{"unknown field", `{"connection":"c","topic":"t","payload":"","body":"x"}`, false, false},
		{"neither payload (plugin only)", `{"connection":"c","topic":"t"}`, true, false},
		{"both payloads (plugin only)", `{"connection":"c","topic":"t","payload":"","payload_json":1}`, true, false},
		{"unknown placeholder (plugin only)", `{"connection":"c","topic":"${topic}","payload":""}`, true, false},
		{"blank topic (plugin only)", `{"connection":"c","topic":" ","payload":""}`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Validate(tt.config); (err == nil) != tt.schemaOK {
				t.Errorf("schema: err = %v, want ok = %v", err, tt.schemaOK)
			}
			if fields := validateConfig(json.RawMessage(tt.config)); (len(fields) == 0) != tt.ok {
				t.Errorf("validateConfig = %+v, want ok = %v", fields, tt.ok)
			}
		})
	}
}

// TestSchemaDefaults keeps the schema's defaults and bounds in step with
// the constants of config.go and its properties with rawConfig, and checks
// that every property is documented with a description and an example or
// a default (the UI's form shows both).
func TestSchemaDefaults(t *testing.T) {
	var schema struct {
		Properties map[string]struct {
			Description   string `json:"description"`
			Default       any    `json:"default"`
			Examples      []any  `json:"examples"`
			MaxLength     *int   `json:"maxLength"`
			Maximum       *int   `json:"maximum"`
			MaxProperties *int   `json:"maxProperties"`
			PropertyNames struct {
				MaxLength *int `json:"maxLength"`
			} `json:"propertyNames"`
			AdditionalProperties struct {
				MaxLength *int `json:"maxLength"`
			} `json:"additionalProperties"`
		} `json:"properties"`
		Required             []string `json:"required"`
		AdditionalProperties *bool    `json:"additionalProperties"`
		Combinators          []any    `json:"oneOf"`
	}
	if err := json.Unmarshal([]byte(configSchema), &schema); err != nil {
		t.Fatal(err)
	}
	p := schema.Properties
	check := func(field string, got, want any) {
		t.Helper()
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("%s: schema says %s, Go says %s", field, gb, wb)
		}
	}
	check("connection.maxLength", p["connection"].MaxLength, maxConnectionName)
	check("topic.maxLength", p["topic"].MaxLength, maxTopicBytes)
	check("exchange.maxLength", p["exchange"].MaxLength, maxExchangeBytes)
	check("key.maxLength", p["key"].MaxLength, maxKeyBytes)
	check("headers.maxProperties", p["headers"].MaxProperties, maxHeaders)
	check("headers.propertyNames.maxLength", p["headers"].PropertyNames.MaxLength, maxHeaderName)
	check("headers.additionalProperties.maxLength", p["headers"].AdditionalProperties.MaxLength, maxHeaderValue)
	check("qos.default", p["qos"].Default, defaultQoS)
	check("qos.maximum", p["qos"].Maximum, maxQoS)
	check("retain.default", p["retain"].Default, false)
	check("required", schema.Required, []string{"connection", "topic"})
	if schema.AdditionalProperties == nil || *schema.AdditionalProperties {
		t.Error("the schema allows unknown fields")
	}
	if schema.Combinators != nil {
		t.Error("a top-level oneOf turns the UI's form into a JSON box")
	}
	rt := reflect.TypeFor[rawConfig]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if _, ok := p[name]; !ok {
			t.Errorf("config field %q is not in the schema", name)
		}
	}
	if rt.NumField() != len(p) {
		t.Errorf("rawConfig has %d fields, the schema %d properties", rt.NumField(), len(p))
	}
	for name, prop := range p {
		if prop.Description == "" || (prop.Examples == nil && prop.Default == nil) {
			t.Errorf("%s: no description, or neither an example nor a default", name)
		}
	}
}

// TestSchemaExamplesAreValid checks that each property's examples pass
// validateConfig in a config built around them.
func TestSchemaExamplesAreValid(t *testing.T) {
	var schema struct {
		Properties map[string]struct {
			Examples []json.RawMessage `json:"examples"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(configSchema), &schema); err != nil {
		t.Fatal(err)
	}
	for name, prop := range schema.Properties {
		for _, ex := range prop.Examples {
			cfg := map[string]json.RawMessage{"connection": json.RawMessage(`"c"`), "topic": json.RawMessage(`"t"`)}
			if name != "payload_json" {
				cfg["payload"] = json.RawMessage(`""`)
			}
			cfg[name] = ex
			b, _ := json.Marshal(cfg)
			if fields := validateConfig(b); len(fields) != 0 {
				t.Errorf("%s example %s: %+v", name, ex, fields)
			}
		}
	}
}

func TestDescription(t *testing.T) {
	b, err := description.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Name         string         `json:"name"`
		Version      string         `json:"version"`
		Description  string         `json:"description"`
		ConfigSchema map[string]any `json:"config_schema"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Name != "mq" || d.Version != version || d.Description == "" || d.ConfigSchema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("description = %+v", d)
	}
}
