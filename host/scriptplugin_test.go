package host_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/internal/wasmtest"
)

// The built-in Script executor, run for real: the plugin built from
// plugins/script (goja compiled to wasip1), the host's http_request, kv
// and limits.

// scriptWasm builds plugins/script once per test binary; only the tests
// that need it pay for the build (a minute the first time, then cached).
var scriptWasm = sync.OnceValues(func() ([]byte, error) {
	return wasmtest.Build("..", "plugins/script", "plugins/script", "sdk")
})

func scriptExecutor(t testing.TB, kv host.KV, lim host.Limits) *host.Executor {
	t.Helper()
	if raceEnabled {
		// Compiling the 19.7 MB module takes minutes under the race
		// detector; `just test` runs these tests in a pass without it.
		t.Skip("the script plugin's tests run without -race (just test: go test -run 'ScriptPlugin|MQPlugin' ./host/)")
	}
	wasm, err := scriptWasm()
	if err != nil {
		t.Fatalf("build the script plugin: %v", err)
	}
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: newRuntime(t, kv), Builtins: map[string][]byte{"script": wasm}, Limits: lim})
	if err := ex.Precompile(t.Context()); err != nil {
		t.Fatal(err)
	}
	return ex
}

func scriptTask(t testing.TB, config map[string]any) core.Task {
	t.Helper()
	b, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	task := core.Task{Name: "report", Executor: "script", Config: b}
	task.Normalize()
	return task
}

type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, level+" "+msg)
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

func TestScriptPluginConsoleFetchKV(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jobs":[1,2,3],"auth":%q}`, r.Header.Get("Authorization"))
	})
	loopback := host.Limits{Network: host.NetworkPolicy{AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}
	ex := scriptExecutor(t, &memKV{}, loopback)
	task := scriptTask(t, map[string]any{
		"script": `
const n = Number(kv.get("report/runs") ?? "0") + 1
kv.set("report/runs", String(n))
const r = await fetch(config.url + "/jobs", {method: "POST", headers: {Authorization: "Bearer " + secrets.token}, body: "{}"})
if (!r.ok) throw new Error("HTTP " + r.status)
const body = await r.json()
console.log("jobs", body.jobs.length, {attempt: execution.attempt})
console.warn("careful")
return {runs: n, jobs: body.jobs.length, auth: body.auth, type: r.headers.get("content-type"), execution: execution.id}`,
		"args":    map[string]any{"url": s.srv.URL},
		"secrets": map[string]string{"token": "t0k"},
	})
	if err := ex.ValidateConfig(t.Context(), task); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		var logs lines
		res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution, Log: logs.add})
		want := fmt.Sprintf(`{"runs":%d,"jobs":3,"auth":"Bearer t0k","type":"application/json","execution":%q}`, run, execution.ID)
		if res.Status != core.StatusSucceeded || res.Output != want {
			t.Fatalf("run %d: result = %+v, want output %s", run, res, want)
		}
		if got := logs.all(); len(got) != 2 || got[0] != fmt.Sprintf(`info jobs 3 {"attempt":%d}`, execution.Attempt) || got[1] != "warn careful" {
			t.Fatalf("run %d: logs = %q", run, got)
		}
	}
	if s.count() != 2 || s.requests[0].Method != http.MethodPost || s.requests[0].URL.Path != "/jobs" || s.bodies[0] != "{}" {
		t.Fatalf("sink saw %d requests: %v", s.count(), s.requests)
	}
}

func TestScriptPluginFetchObeysTheNetworkPolicy(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	ex := scriptExecutor(t, nil, host.Limits{}) // loopback is refused
	task := scriptTask(t, map[string]any{"script": `await fetch(config.url)`, "args": map[string]any{"url": s.srv.URL}})
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution})
	if res.Status != core.StatusFailed || !strings.Contains(res.Error, "TypeError: fetch GET "+s.srv.URL+": refused") || s.count() != 0 {
		t.Fatalf("result = %+v, sink saw %d", res, s.count())
	}
}

func TestScriptPluginThrowFailsWithMessageAndStack(t *testing.T) {
	ex := scriptExecutor(t, nil, host.Limits{})
	task := scriptTask(t, map[string]any{"script": "function check(n) {\n  if (n < 2) throw new RangeError('too few: ' + n)\n}\ncheck(1)"})
	var logs lines
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution, Log: logs.add})
	if res.Status != core.StatusFailed || res.Error != "RangeError: too few: 1" ||
		!strings.Contains(res.Output, `"stack":"RangeError: too few: 1\n\tat check (script.js:2`) {
		t.Fatalf("result = %+v", res)
	}
	if got := logs.all(); len(got) != 1 || !strings.HasPrefix(got[0], "error the script threw RangeError: too few: 1") {
		t.Fatalf("logs = %q", got)
	}
}

func TestScriptPluginSyntaxErrorAtValidation(t *testing.T) {
	ex := scriptExecutor(t, nil, host.Limits{})
	err := ex.ValidateConfig(t.Context(), scriptTask(t, map[string]any{"script": "const a = 1\nreturn a +)"}))
	var ve *core.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "config.script" ||
		!strings.HasPrefix(ve.Fields[0].Message, "SyntaxError at line 2, column 11: Unexpected token )") {
		t.Fatalf("error = %v", err)
	}
	// The schema still runs first, and reports by field.
	err = ex.ValidateConfig(t.Context(), scriptTask(t, map[string]any{"script": "return 1", "args": []int{1}, "color": "red"}))
	if !errors.As(err, &ve) || len(ve.Fields) < 2 {
		t.Fatalf("schema errors = %v", err)
	}
}

func TestScriptPluginEndlessLoopHitsTheTimeout(t *testing.T) {
	ex := scriptExecutor(t, nil, host.Limits{})
	task := scriptTask(t, map[string]any{"script": `let i = 0; while (true) { i++ }`})
	task.Timeout = 500 * time.Millisecond
	start := time.Now()
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution})
	if res.Status != core.StatusTimedOut || !strings.Contains(res.Error, "raise the task's timeout") {
		t.Fatalf("result = %+v", res)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the loop was stopped after %s", d)
	}
	// The next execution gets a new instance and works.
	task.Config = scriptTask(t, map[string]any{"script": `return 7`}).Config
	if res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution}); res.Status != core.StatusSucceeded || res.Output != "7" {
		t.Fatalf("after the timeout: %+v", res)
	}
}

func TestScriptPluginMemoryBombHitsTheMemoryLimit(t *testing.T) {
	ex := scriptExecutor(t, nil, host.Limits{})
	task := scriptTask(t, map[string]any{"script": `const a = []; for (let i = 0; ; i++) a.push(new Array(100000).fill(i))`})
	task.Timeout = time.Minute
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution})
	if res.Status != core.StatusFailed || !strings.Contains(res.Error, "settings.wasm.memory_pages") {
		t.Fatalf("result = %+v", res)
	}
	task.Config = scriptTask(t, map[string]any{"script": `return 7`}).Config
	if res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution}); res.Status != core.StatusSucceeded || res.Output != "7" {
		t.Fatalf("after the memory bomb: %+v", res)
	}
}

// BenchmarkScriptExecutionWarm is the cost of one warm execution of a
// trivial script: a pooled instance, the envelope, a fresh JavaScript
// context with its globals, the (cached) compiled script, the result.
func BenchmarkScriptExecutionWarm(b *testing.B) {
	ex := scriptExecutor(b, nil, host.Limits{})
	req := core.ExecuteRequest{Task: scriptTask(b, map[string]any{"script": `return {ok: true, n: config.n + 1}`, "args": map[string]any{"n": 1}}), Execution: execution}
	if res := ex.Execute(b.Context(), req); res.Status != core.StatusSucceeded || res.Output != `{"ok":true,"n":2}` {
		b.Fatalf("result = %+v", res)
	}
	b.ReportAllocs()
	for b.Loop() {
		if res := ex.Execute(b.Context(), req); res.Status != core.StatusSucceeded {
			b.Fatalf("result = %+v", res)
		}
	}
}

// BenchmarkScriptCompileCold is the first compile of the script plugin
// with an empty compilation cache, and its first execution.
func BenchmarkScriptCompileCold(b *testing.B) {
	wasm, err := scriptWasm()
	if err != nil {
		b.Fatal(err)
	}
	task := scriptTask(b, map[string]any{"script": `return 1`})
	for b.Loop() {
		rt, err := host.NewRuntime(b.Context(), host.Config{CacheDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		ex := host.NewExecutor(host.ExecutorConfig{Runtime: rt, Builtins: map[string][]byte{"script": wasm}})
		if res := ex.Execute(b.Context(), core.ExecuteRequest{Task: task, Execution: execution}); res.Status != core.StatusSucceeded {
			b.Fatalf("result = %+v", res)
		}
		_ = rt.Close(b.Context())
	}
}
