package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/host/internal/egress"
)

func newRuntime(t testing.TB, kv host.KV) *host.Runtime {
	t.Helper()
	rt, err := host.NewRuntime(context.Background(), host.Config{CacheDir: cacheDir, KV: kv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

func compileFixture(t testing.TB, rt *host.Runtime, pages uint32) *host.Compiled {
	t.Helper()
	c, err := rt.Compile(context.Background(), fixtureWasm, pages)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type logLine struct {
	level host.Level
	msg   string
}

func TestContractRoundTrip(t *testing.T) {
	rt := newRuntime(t, nil)
	c := compileFixture(t, rt, 0)
	var lines []logLine
	input := `{"config":{"url":"https://example.com"},"execution":{"id":"e1","attempt":1}}`
	res, err := c.Call(t.Context(), host.CallRequest{
		Namespace:    "default",
		Input:        []byte(input),
		ExtismConfig: map[string]string{"greeting": "hello"},
		Log:          func(l host.Level, m string) { lines = append(lines, logLine{l, m}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Status string `json:"status"`
		Result struct {
			Input    json.RawMessage `json:"input"`
			Greeting string          `json:"greeting"`
		} `json:"result"`
	}
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatalf("output %q: %v", res.Output, err)
	}
	if out.Status != "succeeded" || out.Result.Greeting != "hello" || string(out.Result.Input) != input {
		t.Fatalf("output = %s", res.Output)
	}
	want := []logLine{{host.LevelInfo, "kronos log line"}, {host.LevelWarn, "extism log line"}}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Fatalf("log lines = %v, want %v", lines, want)
	}
}

func TestWarmCallsReuseOneInstance(t *testing.T) {
	rt := newRuntime(t, nil)
	c := compileFixture(t, rt, 0)
	for range 10 {
		if _, err := c.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "noop"}); err != nil {
			t.Fatal(err)
		}
	}
	again := compileFixture(t, rt, 0)
	if again.Hash() != c.Hash() {
		t.Fatal("same bytes, other hash")
	}
	if _, err := again.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "noop"}); err != nil {
		t.Fatal(err)
	}
	if s := rt.Stats(); s.Compiled != 1 || s.Instantiated != 1 || s.Idle != 1 {
		t.Fatalf("stats = %+v, want 1 compiled, 1 instance made, 1 idle", s)
	}
	// Another namespace gets its own instance: pools are never shared.
	if _, err := c.Call(t.Context(), host.CallRequest{Namespace: "b", Function: "noop"}); err != nil {
		t.Fatal(err)
	}
	if s := rt.Stats(); s.Instantiated != 2 {
		t.Fatalf("stats = %+v, want a second instance for namespace b", s)
	}
	// Another memory limit is another compilation.
	compileFixture(t, rt, 2048)
	if s := rt.Stats(); s.Compiled != 2 {
		t.Fatalf("stats = %+v, want 2 compiled", s)
	}
}

func wantKind(t *testing.T, err error, kind host.ErrorKind, mentions string) {
	t.Helper()
	var ce *host.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want a CallError of kind %s", err, kind)
	}
	if ce.Kind != kind || !strings.Contains(ce.Msg, mentions) {
		t.Fatalf("error = %s: %q; want kind %s mentioning %q", ce.Kind, ce.Msg, kind, mentions)
	}
}

func TestPluginErrorKeepsTheInstance(t *testing.T) {
	rt := newRuntime(t, nil)
	c := compileFixture(t, rt, 0)
	_, err := c.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "fail"})
	wantKind(t, err, host.KindPluginError, "backup target said no")
	if ce := (*host.CallError)(nil); errors.As(err, &ce) && strings.Contains(ce.Msg, "wasm") {
		t.Fatalf("a plugin error should carry only the plugin's message: %q", ce.Msg)
	}
	if _, err := c.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "noop"}); err != nil {
		t.Fatal(err)
	}
	if s := rt.Stats(); s.Instantiated != 1 {
		t.Fatalf("stats = %+v: a plugin error should not cost the instance", s)
	}
}

// Each limit trips, the call ends with its kind and a message naming the
// setting, the instance is thrown away, and the next call still works.
func TestLimitsTripAndThePoolStaysHealthy(t *testing.T) {
	for _, c := range []struct {
		name     string
		function string
		pages    uint32
		limits   host.Limits
		kind     host.ErrorKind
		mentions string
		discards bool
	}{
		{"trap", "trap", 0, host.Limits{}, host.KindTrap, "plugin trapped", true},
		{"endless loop hits the timeout", "loop", 0, host.Limits{Timeout: 300 * time.Millisecond}, host.KindTimeout, "raise the task's timeout", true},
		{"unbounded allocation hits the memory limit", "alloc", 256, host.Limits{Timeout: 30 * time.Second}, host.KindTrap, "settings.wasm.memory_pages", true},
		{"log flood hits the log limit", "flood", 0, host.Limits{MaxLogBytes: 16 << 10, Timeout: 30 * time.Second}, host.KindLogLimit, "settings.wasm.max_log_bytes", true},
		{"large output hits the output limit", "bigout", 0, host.Limits{MaxOutputBytes: 1 << 20}, host.KindOutputLimit, "settings.wasm.max_output_bytes", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt := newRuntime(t, nil)
			comp := compileFixture(t, rt, c.pages)
			_, err := comp.Call(t.Context(), host.CallRequest{Namespace: "a", Function: c.function, Limits: c.limits})
			wantKind(t, err, c.kind, c.mentions)
			before := rt.Stats()
			if c.discards && before.Idle != 0 {
				t.Fatalf("stats after %s = %+v: the instance went back to the pool", c.name, before)
			}
			res, err := comp.Call(t.Context(), host.CallRequest{Namespace: "a", Input: []byte(`{}`)})
			if err != nil || len(res.Output) == 0 {
				t.Fatalf("call after %s: %v", c.name, err)
			}
		})
	}
}

func TestCallerCancel(t *testing.T) {
	rt := newRuntime(t, nil)
	c := compileFixture(t, rt, 0)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	_, err := c.Call(ctx, host.CallRequest{Namespace: "a", Function: "loop", Limits: host.Limits{Timeout: time.Minute}})
	wantKind(t, err, host.KindCanceled, "canceled")
}

func TestUnknownExport(t *testing.T) {
	rt := newRuntime(t, nil)
	c := compileFixture(t, rt, 0)
	_, err := c.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "nope"})
	wantKind(t, err, host.KindHost, `exports no function "nope"`)
}

func TestBadLimitsNameTheSetting(t *testing.T) {
	rt := newRuntime(t, nil)
	if _, err := rt.Compile(t.Context(), fixtureWasm, 8); err == nil || !strings.Contains(err.Error(), "settings.wasm.memory_pages") {
		t.Fatalf("8 pages: error = %v", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	rt := newRuntime(t, nil)
	c := compileFixture(t, rt, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				in := fmt.Sprintf(`{"g":%d,"i":%d}`, g, i)
				res, err := c.Call(context.Background(), host.CallRequest{Namespace: "a", Input: []byte(in)})
				if err != nil {
					errs <- err
					return
				}
				if !strings.Contains(string(res.Output), in) {
					errs <- fmt.Errorf("output %s does not hold its own input %s", res.Output, in)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s := rt.Stats(); s.Instantiated > 4 {
		t.Fatalf("stats = %+v: more instances than concurrent callers", s)
	}
}

// memKV is a KV for tests of the host functions; the Store-backed KV has
// its own conformance tests.
type memKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (k *memKV) Get(_ context.Context, ns, key string) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[ns+"/"+key]
	return v, ok, nil
}

func (k *memKV) Set(_ context.Context, ns, key string, v []byte, _ time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string][]byte{}
	}
	k.m[ns+"/"+key] = v
	return nil
}

func (k *memKV) Delete(_ context.Context, ns, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, ns+"/"+key)
	return nil
}

func countOnce(t *testing.T, c *host.Compiled, ns string) map[string]any {
	t.Helper()
	res, err := c.Call(t.Context(), host.CallRequest{Namespace: ns, Function: "count"})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKVHostFunctions(t *testing.T) {
	rt := newRuntime(t, &memKV{})
	c := compileFixture(t, rt, 0)
	for i, ns := range []string{"a", "a", "a", "b"} {
		want := map[int]float64{0: 1, 1: 2, 2: 3, 3: 1}[i]
		if got := countOnce(t, c, ns); got["count"] != want {
			t.Fatalf("call %d in %s: %v, want count %v", i, ns, got, want)
		}
	}
	noKV := compileFixture(t, newRuntime(t, nil), 0)
	got := countOnce(t, noKV, "a")
	if set, _ := got["set"].(map[string]any); !strings.Contains(fmt.Sprint(set["error"]), "kv is not available") {
		t.Fatalf("without kv: %v", got)
	}
}

func fetch(t *testing.T, c *host.Compiled, lim host.Limits, req map[string]any) map[string]any {
	t.Helper()
	in, _ := json.Marshal(req)
	res, err := c.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "fetch", Input: in, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHTTPHostFunction(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo-Method", r.Method)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "got %s %s", r.Header.Get("Authorization"), body)
	}))
	t.Cleanup(srv.Close)
	rt := newRuntime(t, nil)
	c := compileFixture(t, rt, 0)
	loopback := host.Limits{Network: egress.Policy{AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}

	ok := fetch(t, c, loopback, map[string]any{"method": "POST", "url": srv.URL, "headers": map[string]string{"Authorization": "Bearer x"}, "body": "payload"})
	if ok["status"] != float64(201) || ok["body"] != "got Bearer x payload" {
		t.Fatalf("allowed request: %v", ok)
	}
	if h, _ := ok["headers"].(map[string]any); fmt.Sprint(h["X-Echo-Method"]) != "[POST]" {
		t.Fatalf("response headers: %v", ok["headers"])
	}
	refused := fetch(t, c, host.Limits{}, map[string]any{"url": srv.URL})
	if e, _ := refused["error"].(map[string]any); e["kind"] != "refused" {
		t.Fatalf("loopback without policy: %v", refused)
	}
	capped := fetch(t, c, loopback, map[string]any{"url": srv.URL, "max_response_bytes": 3})
	if capped["body"] != "got" || capped["truncated"] != true {
		t.Fatalf("capped: %v", capped)
	}
	bad := fetch(t, c, loopback, map[string]any{"url": "ftp://example.com/x"})
	if bad["error"] == nil {
		t.Fatalf("ftp url: %v", bad)
	}
}

func TestDescribeAndConfigSchema(t *testing.T) {
	rt := newRuntime(t, nil)
	c := compileFixture(t, rt, 0)
	d, err := c.Describe(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "fixture" || d.Version != "0.1.0" || len(d.ConfigSchema) == 0 {
		t.Fatalf("describe = %+v", d)
	}
	schema, err := host.CompileConfigSchema(d.ConfigSchema)
	if err != nil {
		t.Fatal(err)
	}
	if errs := schema.Validate(json.RawMessage(`{"url":"https://x","retries":2,"headers":{"A":"b"}}`)); len(errs) != 0 {
		t.Fatalf("valid config refused: %v", errs)
	}
	errs := schema.Validate(json.RawMessage(`{"url":"ftp://x","retries":9,"headers":{"A":1},"extra":true}`))
	fields := map[string]string{}
	for _, e := range errs {
		fields[e.Field] = e.Message
	}
	for _, f := range []string{"config.url", "config.retries", "config.headers.A", "config"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("no error for %s; got %v", f, fields)
		}
	}
	if errs := schema.Validate(json.RawMessage(`{}`)); len(errs) != 1 || !strings.Contains(errs[0].Message, "url") {
		t.Errorf("missing url: %v", errs)
	}
	if _, err := host.CompileConfigSchema(json.RawMessage(`{"type": 7}`)); err == nil {
		t.Error("a broken schema compiled")
	}
}

func TestCompilationCacheOnDisk(t *testing.T) {
	dir := t.TempDir() + "/cache"
	rt, err := host.NewRuntime(t.Context(), host.Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Compile(t.Context(), exporting("execute", 0x7f), 0); err != nil {
		t.Fatal(err)
	}
	_ = rt.Close(t.Context())
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir: %v, mode %v", err, fi.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) == 0 {
		t.Fatal("compilation cache is empty after a compile")
	}
}
