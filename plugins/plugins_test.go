//go:build !wasip1

package plugins_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/shiyu-coder/kronos/sdk"
)

// modules are the plugins of the repository that `just plugins` builds:
// the Go ones by package path from the module root, and the
// AssemblyScript example.
var modules = map[string]string{
	"http":                 "./plugins/http",
	"script":               "./plugins/script",
	"mq":                   "./plugins/mq",
	"go-hello":             "./examples/go-hello",
	"assemblyscript-hello": "./examples/assemblyscript-hello",
}

var (
	buildMu  sync.Mutex
	builtDir string
	built    = map[string][]byte{}
)

// build compiles a plugin as `just plugins` does (into a temporary
// directory) and returns its bytes. Each plugin is built once per run.
// The AssemblyScript example is skipped until its node_modules exist
// (`just plugins` or `npm ci` in its directory).
func build(t *testing.T, name string) []byte {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if b, ok := built[name]; ok {
		return b
	}
	if builtDir == "" {
		dir, err := os.MkdirTemp("", "kronos-plugins-")
		if err != nil {
			t.Fatal(err)
		}
		builtDir = dir
	}
	out := filepath.Join(builtDir, name+".wasm")
	var cmd *exec.Cmd
	if name == "assemblyscript-hello" {
		dir := filepath.Join("..", modules[name])
		if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s: no node_modules under CI=true; `just test` runs `just plugins`, which installs them", modules[name])
			}
			t.Skipf("%s: no node_modules; run `npm ci` there (or `just plugins`) to build and test it", modules[name])
		}
		cmd = exec.CommandContext(t.Context(), tool(t, "npm"), "run", "--silent", "build", "--", "--outFile", out)
		cmd.Dir = dir
	} else {
		cmd = exec.CommandContext(t.Context(), tool(t, "go"), "build", "-trimpath", "-buildmode=c-shared", "-o", out, modules[name])
		cmd.Dir = ".." // the module root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	built[name] = b
	return b
}

func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH: %v", name, err)
	}
	return path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		_ = os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// allowedImports are the modules a Kronos plugin may import from.
var allowedImports = []string{"wasi_snapshot_preview1", "extism:host/env", sdk.HostModule}

func TestPluginsExportTheContract(t *testing.T) {
	for name := range modules {
		t.Run(name, func(t *testing.T) {
			wasm := build(t, name)
			ctx := t.Context()
			// The interpreter compiles in milliseconds, even under -race.
			rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
			defer rt.Close(ctx)
			mod, err := rt.CompileModule(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			exports := mod.ExportedFunctions()
			for _, fn := range []string{sdk.ExportExecute, sdk.ExportDescribe} {
				def, ok := exports[fn]
				if !ok {
					t.Errorf("%s does not export %s", name, fn)
					continue
				}
				if len(def.ParamTypes()) != 0 || len(def.ResultTypes()) != 1 {
					t.Errorf("%s: %s has %d params and %d results, want () -> i32", name, fn, len(def.ParamTypes()), len(def.ResultTypes()))
				}
			}
			for _, imp := range mod.ImportedFunctions() {
				module, fn, _ := imp.Import()
				if !slices.Contains(allowedImports, module) {
					t.Errorf("%s imports %s.%s; plugins may import only from %v", name, module, fn, allowedImports)
				}
			}
			t.Logf("%s.wasm: %d bytes", name, len(wasm))
		})
	}
}

// fakeHost answers the Kronos host functions from the test.
type fakeHost struct {
	mu       sync.Mutex
	logs     []string
	requests []map[string]any
	httpResp string

	kv map[string]string // key -> value_base64
}

func (f *fakeHost) functions() []extism.HostFunction {
	i64 := extism.ValueTypeI64
	jsonFn := func(name string, h func(req map[string]any) any) extism.HostFunction {
		fn := extism.NewHostFunctionWithStack(name, func(_ context.Context, p *extism.CurrentPlugin, stack []uint64) {
			raw, err := p.ReadBytes(stack[0])
			if err != nil {
				panic(err)
			}
			var req map[string]any
			if err := json.Unmarshal(raw, &req); err != nil {
				panic(err)
			}
			f.mu.Lock()
			resp := h(req)
			f.mu.Unlock()
			out, err := json.Marshal(resp)
			if err != nil {
				panic(err)
			}
			if stack[0], err = p.WriteBytes(out); err != nil {
				panic(err)
			}
		}, []extism.ValueType{i64}, []extism.ValueType{i64})
		fn.SetNamespace(sdk.HostModule)
		return fn
	}
	logFn := extism.NewHostFunctionWithStack("log", func(_ context.Context, p *extism.CurrentPlugin, stack []uint64) {
		msg, err := p.ReadString(stack[1])
		if err != nil {
			panic(err)
		}
		f.mu.Lock()
		f.logs = append(f.logs, sdk.Level(uint32(stack[0])).String()+" "+msg)
		f.mu.Unlock()
	}, []extism.ValueType{extism.ValueTypeI32, i64}, nil)
	logFn.SetNamespace(sdk.HostModule)
	return []extism.HostFunction{
		logFn,
		jsonFn("http_request", func(req map[string]any) any {
			f.requests = append(f.requests, req)
			return json.RawMessage(f.httpResp)
		}),
		jsonFn("kv_get", func(req map[string]any) any {
			v, ok := f.kv[req["key"].(string)]
			return map[string]any{"found": ok, "value_base64": v}
		}),
		jsonFn("kv_set", func(req map[string]any) any {
			v, _ := req["value_base64"].(string)
			f.kv[req["key"].(string)] = v
			return map[string]any{}
		}),
		jsonFn("kv_delete", func(req map[string]any) any {
			delete(f.kv, req["key"].(string))
			return map[string]any{}
		}),
		// Every plugin built with the SDK imports mq_publish, used or not.
		jsonFn("mq_publish", func(map[string]any) any {
			return map[string]any{"broker": "redis", "id": "1-0", "duration_ms": 1}
		}),
	}
}

// runtimeConfig is the interpreter under -race, where compiling a Go
// module to native code takes tens of seconds, and the compiler otherwise.
func runtimeConfig() wazero.RuntimeConfig {
	if raceEnabled {
		return wazero.NewRuntimeConfigInterpreter()
	}
	return wazero.NewRuntimeConfig()
}

func newPlugin(t *testing.T, name string, host *fakeHost) *extism.Plugin {
	t.Helper()
	p, err := extism.NewPlugin(t.Context(), extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: build(t, name)}}},
		extism.PluginConfig{EnableWasi: true, RuntimeConfig: runtimeConfig()}, host.functions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

func input(t *testing.T, config string) []byte {
	t.Helper()
	in, err := json.Marshal(map[string]any{
		"config": json.RawMessage(config),
		"execution": map[string]any{
			"id": "0193a5f0-0000-7000-8000-000000000001", "attempt": 1, "scheduled_at": "2026-12-01T02:00:00Z",
			"trigger": "schedule", "namespace": "default", "task": "daily_backup", "labels": map[string]string{"team": "x"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestHTTPPluginUnderExtism(t *testing.T) {
	host := &fakeHost{httpResp: `{"status":503,"headers":{"Retry-After":["30"]},"body":"busy","url":"https://backup.example.com/v1/backup","duration_ms":7}`}
	p := newPlugin(t, "http", host)

	rc, out, err := p.Call("describe", nil)
	if err != nil || rc != 0 {
		t.Fatalf("describe: rc %d, err %v", rc, err)
	}
	var d sdk.Description
	if err := json.Unmarshal(out, &d); err != nil || d.Name != "http" || d.ConfigSchema == nil {
		t.Fatalf("describe output %s: %v", out, err)
	}

	rc, out, err = p.Call("execute", input(t, `{"method":"POST","url":"https://backup.example.com/v1/backup","headers":{"Authorization":"Bearer x"}}`))
	if err != nil || rc != 0 {
		t.Fatalf("execute: rc %d, err %v", rc, err)
	}
	res, err := sdk.DecodeOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "HTTP 503 from POST https://backup.example.com/v1/backup (expected 2xx)"; res.Status != sdk.StatusFailed || res.Error != want {
		t.Errorf("output = %s", out)
	}
	if len(host.requests) != 1 {
		t.Fatalf("requests = %v", host.requests)
	}
	req := host.requests[0]
	headers, _ := req["headers"].(map[string]any)
	if req["method"] != "POST" || req["url"] != "https://backup.example.com/v1/backup" || req["timeout_ms"] != float64(30000) ||
		req["max_response_bytes"] != float64(65536) || headers["Idempotency-Key"] != "0193a5f0-0000-7000-8000-000000000001" ||
		headers["Authorization"] != "Bearer x" {
		t.Errorf("request = %v", req)
	}

	// A transport error is a value, and fails the execution with its kind.
	host.httpResp = `{"status":0,"error":{"kind":"dns","message":"no such host"}}`
	_, out, err = p.Call("execute", input(t, `{"url":"https://nowhere.example"}`))
	if err != nil || !strings.Contains(string(out), `"error":"GET https://nowhere.example: dns: no such host"`) {
		t.Errorf("transport error: %s, %v", out, err)
	}

	// An invalid config is an Extism error naming the fields.
	rc, _, err = p.Call("execute", input(t, `{"url":"ftp://x","timeout":"1h"}`))
	if rc == 0 || err == nil || !strings.Contains(err.Error(), "config.url") || !strings.Contains(err.Error(), "config.timeout") {
		t.Errorf("invalid config: rc %d, err %v", rc, err)
	}

	// Input that is not the envelope is an Extism error too.
	if rc, _, err = p.Call("execute", []byte("hello")); rc == 0 || err == nil {
		t.Errorf("bad input: rc %d, err %v", rc, err)
	}
}

// TestHelloExamplesUnderExtism runs the Go and AssemblyScript examples,
// which behave the same.
func TestHelloExamplesUnderExtism(t *testing.T) {
	for _, name := range []string{"go-hello", "assemblyscript-hello"} {
		t.Run(name, func(t *testing.T) {
			host := &fakeHost{kv: map[string]string{}}
			p := newPlugin(t, name, host)
			for want := 1; want <= 2; want++ {
				rc, out, err := p.Call("execute", input(t, `{"name":"Kronos \"K\" é"}`))
				if err != nil || rc != 0 {
					t.Fatalf("execute: rc %d, err %v", rc, err)
				}
				if got := `{"status":"succeeded","result":{"greeting":"hello, Kronos \"K\" é","count":` + strconv.Itoa(want) + `}}`; string(out) != got {
					t.Errorf("run %d: output %s, want %s", want, out, got)
				}
			}
			if v := host.kv[name+"/daily_backup/count"]; v != base64.StdEncoding.EncodeToString([]byte("2")) {
				t.Errorf("kv = %v", host.kv)
			}
			if want := `info hello, Kronos "K" é execution=0193a5f0-0000-7000-8000-000000000001 attempt=1`; len(host.logs) != 2 || host.logs[0] != want {
				t.Errorf("logs = %q, want [%q …]", host.logs, want)
			}

			// The default name, and a refused field.
			_, out, err := p.Call("execute", input(t, `null`))
			if err != nil || !strings.Contains(string(out), `"greeting":"hello, world","count":3`) {
				t.Errorf("no config: %s, %v", out, err)
			}
			rc, _, err := p.Call("execute", input(t, `{"names":"x"}`))
			if rc == 0 || err == nil || !strings.Contains(err.Error(), `config: unknown field "names"`) {
				t.Errorf("unknown field: rc %d, err %v", rc, err)
			}

			rc, out, err = p.Call("describe", nil)
			var d sdk.Description
			if err != nil || rc != 0 || json.Unmarshal(out, &d) != nil || d.Name != name || d.ConfigSchema == nil {
				t.Errorf("describe: %s, %v", out, err)
			}
		})
	}
}
