package host_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/host"
)

// The built-in HTTP executor, run for real: the plugin built from
// plugins/http, the host's http_request, a local sink.

type sink struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	srv      *httptest.Server
}

func newSink(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *sink {
	t.Helper()
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, r)
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func httpExecutor(t *testing.T, allowLoopback bool) *host.Executor {
	t.Helper()
	lim := host.Limits{}
	if allowLoopback {
		lim.Network.AllowAddrs = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: newRuntime(t, nil), Builtins: map[string][]byte{"http": httpWasm}, Limits: lim})
	if err := ex.Precompile(t.Context()); err != nil {
		t.Fatal(err)
	}
	return ex
}

func httpTask(config string) core.Task {
	t := core.Task{Name: "daily_backup", Executor: "http", Config: json.RawMessage(config)}
	t.Normalize()
	return t
}

func TestHTTPPluginSeedConfigValidates(t *testing.T) {
	ex := httpExecutor(t, false)
	seed := `{"method":"POST","url":"https://backup.example.com/v1/backup","headers":{"Authorization":"Bearer ____"}}`
	if err := ex.ValidateConfig(t.Context(), httpTask(seed)); err != nil {
		t.Fatalf("the seed's config: %v", err)
	}
	err := ex.ValidateConfig(t.Context(), httpTask(`{"method":"FETCH","url":"ftp://x","color":"red"}`))
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a ValidationError", err)
	}
	fields := map[string]bool{}
	for _, f := range ve.Fields {
		fields[f.Field] = true
	}
	for _, f := range []string{"config.method", "config.url", "config"} {
		if !fields[f] {
			t.Errorf("no error on %s: %v", f, ve)
		}
	}
}

func TestHTTPPluginPostsWithIdempotencyKey(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"job":"42"}`)
	})
	ex := httpExecutor(t, true)
	task := httpTask(`{"method":"POST","url":"` + s.srv.URL + `/v1/backup","headers":{"Authorization":"Bearer t0k"},"body":"{\"full\":true}"}`)
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution})
	if res.Status != core.StatusSucceeded {
		t.Fatalf("result = %+v", res)
	}
	if s.count() != 1 {
		t.Fatalf("sink saw %d requests", s.count())
	}
	r := s.requests[0]
	if r.Method != http.MethodPost || r.URL.Path != "/v1/backup" || r.Header.Get("Authorization") != "Bearer t0k" ||
		r.Header.Get("Idempotency-Key") != execution.ID || s.bodies[0] != `{"full":true}` {
		t.Fatalf("sink got %s %s %v body %q", r.Method, r.URL, r.Header, s.bodies[0])
	}
	if !strings.Contains(res.Output, `"status":202`) || !strings.Contains(res.Output, `job`) {
		t.Fatalf("output = %s", res.Output)
	}
}

func TestHTTPPluginUnexpectedStatusFails(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	ex := httpExecutor(t, true)
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: httpTask(`{"url":"` + s.srv.URL + `"}`), Execution: execution})
	if res.Status != core.StatusFailed || !strings.Contains(res.Error, "HTTP 503") || !strings.Contains(res.Error, "expected 2xx") {
		t.Fatalf("result = %+v", res)
	}
}

func TestHTTPPluginRefusedAddresses(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	// Loopback is refused without the policy, before any connection.
	ex := httpExecutor(t, false)
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: httpTask(`{"url":"` + s.srv.URL + `"}`), Execution: execution})
	if res.Status != core.StatusFailed || !strings.Contains(res.Error, "refused") || s.count() != 0 {
		t.Fatalf("loopback without policy: %+v (sink saw %d)", res, s.count())
	}
	// With loopback allowed, the redirect to the metadata address is refused.
	ex = httpExecutor(t, true)
	res = ex.Execute(t.Context(), core.ExecuteRequest{Task: httpTask(`{"url":"` + s.srv.URL + `"}`), Execution: execution})
	if res.Status != core.StatusFailed || !strings.Contains(res.Error, "refused") || !strings.Contains(res.Error, "169.254.169.254") {
		t.Fatalf("redirect to metadata: %+v", res)
	}
}
