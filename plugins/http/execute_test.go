package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/sdk"
	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

const seedConfig = `{"method":"POST","url":"https://backup.example.com/v1/backup","headers":{"Authorization":"Bearer x"}}`

func respond(status int, body string) func(sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	return func(req sdk.HTTPRequest) (sdk.HTTPResponse, error) {
		return sdk.HTTPResponse{
			Status:   status,
			Headers:  sdk.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"session=secret"}, "Vary": {"A", "B"}},
			Body:     []byte(body),
			URL:      req.URL,
			Duration: 12 * time.Millisecond,
		}, nil
	}
}

func run(t *testing.T, host *sdktest.Host, config string) (sdk.Output, error) {
	t.Helper()
	return sdktest.Execute(handle, host, json.RawMessage(config), sdktest.Execution())
}

func TestExecuteSeedExample(t *testing.T) {
	host := sdktest.NewHost()
	host.HTTPFunc = respond(202, `{"job":"b-1"}`)
	out, err := run(t, host, seedConfig)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != sdk.StatusSucceeded {
		t.Fatalf("output = %+v", out)
	}
	reqs := host.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	req := reqs[0]
	wantHeaders := map[string]string{"Authorization": "Bearer x", "Idempotency-Key": sdktest.Execution().ID}
	if req.Method != http.MethodPost || req.URL != "https://backup.example.com/v1/backup" || !reflect.DeepEqual(req.Headers, wantHeaders) ||
		req.Timeout != 30*time.Second || req.MaxResponseBytes != 65536 || req.DisableRedirects {
		t.Errorf("request = %+v", req)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Result, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"status":      float64(202),
		"headers":     map[string]any{"Content-Type": "application/json", "Set-Cookie": "[redacted]", "Vary": "A, B"},
		"body":        `{"job":"b-1"}`,
		"truncated":   false,
		"duration_ms": float64(12),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("result = %v, want %v", got, want)
	}
}

func TestExecute(t *testing.T) {
	tests := []struct {
		name       string
		config     string
		http       func(sdk.HTTPRequest) (sdk.HTTPResponse, error)
		wantStatus sdk.Status
		wantError  string         // the failed result's message
		wantResult map[string]any // fields of the result to check
		check      func(t *testing.T, req sdk.HTTPRequest)
	}{
		{
			name:       "unexpected status fails with the status, target and expectation",
			config:     seedConfig,
			http:       respond(503, "busy"),
			wantStatus: sdk.StatusFailed,
			wantError:  "HTTP 503 from POST https://backup.example.com/v1/backup (expected 2xx)",
			wantResult: map[string]any{"status": float64(503), "body": "busy"},
		},
		{
			name:       "expected codes",
			config:     `{"url":"https://x.example/?token=secret","expected_status":[200,201]}`,
			http:       respond(204, ""),
			wantStatus: sdk.StatusFailed,
			wantError:  "HTTP 204 from GET https://x.example/?… (expected 200, 201)",
		},
		{
			name:       "3xx expected",
			config:     `{"url":"https://x.example","expected_status":["3xx"]}`,
			http:       respond(304, ""),
			wantStatus: sdk.StatusSucceeded,
		},
		{
			name:   "transport error fails with its kind and message",
			config: seedConfig,
			http: func(sdk.HTTPRequest) (sdk.HTTPResponse, error) {
				return sdk.HTTPResponse{}, &sdk.HTTPError{Kind: sdk.HTTPErrorRefused, Message: "10.0.0.1 is a private address"}
			},
			wantStatus: sdk.StatusFailed,
			wantError:  "POST https://backup.example.com/v1/backup: refused: 10.0.0.1 is a private address",
			wantResult: map[string]any{"error": map[string]any{"kind": "refused", "message": "10.0.0.1 is a private address"}},
		},
		{
			name:       "user's idempotency header wins, in any case",
			config:     `{"url":"https://x.example","headers":{"idempotency-key":"mine"}}`,
			http:       respond(200, ""),
			wantStatus: sdk.StatusSucceeded,
			check: func(t *testing.T, req sdk.HTTPRequest) {
				if !reflect.DeepEqual(req.Headers, map[string]string{"idempotency-key": "mine"}) {
					t.Errorf("headers = %v", req.Headers)
				}
			},
		},
		{
			name:       "custom idempotency header",
			config:     `{"url":"https://x.example","idempotency_header":"X-Request-Id"}`,
			http:       respond(200, ""),
			wantStatus: sdk.StatusSucceeded,
			check: func(t *testing.T, req sdk.HTTPRequest) {
				if req.Headers["X-Request-Id"] != sdktest.Execution().ID || len(req.Headers) != 1 {
					t.Errorf("headers = %v", req.Headers)
				}
			},
		},
		{
			name:       "idempotency header disabled",
			config:     `{"url":"https://x.example","idempotency_header":""}`,
			http:       respond(200, ""),
			wantStatus: sdk.StatusSucceeded,
			check: func(t *testing.T, req sdk.HTTPRequest) {
				if len(req.Headers) != 0 {
					t.Errorf("headers = %v", req.Headers)
				}
			},
		},
		{
			name:       "body, timeout and limit are passed on",
			config:     `{"method":"PUT","url":"https://x.example","body":"{\"a\":1}","timeout":"2s","max_response_bytes":4}`,
			http:       respond(200, "0123456789"),
			wantStatus: sdk.StatusSucceeded,
			wantResult: map[string]any{"body": "0123", "truncated": true},
			check: func(t *testing.T, req sdk.HTTPRequest) {
				if string(req.Body) != `{"a":1}` || req.Timeout != 2*time.Second || req.MaxResponseBytes != 4 {
					t.Errorf("request = %+v", req)
				}
			},
		},
		{
			name:       "capture_response false records the status only",
			config:     `{"url":"https://x.example","capture_response":false}`,
			http:       respond(200, "secret body"),
			wantStatus: sdk.StatusSucceeded,
			wantResult: map[string]any{"status": float64(200), "truncated": false, "duration_ms": float64(12)},
		},
		{
			name:   "a cut inside a character drops the character",
			config: `{"url":"https://x.example","max_response_bytes":4}`,
			http: func(sdk.HTTPRequest) (sdk.HTTPResponse, error) {
				return sdk.HTTPResponse{Status: 200, Body: []byte("abcé")[:4], Truncated: true}, nil
			},
			wantStatus: sdk.StatusSucceeded,
			wantResult: map[string]any{"body": "abc", "truncated": true},
		},
		{
			name:   "binary bodies are recorded as base64",
			config: `{"url":"https://x.example"}`,
			http: func(sdk.HTTPRequest) (sdk.HTTPResponse, error) {
				return sdk.HTTPResponse{Status: 200, Body: []byte{0xff, 0xfe, 0xfd, 0xfc}}, nil
			},
			wantStatus: sdk.StatusSucceeded,
			wantResult: map[string]any{"body_base64": "//79/A=="},
		},
		{
			name:   "the final url is recorded after a redirect",
			config: `{"url":"https://x.example/old"}`,
			http: func(sdk.HTTPRequest) (sdk.HTTPResponse, error) {
				return sdk.HTTPResponse{Status: 200, URL: "https://x.example/new?sig=1"}, nil
			},
			wantStatus: sdk.StatusSucceeded,
			wantResult: map[string]any{"url": "https://x.example/new?…"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := sdktest.NewHost()
			host.HTTPFunc = tt.http
			out, err := run(t, host, tt.config)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tt.wantStatus || out.Error != tt.wantError {
				t.Errorf("status = %q, error = %q; want %q, %q", out.Status, out.Error, tt.wantStatus, tt.wantError)
			}
			var got map[string]any
			if err := json.Unmarshal(out.Result, &got); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.wantResult {
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("result[%q] = %v, want %v (result %v)", k, got[k], want, got)
				}
			}
			if tt.name == "capture_response false records the status only" && len(got) != len(tt.wantResult) {
				t.Errorf("result = %v, want only %v", got, tt.wantResult)
			}
			if tt.check != nil {
				tt.check(t, host.Requests()[0])
			}
		})
	}
}

func TestExecuteInvalidConfigIsAnError(t *testing.T) {
	host := sdktest.NewHost()
	_, err := run(t, host, `{"url":"ftp://x","timeout":"forever"}`)
	if err == nil || !strings.Contains(err.Error(), "config.url") || !strings.Contains(err.Error(), "config.timeout") {
		t.Fatalf("err = %v", err)
	}
	if len(host.Requests()) != 0 {
		t.Error("a request was sent with an invalid config")
	}
}

func TestExecuteLogs(t *testing.T) {
	host := sdktest.NewHost()
	host.HTTPFunc = respond(200, "")
	if _, err := run(t, host, `{"url":"https://x.example/p?token=secret"}`); err != nil {
		t.Fatal(err)
	}
	logs := host.Logs()
	if len(logs) != 2 {
		t.Fatalf("logs = %v", logs)
	}
	for _, l := range logs {
		if strings.Contains(l.Msg, "secret") {
			t.Errorf("log line leaks the query: %q", l.Msg)
		}
	}
	if logs[1].Level != sdk.LevelInfo || logs[1].Msg != "response status=200 duration_ms=12" {
		t.Errorf("last line = %+v", logs[1])
	}
}
