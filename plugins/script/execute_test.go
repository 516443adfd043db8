package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/sdk"
	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

func run(t *testing.T, host *sdktest.Host, config any) (sdk.Output, error) {
	t.Helper()
	b, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	return sdktest.Execute(handle, host, json.RawMessage(b), sdktest.Execution())
}

func script(src string) map[string]any { return map[string]any{"script": src} }

func TestResultIsTheReturnValue(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"object", `return {a: 1, b: [true, null, "x"]}`, `{"a":1,"b":[true,null,"x"]}`},
		{"number", `return 1 + 1`, `2`},
		{"awaited", `const v = await Promise.resolve(41); return v + 1`, `42`},
		{"function main", "function main() { return 'hi' }\nreturn main()", `"hi"`},
		{"no return", `const x = 1`, ``},
		{"undefined", `return undefined`, ``},
		{"date as JSON", `return new Date(0)`, `"1970-01-01T00:00:00.000Z"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, sdktest.NewHost(), script(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != sdk.StatusSucceeded || string(out.Result) != tt.want {
				t.Fatalf("output = %+v (result %s), want %s", out, out.Result, tt.want)
			}
		})
	}
}

func TestGlobals(t *testing.T) {
	out, err := run(t, sdktest.NewHost(), map[string]any{
		"script":  `return {config, secrets, execution, fetch: typeof fetch, kv: typeof kv.get, native: typeof __kronos}`,
		"args":    map[string]any{"url": "https://x", "n": 3},
		"secrets": map[string]string{"token": "t0k"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Result, &got); err != nil {
		t.Fatal(err)
	}
	x := got["execution"].(map[string]any)
	want := sdktest.Execution()
	if got["config"].(map[string]any)["n"] != float64(3) || got["secrets"].(map[string]any)["token"] != "t0k" ||
		x["id"] != want.ID || x["task"] != want.Task || x["attempt"] != float64(want.Attempt) ||
		x["scheduled_at"] != want.ScheduledAt.UTC().Format("2006-01-02T15:04:05Z") ||
		got["fetch"] != "function" || got["kv"] != "function" || got["native"] != "undefined" {
		t.Fatalf("globals = %s", out.Result)
	}
}

func TestConsole(t *testing.T) {
	host := sdktest.NewHost()
	_, err := run(t, host, script(`console.log("hello", 1, {a: [1]}, null, undefined); console.warn("w"); console.error(new Error("e")); console.debug("d")`))
	if err != nil {
		t.Fatal(err)
	}
	logs := host.Logs()
	if len(logs) != 4 || logs[0].Msg != `hello 1 {"a":[1]} null undefined` || logs[0].Level != sdk.LevelInfo ||
		logs[1].Level != sdk.LevelWarn || logs[2].Level != sdk.LevelError || !strings.HasPrefix(logs[2].Msg, "Error: e") ||
		logs[3].Level != sdk.LevelDebug {
		t.Fatalf("logs = %+v", logs)
	}
}

func TestThrowFails(t *testing.T) {
	host := sdktest.NewHost()
	out, err := run(t, host, script("function check(v) {\n  if (!v) throw new TypeError('no value')\n}\ncheck(0)"))
	if err != nil {
		t.Fatal(err)
	}
	var f scriptFailure
	_ = json.Unmarshal(out.Result, &f)
	if out.Status != sdk.StatusFailed || out.Error != "TypeError: no value" || f.Name != "TypeError" ||
		!strings.Contains(f.Stack, "check") || !strings.Contains(f.Stack, "script.js:2") {
		t.Fatalf("output = %+v, result %s", out, out.Result)
	}
	for _, src := range []string{`throw "plain"`, `await Promise.reject("plain")`} {
		out, err = run(t, host, script(src))
		if err != nil || out.Status != sdk.StatusFailed || out.Error != "plain" {
			t.Fatalf("%s: output = %+v, %v", src, out, err)
		}
	}
}

func TestNeverSettlingPromiseFails(t *testing.T) {
	out, err := run(t, sdktest.NewHost(), script(`await new Promise(() => {})`))
	if err != nil || out.Status != sdk.StatusFailed || !strings.Contains(out.Error, "never settles") {
		t.Fatalf("output = %+v, %v", out, err)
	}
}

func TestUnencodableResultFails(t *testing.T) {
	out, err := run(t, sdktest.NewHost(), script(`const a = {}; a.a = a; return a`))
	if err != nil || out.Status != sdk.StatusFailed || !strings.Contains(out.Error, "not JSON") {
		t.Fatalf("output = %+v, %v", out, err)
	}
}

func TestRecursionIsARangeError(t *testing.T) {
	out, err := run(t, sdktest.NewHost(), script(`function f() { return f() + 1 } return f()`))
	if err != nil || out.Status != sdk.StatusFailed || !strings.Contains(out.Error, "RangeError") {
		t.Fatalf("output = %+v, %v", out, err)
	}
}

func TestFetch(t *testing.T) {
	host := sdktest.NewHost()
	host.HTTPFunc = func(req sdk.HTTPRequest) (sdk.HTTPResponse, error) {
		return sdk.HTTPResponse{Status: 201, Headers: sdk.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"job":"b-1"}`), URL: req.URL}, nil
	}
	out, err := run(t, host, script(`
const r = await fetch("https://x.example/jobs", {method: "post", headers: {"X-Key": "k"}, body: JSON.stringify({a: 1}), timeout: 5000})
return {status: r.status, ok: r.ok, type: r.headers.get("content-type"), body: await r.json()}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Result) != `{"status":201,"ok":true,"type":"application/json","body":{"job":"b-1"}}` {
		t.Fatalf("output = %+v, result %s", out, out.Result)
	}
	req := host.Requests()[0]
	if req.Method != http.MethodPost || req.URL != "https://x.example/jobs" || req.Headers["X-Key"] != "k" || string(req.Body) != `{"a":1}` || req.Timeout.Milliseconds() != 5000 {
		t.Fatalf("request = %+v", req)
	}
}

func TestFetchErrorRejects(t *testing.T) {
	host := sdktest.NewHost() // refuses every request
	out, err := run(t, host, script(`
try { await fetch("https://x.example/p?token=secret") } catch (e) { return {kind: e.kind, message: e.message, type: e.name} }`))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	_ = json.Unmarshal(out.Result, &got)
	if got["kind"] != "refused" || got["type"] != "TypeError" || !strings.Contains(got["message"], "GET https://x.example/p?…: refused") || strings.Contains(got["message"], "secret") {
		t.Fatalf("result = %s", out.Result)
	}
	out, _ = run(t, host, script(`await fetch("https://x.example")`))
	if out.Status != sdk.StatusFailed || !strings.Contains(out.Error, "TypeError: fetch GET https://x.example: refused") {
		t.Fatalf("uncaught: %+v", out)
	}
}

func TestKV(t *testing.T) {
	host := sdktest.NewHost()
	src := `const n = Number(kv.get("count") ?? "0") + 1; kv.set("count", String(n), {ttl_ms: 60000}); kv.set("gone", "x"); kv.delete("gone"); return n`
	for want := 1; want <= 2; want++ {
		out, err := run(t, host, script(src))
		if err != nil || string(out.Result) != strings.Repeat("", 0)+string(rune('0'+want)) {
			t.Fatalf("run %d: %+v, %v", want, out, err)
		}
	}
	if kv := host.KV(); string(kv["count"]) != "2" || kv["gone"] != nil || host.TTL("count").Seconds() != 60 {
		t.Fatalf("kv = %v", kv)
	}
	out, _ := run(t, host, script(`kv.set("k", {a: 1})`))
	if out.Status != sdk.StatusFailed || !strings.Contains(out.Error, "must be a string") {
		t.Fatalf("object value: %+v", out)
	}
	host.KVErr = errors.New("value too large (raise settings.wasm.max_kv_value_bytes)")
	out, _ = run(t, host, script(`kv.set("k", "v")`))
	if out.Status != sdk.StatusFailed || !strings.Contains(out.Error, "max_kv_value_bytes") {
		t.Fatalf("kv error: %+v", out)
	}
}

func TestFreshContextPerExecution(t *testing.T) {
	host := sdktest.NewHost()
	src := `globalThis.seen = (globalThis.seen || 0) + 1; return seen`
	for range 2 {
		out, err := run(t, host, script(src))
		if err != nil || string(out.Result) != "1" {
			t.Fatalf("%+v, %v", out, err)
		}
	}
}

func TestDecodeConfig(t *testing.T) {
	for _, tt := range []struct{ name, config, wantErr string }{
		{"script only", `{"script":"return 1"}`, ""},
		{"every field", `{"script":"return config.a","args":{"a":1},"secrets":{"t":"x"}}`, ""},
		{"no script", `{}`, "config.script: is required"},
		{"blank script", `{"script":"  "}`, "config.script: is required"},
		{"unknown field", `{"script":"1","arg":{}}`, `config: unknown field "arg"`},
		{"args not an object", `{"script":"1","args":[1]}`, "config.args: must be an object"},
		{"syntax error", `{"script":"const a = 1;\nreturn a +;"}`, "config.script: SyntaxError at line 2, column 11: Unexpected token ;"},
		{"syntax error on line 1", `{"script":"let let = 1"}`, "config.script: SyntaxError at line 1, column 5"},
		{"unclosed brace", `{"script":"if (x) {\n  return 1"}`, "config.script: SyntaxError at line 2"},
		{"too large", `{"script":"` + strings.Repeat("1;", maxScriptBytes) + `"}`, "the maximum is 262144"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeConfig(json.RawMessage(tt.config))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://x.example/p":             "https://x.example/p",
		"https://u:p@x.example/p?token=1": "https://x.example/p?…",
		"https://x.example/a@b":           "https://x.example/a@b",
		"https://x.example#frag":          "https://x.example?…",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
