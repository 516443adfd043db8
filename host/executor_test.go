package host_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
	"github.com/shiyu-coder/kronos/host"
)

// newStore opens a SQLite store of its own, with namespaces team-a and
// team-b, and the fixture uploaded to team-a as executor "fixture".
func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for _, ns := range []string{"team-a", "team-b"} {
		if _, err := st.NamespaceCreate(t.Context(), core.Namespace{Name: ns}); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha256.Sum256(fixtureWasm)
	if _, err := st.PluginPut(t.Context(), core.Plugin{
		Namespace: "team-a", Name: "fixture", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(fixtureWasm)),
	}, fixtureWasm); err != nil {
		t.Fatal(err)
	}
	return st
}

func newExecutor(t *testing.T, st *sqlite.Store) *host.Executor {
	t.Helper()
	rt := newRuntime(t, host.StoreKV{Store: st})
	return host.NewExecutor(host.ExecutorConfig{Runtime: rt, Plugins: st})
}

func fixtureTask(ns string, config string) core.Task {
	t := core.Task{Namespace: ns, Name: "nightly", Executor: "fixture", Config: json.RawMessage(config), Labels: map[string]string{"team": "a"}}
	t.Normalize()
	return t
}

var execution = core.Execution{
	ID: "0193a5d2-0000-7000-8000-000000000001", Attempt: 2, Trigger: core.TriggerSchedule,
	ScheduledAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC),
}

func TestExecutorContractRoundTrip(t *testing.T) {
	st := newStore(t)
	ex := newExecutor(t, st)
	task := fixtureTask("team-a", `{"url":"https://example.com","retries":1}`)
	if err := ex.ValidateConfig(t.Context(), task); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	var logs []string
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution, Log: func(l, m string) { logs = append(logs, l+": "+m) }})
	if res.Status != core.StatusSucceeded || res.Error != "" {
		t.Fatalf("result = %+v", res)
	}
	var out struct {
		Input struct {
			Config    map[string]any `json:"config"`
			Execution struct {
				ID          string            `json:"id"`
				Attempt     int               `json:"attempt"`
				ScheduledAt time.Time         `json:"scheduled_at"`
				Trigger     string            `json:"trigger"`
				Namespace   string            `json:"namespace"`
				Task        string            `json:"task"`
				Labels      map[string]string `json:"labels"`
			} `json:"execution"`
		} `json:"input"`
	}
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
		t.Fatalf("output %s: %v", res.Output, err)
	}
	x := out.Input.Execution
	if out.Input.Config["url"] != "https://example.com" || x.ID != execution.ID || x.Attempt != 2 ||
		!x.ScheduledAt.Equal(execution.ScheduledAt) || x.Trigger != "schedule" || x.Namespace != "team-a" ||
		x.Task != "nightly" || x.Labels["team"] != "a" {
		t.Fatalf("the plugin saw %+v", out.Input)
	}
	if strings.Join(logs, "|") != "info: kronos log line|warn: extism log line" {
		t.Fatalf("logs = %q", logs)
	}
}

func TestExecutorValidateConfigByField(t *testing.T) {
	st := newStore(t)
	ex := newExecutor(t, st)
	err := ex.ValidateConfig(t.Context(), fixtureTask("team-a", `{"url":"gopher://x","retries":"many"}`))
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a ValidationError", err)
	}
	fields := map[string]bool{}
	for _, f := range ve.Fields {
		fields[f.Field] = true
	}
	if !fields["config.url"] || !fields["config.retries"] {
		t.Fatalf("fields = %v", fields)
	}
}

func TestExecutorPluginsStayInTheirNamespace(t *testing.T) {
	st := newStore(t)
	ex := newExecutor(t, st)
	err := ex.ValidateConfig(t.Context(), fixtureTask("team-b", `{"url":"https://x"}`))
	var ve *core.ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "executor" || !strings.Contains(ve.Fields[0].Message, `namespace "team-b"`) {
		t.Fatalf("error = %v, want the executor unknown in team-b", err)
	}
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: fixtureTask("team-b", `{}`), Execution: execution})
	if res.Status != core.StatusFailed || !strings.Contains(res.Error, "neither a built-in") {
		t.Fatalf("result = %+v", res)
	}
}

func TestExecutorPlainExtismCall(t *testing.T) {
	st := newStore(t)
	ex := newExecutor(t, st)
	task := fixtureTask("team-a", `{"extism":{"function":"execute","input":"{\"n\":1}","config":{"greeting":"yo"}}}`)
	if err := ex.ValidateConfig(t.Context(), task); err != nil {
		t.Fatalf("an extism call skips the schema: %v", err)
	}
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution})
	if res.Status != core.StatusSucceeded || !strings.Contains(res.Output, `"input":{"n":1}`) || !strings.Contains(res.Output, `"greeting":"yo"`) {
		t.Fatalf("result = %+v", res)
	}
	fail := ex.Execute(t.Context(), core.ExecuteRequest{Task: fixtureTask("team-a", `{"extism":{"function":"fail"}}`), Execution: execution})
	if fail.Status != core.StatusFailed || fail.Error != "backup target said no" {
		t.Fatalf("fail = %+v", fail)
	}
	for cfg, field := range map[string]string{
		`{"extism":{"input":"x"}}`:              "config.extism.function",
		`{"extism":{"function":"f","bogus":1}}`: "config.extism",
		`{"extism":{"function":"f"},"url":"x"}`: "config",
	} {
		var ve *core.ValidationError
		if err := ex.ValidateConfig(t.Context(), fixtureTask("team-a", cfg)); !errors.As(err, &ve) || ve.Fields[0].Field != field {
			t.Errorf("%s: error = %v, want field %s", cfg, err, field)
		}
	}
}

func TestExecutorTimeoutAndCancel(t *testing.T) {
	st := newStore(t)
	ex := newExecutor(t, st)
	task := fixtureTask("team-a", `{"extism":{"function":"loop"}}`)
	task.Timeout = 200 * time.Millisecond
	if res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution}); res.Status != core.StatusTimedOut {
		t.Fatalf("loop = %+v, want timed_out", res)
	}
	task.Timeout = time.Minute
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	if res := ex.Execute(ctx, core.ExecuteRequest{Task: task, Execution: execution}); res.Status != core.StatusCanceled {
		t.Fatalf("canceled loop = %+v, want canceled", res)
	}
}

func TestExecutorKVInTheStore(t *testing.T) {
	st := newStore(t)
	ex := newExecutor(t, st)
	task := fixtureTask("team-a", `{"extism":{"function":"count"}}`)
	for want := 1; want <= 3; want++ {
		res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution})
		var out map[string]any
		if err := json.Unmarshal([]byte(res.Output), &out); err != nil || out["count"] != float64(want) {
			t.Fatalf("run %d: %+v", want, res)
		}
	}
	v, err := st.KVGet(t.Context(), "team-a", "counter")
	if err != nil || string(v) != "3" {
		t.Fatalf("stored counter = %q, %v", v, err)
	}
	if _, err := st.KVGet(t.Context(), "team-b", "counter"); err == nil {
		t.Fatal("kv leaked into team-b")
	}
}

func TestExecutorAppliesNamespaceSettings(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, strings.Repeat("x", 100)) })
	ex := httpExecutor(t, false)
	task := httpTask(`{"url":"` + s.srv.URL + `","max_response_bytes":1000}`)
	// The server refuses loopback; a namespace that allows the sink's
	// address reaches it.
	if res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution}); res.Status != core.StatusFailed || !strings.Contains(res.Error, "refused") {
		t.Fatalf("without settings: %+v", res)
	}
	allow := core.NamespaceSettings{Network: core.NetworkSettings{AllowAddrs: []string{"127.0.0.1"}}}
	if res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Settings: allow, Execution: execution}); res.Status != core.StatusSucceeded {
		t.Fatalf("with allow_addrs: %+v", res)
	}
	// An allowlist of other hosts refuses it again.
	hosts := allow
	hosts.Network.AllowedHosts = []string{"api.example.com"}
	if res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Settings: hosts, Execution: execution}); res.Status != core.StatusFailed {
		t.Fatalf("with allowed_hosts elsewhere: %+v", res)
	}
	// The namespace's response cap truncates the body.
	capped := allow
	capped.Wasm.MaxHTTPResponseBytes = 10
	res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Settings: capped, Execution: execution})
	if res.Status != core.StatusSucceeded || !strings.Contains(res.Output, `"truncated":true`) {
		t.Fatalf("with a 10-byte response cap: %+v", res)
	}
	// The namespace's timeout ceiling beats a task's longer timeout.
	st := newStore(t)
	fx := newExecutor(t, st)
	loop := fixtureTask("team-a", `{"extism":{"function":"loop"}}`)
	loop.Timeout = time.Hour
	ceiling := core.NamespaceSettings{Wasm: core.WasmSettings{MaxTimeout: 200 * time.Millisecond}}
	if res := fx.Execute(t.Context(), core.ExecuteRequest{Task: loop, Settings: ceiling, Execution: execution}); res.Status != core.StatusTimedOut {
		t.Fatalf("ceiling: %+v", res)
	}
	// Its memory limit is a compilation of its own, and binds.
	small := core.NamespaceSettings{Wasm: core.WasmSettings{MemoryPages: 256}}
	alloc := fixtureTask("team-a", `{"extism":{"function":"alloc"}}`)
	if res := fx.Execute(t.Context(), core.ExecuteRequest{Task: alloc, Settings: small, Execution: execution}); res.Status != core.StatusFailed || !strings.Contains(res.Error, "memory_pages") {
		t.Fatalf("memory: %+v", res)
	}
}

// A built-in compiled in the background while tasks fire: the fires,
// validations and describes that need it meanwhile wait for that one
// compilation and describe, and all succeed.
func TestPrecompileBuiltinWhileFiring(t *testing.T) {
	rt := newRuntime(t, nil)
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: rt, Builtins: map[string][]byte{"fixture": fixtureWasm}})
	task := fixtureTask(core.DefaultNamespace, `{"url":"https://example.com"}`)
	const n = 4
	errs := make(chan error, 3*n+1)
	go func() { errs <- ex.PrecompileBuiltin(t.Context(), "fixture") }()
	for range n {
		go func() { errs <- ex.ValidateConfig(t.Context(), task) }()
		go func() {
			if res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution}); res.Status != core.StatusSucceeded {
				errs <- fmt.Errorf("execute: %+v", res)
				return
			}
			errs <- nil
		}()
		go func() {
			p, err := ex.Builtin(t.Context(), "fixture")
			if err == nil && len(p.ConfigSchema) == 0 {
				err = fmt.Errorf("builtin: no config schema in %+v", p)
			}
			errs <- err
		}()
	}
	for range 3*n + 1 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if s := rt.Stats(); s.Compiled != 1 {
		t.Fatalf("stats = %+v, want one compilation", s)
	}
	if err := ex.PrecompileBuiltin(t.Context(), "nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown built-in: %v", err)
	}
}
