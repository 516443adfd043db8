package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/sdk"
)

var testVars = vars{
	exec: sdk.Execution{
		ID:          "0193a5f0-0000-7000-8000-000000000001",
		Attempt:     2,
		ScheduledAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC),
		Trigger:     "schedule",
		Namespace:   "shop",
		Task:        "nightly_report",
		Labels:      map[string]string{"team": "data", "tier": "gold"},
	},
	now: time.Date(2026, 12, 1, 2, 0, 1, 234_000_000, time.FixedZone("CET", 3600)),
}

func TestTemplate(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no placeholder", "orders.created", "orders.created"},
		{"empty", "", ""},
		{"id", "${execution.id}", "0193a5f0-0000-7000-8000-000000000001"},
		{"attempt in text", "try ${execution.attempt}!", "try 2!"},
		{"scheduled_at is RFC 3339", "${execution.scheduled_at}", "2026-12-01T02:00:00Z"},
		{"now is UTC with milliseconds", "${now}", "2026-12-01T01:00:01.234Z"},
		{"trigger namespace task", "${execution.trigger}/${execution.namespace}/${execution.task}", "schedule/shop/nightly_report"},
		{"label", "team=${execution.labels.team}", "team=data"},
		{"absent label is empty", "[${execution.labels.nope}]", "[]"},
		{"blanks inside the braces", "${ execution.task }", "nightly_report"},
		{"escaped placeholder", "$${execution.id} is ${execution.attempt}", "${execution.id} is 2"},
		{"lone dollar", "costs $5 and $$", "costs $5 and $$"},
		{"dollar before escape", "$$${execution.attempt}", "$${execution.attempt}"},
		{"closing brace alone", "a}b", "a}b"},
		{"adjacent placeholders", "${execution.attempt}${execution.attempt}", "22"},
		{"unicode around", "é${execution.attempt}ü", "é2ü"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := parseTemplate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.expand(testVars); got != tt.want {
				t.Errorf("expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"unknown name", "${execution.idd}", []string{"unknown placeholder ${execution.idd}", "${execution.id}, ${execution.attempt}", "${execution.labels.<key>}", "${now}", "$${"}},
		{"bare name", "${id}", []string{"unknown placeholder ${id}"}},
		{"empty", "${}", []string{"unknown placeholder ${}"}},
		{"label without key", "${execution.labels.}", []string{"unknown placeholder ${execution.labels.}"}},
		{"unterminated", "a ${execution.id", []string{"placeholder at byte 2 has no closing }"}},
		{"shell default syntax is not supported", "${execution.task:-x}", []string{"unknown placeholder ${execution.task:-x}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTemplate(tt.in)
			if err == nil {
				t.Fatalf("parseTemplate(%q) accepted it", tt.in)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestJSONTemplate(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"object keeps key order and number text", `{"z": 1, "a": 1.50, "m": [true, null, "x"]}`, `{"z":1,"a":1.50,"m":[true,null,"x"]}`},
		{"strings expanded, keys not", `{"${execution.task}": "${execution.task}", "n": ["${execution.attempt}"]}`, `{"${execution.task}":"nightly_report","n":["2"]}`},
		{"no HTML escaping", `{"html": "<a href=\"x\">&</a>"}`, `{"html":"<a href=\"x\">&</a>"}`},
		{"escapes kept", `"line\nbreak \u00e9 \t"`, `"line\nbreak é \t"`},
		{"a string value", `"at ${execution.scheduled_at}"`, `"at 2026-12-01T02:00:00Z"`},
		{"a number", ` 42 `, `42`},
		{"null", `null`, `null`},
		{"empty containers", `{"a": {}, "b": []}`, `{"a":{},"b":[]}`},
		{"escaped placeholder", `{"tpl": "$${execution.id}"}`, `{"tpl":"${execution.id}"}`},
		{"nested", `{"a": {"b": [{"c": "${execution.labels.tier}"}]}}`, `{"a":{"b":[{"c":"gold"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := parseJSONTemplate(json.RawMessage(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.expand(testVars)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("expand(%s) = %s, want %s", tt.in, got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("%s is not valid JSON", got)
			}
		})
	}
}

func TestJSONTemplateErrorsNameTheirPath(t *testing.T) {
	_, err := parseJSONTemplate(json.RawMessage(`{"order": {"id": "${order.id}", "items": ["ok", "${nope"]}, "odd key": "${x}"}`))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"config.payload_json.order.id: unknown placeholder ${order.id}",
		"config.payload_json.order.items[1]: the placeholder at byte 0 has no closing }",
		`config.payload_json["odd key"]: unknown placeholder ${x}`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	fields := sdk.FieldErrors(err)
	if len(fields) != 3 || fields[0].Field != "config.payload_json.order.id" || fields[1].Field != "config.payload_json.order.items[1]" || fields[2].Field != "config" {
		t.Errorf("field errors = %+v", fields)
	}
}
