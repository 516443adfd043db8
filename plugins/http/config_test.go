package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDecodeConfigDefaults(t *testing.T) {
	cfg, err := decodeConfig(json.RawMessage(`{"url":"https://backup.example.com/v1/backup"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Method != http.MethodGet || cfg.Timeout != 30*time.Second || !cfg.CaptureResponse ||
		cfg.MaxResponseBytes != 65536 || cfg.IdempotencyHeader != "Idempotency-Key" || cfg.Expected.String() != "2xx" {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestDecodeConfigSeedExample(t *testing.T) {
	cfg, err := decodeConfig(json.RawMessage(`{"method":"POST","url":"https://backup.example.com/v1/backup","headers":{"Authorization":"Bearer x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Method != http.MethodPost || cfg.URL.Host != "backup.example.com" || cfg.Headers["Authorization"] != "Bearer x" {
		t.Errorf("cfg = %+v", cfg)
	}
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		wantErr string // "" for a valid config
	}{
		{"every field", `{"method":"PUT","url":"http://x:8080/p?q=1","headers":{"X-A":"b"},"body":"{}","timeout":"1m30s","expected_status":[200,"3xx","400-404","204"],"capture_response":false,"max_response_bytes":1048576,"idempotency_header":"X-Request-Id"}`, ""},
		{"idempotency header disabled", `{"url":"https://x","idempotency_header":""}`, ""},
		{"timeout at the maximum", `{"url":"https://x","timeout":"5m"}`, ""},
		{"url is required", `{}`, "config.url: is required"},
		{"url must be http", `{"url":"ftp://x/y"}`, "config.url: \"ftp://x/y\" must start with http:// or https://"},
		{"url must have a host", `{"url":"https:///path"}`, "has no host"},
		{"relative url", `{"url":"/v1/backup"}`, "must start with http"},
		{"url that does not parse", `{"url":"https://x/%zz"}`, "config.url: is not a URL"},
		{"url query is not echoed", `{"url":"ftp://x/?token=secret"}`, `"ftp://x/?…"`},
		{"lower-case method", `{"url":"https://x","method":"post"}`, `config.method: "post" is not one of GET, HEAD, POST`},
		{"unknown method", `{"url":"https://x","method":"BREW"}`, "config.method"},
		{"bad header name", `{"url":"https://x","headers":{"Bad Name":"v"}}`, `config.headers: "Bad Name" is not a valid header name`},
		{"header value with newline", `{"url":"https://x","headers":{"X":"a\r\nInjected: 1"}}`, "config.headers.X: the value holds a line break"},
		{"timeout not a duration", `{"url":"https://x","timeout":"30"}`, `config.timeout: "30" is not a duration`},
		{"timeout too long", `{"url":"https://x","timeout":"6m"}`, "longer than the maximum of 5m0s"},
		{"timeout zero", `{"url":"https://x","timeout":"0s"}`, "must be positive"},
		{"timeout as a number", `{"url":"https://x","timeout":30}`, "config.timeout: expected string, got number"},
		{"empty expected_status", `{"url":"https://x","expected_status":[]}`, "config.expected_status: is empty"},
		{"expected_status out of range", `{"url":"https://x","expected_status":[200,700]}`, "config.expected_status: [1]: 700 is not an HTTP status"},
		{"expected_status bad class", `{"url":"https://x","expected_status":["6xx"]}`, `"6xx" is not a status, class or range`},
		{"expected_status reversed range", `{"url":"https://x","expected_status":["299-200"]}`, "empty range"},
		{"expected_status object", `{"url":"https://x","expected_status":[{}]}`, "neither a status code nor a string"},
		{"max_response_bytes above 1 MiB", `{"url":"https://x","max_response_bytes":2000000}`, "config.max_response_bytes: 2000000 is more than the maximum of 1048576"},
		{"max_response_bytes zero", `{"url":"https://x","max_response_bytes":0}`, "must be at least 1"},
		{"bad idempotency header", `{"url":"https://x","idempotency_header":"Idempotency Key"}`, "config.idempotency_header"},
		{"unknown field", `{"url":"https://x","expect":[200]}`, `config: unknown field "expect"`},
		{"every problem is reported", `{"url":"","method":"get","timeout":"1h"}`, "config.method"},
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

func TestDecodeConfigReportsEveryProblem(t *testing.T) {
	_, err := decodeConfig(json.RawMessage(`{"url":"","method":"get","timeout":"1h"}`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, field := range []string{"config.url", "config.method", "config.timeout"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func TestStatusSet(t *testing.T) {
	tests := []struct {
		name     string
		entries  string
		in, out  []int
		wantText string
	}{
		{"class", `["2xx"]`, []int{200, 204, 299}, []int{199, 300, 503}, "2xx"},
		{"upper-case class", `["5XX"]`, []int{500, 599}, []int{499}, "5XX"},
		{"codes", `[200, 201]`, []int{200, 201}, []int{202, 204}, "200, 201"},
		{"code as a string", `["204"]`, []int{204}, []int{200}, "204"},
		{"range", `["300-308"]`, []int{300, 304, 308}, []int{299, 309}, "300-308"},
		{"mixed", `["2xx", 304, "404"]`, []int{200, 304, 404}, []int{301, 500}, "2xx, 304, 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var entries []json.RawMessage
			if err := json.Unmarshal([]byte(tt.entries), &entries); err != nil {
				t.Fatal(err)
			}
			set, err := parseStatusSet(entries)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.in {
				if !set.contains(s) {
					t.Errorf("%d is not in %s", s, set)
				}
			}
			for _, s := range tt.out {
				if set.contains(s) {
					t.Errorf("%d is in %s", s, set)
				}
			}
			if set.String() != tt.wantText {
				t.Errorf("text = %q, want %q", set, tt.wantText)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://backup.example.com/v1/backup":         "https://backup.example.com/v1/backup",
		"https://user:pass@x.example/p?token=abc#frag": "https://x.example/p?…",
		"http://x.example:8080":                        "http://x.example:8080",
		"https://x.example/a%2Fb":                      "https://x.example/a%2Fb",
		"::not a url":                                  "",
	} {
		if got := redactRawURL(raw); got != want {
			t.Errorf("redact(%q) = %q, want %q", raw, got, want)
		}
	}
}
