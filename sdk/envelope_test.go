package sdk

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDecodeInput(t *testing.T) {
	in, err := DecodeInput([]byte(`{"config":{"url":"https://x"},"execution":{"id":"0193","attempt":2,"scheduled_at":"2026-12-01T02:00:00Z","trigger":"schedule","namespace":"default","task":"daily_backup","labels":{"team":"x"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Execution{
		ID: "0193", Attempt: 2, ScheduledAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC),
		Trigger: "schedule", Namespace: "default", Task: "daily_backup", Labels: map[string]string{"team": "x"},
	}
	if got := in.Execution; got.ID != want.ID || got.Attempt != want.Attempt || !got.ScheduledAt.Equal(want.ScheduledAt) ||
		got.Trigger != want.Trigger || got.Namespace != want.Namespace || got.Task != want.Task || got.Labels["team"] != "x" {
		t.Errorf("execution = %+v, want %+v", got, want)
	}
	if string(in.Config) != `{"url":"https://x"}` {
		t.Errorf("config = %s", in.Config)
	}
}

func TestDecodeInputErrors(t *testing.T) {
	for name, input := range map[string]string{
		"empty input":   "",
		"not JSON":      "hello",
		"bad timestamp": `{"execution":{"scheduled_at":"yesterday"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeInput([]byte(input)); err == nil || !strings.Contains(err.Error(), "execute input") {
				t.Errorf("err = %v, want an execute input error", err)
			}
		})
	}
}

type testConfig struct {
	URL     string            `json:"url"`
	Retries int               `json:"retries"`
	Verbose bool              `json:"verbose"`
	Headers map[string]string `json:"headers"`
	Nested  struct {
		Port int `json:"port"`
	} `json:"nested"`
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name, config, wantErr string
	}{
		{"object decodes", `{"url":"https://x","retries":3}`, ""},
		{"missing config is an empty object", ``, ""},
		{"null config is an empty object", `null`, ""},
		{"unknown field is named", `{"url":"x","ur1":"y"}`, `config: unknown field "ur1"`},
		{"wrong type names the field", `{"retries":"3"}`, "config.retries: expected integer, got string"},
		{"wrong nested type names the path", `{"nested":{"port":true}}`, "config.nested.port: expected integer, got bool"},
		{"wrong map value type", `{"headers":{"A":1}}`, "config.headers: expected string, got number"},
		{"boolean expected", `{"verbose":"yes"}`, "config.verbose: expected boolean, got string"},
		{"not an object", `[1,2]`, "config: expected object, got array"},
		{"syntax error", `{"url":}`, "config is not valid JSON"},
		{"truncated", `{"url":"x"`, "config is not valid JSON"},
		{"trailing data", `{} {}`, "unexpected data after the config object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c testConfig
			err := DecodeConfig(json.RawMessage(tt.config), &c)
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
