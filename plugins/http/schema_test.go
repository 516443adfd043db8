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
// the host does, and with decodeConfig, as execute does: both must accept
// or both refuse (except where only Go can tell, such as a timeout's
// maximum).
func TestSchemaAgreesWithDecodeConfig(t *testing.T) {
	s := compileSchema(t)
	tests := []struct {
		name         string
		config       string
		schemaOK, ok bool
	}{
		{"seed example", seedConfig, true, true},
		{"url only", `{"url":"https://x.example"}`, true, true},
		{"every field", `{"method":"PATCH","url":"http://x:8080/p?q=1","headers":{"X-A":"b"},"body":"{}","timeout":"1m30s","expected_status":[200,"3xx","400-404","204"],"capture_response":false,"max_response_bytes":1048576,"idempotency_header":"X-Request-Id"}`, true, true},
		{"idempotency header off", `{"url":"https://x","idempotency_header":""}`, true, true},
		{"no url", `{}`, false, false},
		{"ftp url", `{"url":"ftp://x"}`, false, false},
		{"lower-case method", `{"url":"https://x","method":"post"}`, false, false},
		{"unknown field", `{"url":"https://x","retries":3}`, false, false},
		{"bad header name", `{"url":"https://x","headers":{"A B":"v"}}`, false, false},
		{"header with newline", `{"url":"https://x","headers":{"A":"v\nB: w"}}`, false, false},
		{"header value not a string", `{"url":"https://x","headers":{"A":1}}`, false, false},
		{"timeout without unit", `{"url":"https://x","timeout":"30"}`, false, false},
		{"timeout above 5m (Go only)", `{"url":"https://x","timeout":"1h"}`, true, false},
		{"status 700", `{"url":"https://x","expected_status":[700]}`, false, false},
		{"status class 6xx", `{"url":"https://x","expected_status":["6xx"]}`, false, false},
		{"empty expected_status", `{"url":"https://x","expected_status":[]}`, false, false},
		{"max_response_bytes too big", `{"url":"https://x","max_response_bytes":1048577}`, false, false},
		{"max_response_bytes zero", `{"url":"https://x","max_response_bytes":0}`, false, false},
		{"capture_response not a bool", `{"url":"https://x","capture_response":"yes"}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Validate(tt.config); (err == nil) != tt.schemaOK {
				t.Errorf("schema: err = %v, want ok = %v", err, tt.schemaOK)
			}
			if _, err := decodeConfig(json.RawMessage(tt.config)); (err == nil) != tt.ok {
				t.Errorf("decodeConfig: err = %v, want ok = %v", err, tt.ok)
			}
		})
	}
}

// TestSchemaDefaults keeps the schema's defaults and bounds in step with
// the constants of config.go.
func TestSchemaDefaults(t *testing.T) {
	var schema struct {
		Properties map[string]struct {
			Default any   `json:"default"`
			Enum    []any `json:"enum"`
			Maximum *int  `json:"maximum"`
		} `json:"properties"`
		AdditionalProperties *bool `json:"additionalProperties"`
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
	check("method.default", p["method"].Default, defaultMethod)
	check("method.enum", p["method"].Enum, methods)
	check("timeout.default", p["timeout"].Default, defaultTimeout.String())
	check("expected_status.default", p["expected_status"].Default, []string{defaultExpectedStatus})
	check("max_response_bytes.default", p["max_response_bytes"].Default, defaultMaxResponseBytes)
	check("max_response_bytes.maximum", p["max_response_bytes"].Maximum, maxMaxResponseBytes)
	check("idempotency_header.default", p["idempotency_header"].Default, defaultIdempotencyHeader)
	check("capture_response.default", p["capture_response"].Default, true)
	if schema.AdditionalProperties == nil || *schema.AdditionalProperties {
		t.Error("the schema allows unknown fields")
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
	if d.Name != "http" || d.Version == "" || d.Description == "" || d.ConfigSchema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("description = %+v", d)
	}
}
