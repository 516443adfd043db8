package sdktest_test

import (
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

func TestCompileSchema(t *testing.T) {
	s, err := sdktest.CompileSchema(`{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": false}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(`{"name": "Kronos"}`); err != nil {
		t.Errorf("a valid config: %v", err)
	}
	for config, want := range map[string]string{
		`{}`:                    "name",
		`{"name": 1}`:           "string",
		`{"name": "a", "x": 1}`: "x",
		`{`:                     "not JSON",
	} {
		if err := s.Validate(config); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%s) = %v; want an error naming %q", config, err, want)
		}
	}
	for schema, want := range map[string]string{`{`: "not JSON", `{"type": 7}`: "does not compile"} {
		if _, err := sdktest.CompileSchema(schema); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CompileSchema(%s) = %v; want an error saying %q", schema, err, want)
		}
	}
}
