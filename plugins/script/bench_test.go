package main

import (
	"encoding/json"
	"testing"

	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

// BenchmarkHandle is one execution of a trivial script, natively: the
// plugin's own share of the warm per-execution cost (a fresh context, its
// globals, the cached program, the result). host's
// BenchmarkScriptExecutionWarm measures it inside the Wasm sandbox.
func BenchmarkHandle(b *testing.B) {
	host := sdktest.NewHost()
	config := json.RawMessage(`{"script":"return {ok: true, n: config.n + 1}","args":{"n":1}}`)
	b.ReportAllocs()
	for b.Loop() {
		out, err := sdktest.Execute(handle, host, config, sdktest.Execution())
		if err != nil || string(out.Result) != `{"ok":true,"n":2}` {
			b.Fatalf("%+v, %v", out, err)
		}
	}
}
