package main

import (
	"encoding/json"
	"testing"

	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

// TestSchemaAgrees checks that the schema compiles, that its bounds are
// the constants of config.go, and that it agrees with decodeConfig
// (except on what only the plugin can tell: whether the script parses).
func TestSchemaAgrees(t *testing.T) {
	s, err := sdktest.CompileSchema(configSchema)
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]struct {
			MaxLength int `json:"maxLength"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(configSchema), &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Properties["script"].MaxLength != maxScriptBytes || len(schema.Properties) != 3 {
		t.Errorf("schema properties = %+v", schema.Properties)
	}
	for _, tt := range []struct {
		name, config string
		schemaOK, ok bool
	}{
		{"script", `{"script":"return 1"}`, true, true},
		{"every field", `{"script":"return 1","args":{"a":[1]},"secrets":{"t":"x"}}`, true, true},
		{"no script", `{}`, false, false},
		{"unknown field", `{"script":"1","timeout":"1s"}`, false, false},
		{"args array", `{"script":"1","args":[]}`, false, false},
		{"secret not a string", `{"script":"1","secrets":{"t":1}}`, false, false},
		{"syntax error (plugin only)", `{"script":"return )"}`, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Validate(tt.config); (err == nil) != tt.schemaOK {
				t.Errorf("schema: err = %v, want ok = %v", err, tt.schemaOK)
			}
			if _, err := decodeConfig(json.RawMessage(tt.config)); (err == nil) != tt.ok {
				t.Errorf("decodeConfig: err = %v, want ok = %v", err, tt.ok)
			}
			if fields := validateConfig(json.RawMessage(tt.config)); (len(fields) == 0) != tt.ok {
				t.Errorf("validateConfig = %+v, want ok = %v", fields, tt.ok)
			}
		})
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
	if d.Name != "script" || d.Version != version || d.Description == "" || d.ConfigSchema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("description = %+v", d)
	}
}
