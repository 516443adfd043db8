package sdk

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeRaw records the documents sent to each host function and answers
// with a canned response.
type fakeRaw struct {
	logs      []string
	levels    []Level
	fn        string
	req       map[string]any
	responses map[string]string
}

func (f *fakeRaw) log(level Level, msg string) {
	f.levels = append(f.levels, level)
	f.logs = append(f.logs, msg)
}

func (f *fakeRaw) call(fn string, req []byte) []byte {
	f.fn = fn
	f.req = nil
	if err := json.Unmarshal(req, &f.req); err != nil {
		panic(err)
	}
	resp, ok := f.responses[fn]
	if !ok {
		return nil
	}
	return []byte(resp)
}

func TestWireHTTPRequestJSON(t *testing.T) {
	tests := []struct {
		name string
		req  HTTPRequest
		want string
	}{
		{
			"method defaults to GET and zero fields are left out",
			HTTPRequest{URL: "https://x"},
			`{"method":"GET","url":"https://x"}`,
		},
		{
			"every field",
			HTTPRequest{
				Method: "POST", URL: "https://x/y", Headers: map[string]string{"K": "v"}, Body: []byte("text"),
				Timeout: 10 * time.Second, DisableRedirects: true, MaxResponseBytes: 1 << 20,
			},
			`{"method":"POST","url":"https://x/y","headers":{"K":"v"},"body":"text","timeout_ms":10000,"follow_redirects":false,"max_response_bytes":1048576}`,
		},
		{
			"binary bodies go as base64",
			HTTPRequest{Method: "PUT", URL: "https://x", Body: []byte{0xff, 0x00}},
			`{"method":"PUT","url":"https://x","body_base64":"/wA="}`,
		},
		{
			"sub-millisecond timeouts round up",
			HTTPRequest{URL: "https://x", Timeout: time.Microsecond},
			`{"method":"GET","url":"https://x","timeout_ms":1}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := &fakeRaw{responses: map[string]string{hostFuncHTTP: `{"status":204}`}}
			if _, err := (wireHost{raw}).HTTP(tt.req); err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if raw.fn != hostFuncHTTP || !reflect.DeepEqual(raw.req, want) {
				t.Errorf("%s got %v, want %v", raw.fn, raw.req, want)
			}
		})
	}
}

func TestWireHTTPResponse(t *testing.T) {
	tests := []struct {
		name     string
		resp     string // "" for no response at all
		want     HTTPResponse
		wantKind HTTPErrorKind
	}{
		{
			"text body",
			`{"status":200,"headers":{"Content-Type":["text/plain"]},"body":"hi","url":"https://x/final","duration_ms":12}`,
			HTTPResponse{Status: 200, Headers: Header{"Content-Type": {"text/plain"}}, Body: []byte("hi"), URL: "https://x/final", Duration: 12 * time.Millisecond},
			"",
		},
		{
			"binary body and truncation",
			`{"status":200,"body_base64":"/wA=","truncated":true}`,
			HTTPResponse{Status: 200, Headers: Header{}, Body: []byte{0xff, 0}, Truncated: true},
			"",
		},
		{"error value", `{"status":0,"error":{"kind":"timeout","message":"no answer in 10s"}}`, HTTPResponse{}, HTTPErrorTimeout},
		{"error without a kind", `{"error":{"message":"?"}}`, HTTPResponse{}, HTTPErrorOther},
		{"no status and no error", `{}`, HTTPResponse{}, HTTPErrorOther},
		{"not JSON", `nope`, HTTPResponse{}, HTTPErrorOther},
		{"bad base64", `{"status":200,"body_base64":"!!"}`, HTTPResponse{}, HTTPErrorOther},
		{"no response", "", HTTPResponse{}, HTTPErrorOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := &fakeRaw{responses: map[string]string{}}
			if tt.resp != "" {
				raw.responses[hostFuncHTTP] = tt.resp
			}
			got, err := (wireHost{raw}).HTTP(HTTPRequest{URL: "https://x"})
			if tt.wantKind != "" {
				var he *HTTPError
				if !errors.As(err, &he) || he.Kind != tt.wantKind {
					t.Fatalf("err = %#v, want kind %q", err, tt.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHTTPErrorMessage(t *testing.T) {
	err := error(&HTTPError{Kind: HTTPErrorDNS, Message: "no such host backup.example.com"})
	if got := err.Error(); got != "dns: no such host backup.example.com" {
		t.Errorf("got %q", got)
	}
}

func TestHeaderGet(t *testing.T) {
	h := Header{"Content-Type": {"text/plain", "x"}, "x-lower": {"v"}, "Empty": {}}
	for name, want := range map[string]string{"Content-Type": "text/plain", "content-type": "text/plain", "X-Lower": "v", "Empty": "", "Missing": ""} {
		if got := h.Get(name); got != want {
			t.Errorf("Get(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestWireKV(t *testing.T) {
	raw := &fakeRaw{responses: map[string]string{
		hostFuncKVGet:    `{"found":true,"value_base64":"NDI="}`,
		hostFuncKVSet:    `{}`,
		hostFuncKVDelete: `{}`,
	}}
	kv := &KV{host: wireHost{raw}}

	v, found, err := kv.Get("counter")
	if err != nil || !found || string(v) != "42" {
		t.Fatalf("Get = %q, %v, %v", v, found, err)
	}
	if want := map[string]any{"key": "counter"}; raw.fn != hostFuncKVGet || !reflect.DeepEqual(raw.req, want) {
		t.Errorf("%s got %v, want %v", raw.fn, raw.req, want)
	}

	if err := kv.Set("counter", []byte("43"), 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"key": "counter", "value_base64": "NDM=", "ttl_ms": float64(90000)}; raw.fn != hostFuncKVSet || !reflect.DeepEqual(raw.req, want) {
		t.Errorf("%s got %v, want %v", raw.fn, raw.req, want)
	}

	if err := kv.Delete("counter"); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"key": "counter"}; raw.fn != hostFuncKVDelete || !reflect.DeepEqual(raw.req, want) {
		t.Errorf("%s got %v, want %v", raw.fn, raw.req, want)
	}

	if err := kv.Set("k", nil, -time.Second); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative ttl: err = %v", err)
	}
}

func TestWireKVResponses(t *testing.T) {
	tests := []struct {
		name, resp string
		wantFound  bool
		wantErr    string
	}{
		{"absent", `{}`, false, ""},
		{"found empty value", `{"found":true}`, true, ""},
		{"host error", `{"error":"kv_set: value is 70000 bytes; the limit is 65536"}`, false, `kv get "k": kv_set: value is 70000 bytes`},
		{"not JSON", `x`, false, "not valid JSON"},
		{"bad base64", `{"found":true,"value_base64":"!"}`, false, "not base64"},
		{"no response", "", false, "no response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := &fakeRaw{responses: map[string]string{}}
			if tt.resp != "" {
				raw.responses[hostFuncKVGet] = tt.resp
			}
			_, found, err := (&KV{host: wireHost{raw}}).Get("k")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || found != tt.wantFound {
				t.Fatalf("found = %v, err = %v", found, err)
			}
		})
	}
}

func TestWireLog(t *testing.T) {
	raw := &fakeRaw{}
	l := &Logger{host: wireHost{raw}}
	l.Debug("a")
	l.Info("b", "k", 1)
	l.Warn("c")
	l.Error("d")
	if want := []string{"a", "b k=1", "c", "d"}; !reflect.DeepEqual(raw.logs, want) {
		t.Errorf("logs = %q, want %q", raw.logs, want)
	}
	if want := []Level{LevelDebug, LevelInfo, LevelWarn, LevelError}; !reflect.DeepEqual(raw.levels, want) {
		t.Errorf("levels = %v, want %v", raw.levels, want)
	}
}
