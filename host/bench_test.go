package host_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/host/internal/egress"
)

// BenchmarkCallWarm is the overhead of one warm call of an export that
// does nothing: pool checkout, Extism input/output, the Wasm call, return.
func BenchmarkCallWarm(b *testing.B) {
	rt := newRuntime(b, nil)
	c := compileFixture(b, rt, 0)
	req := host.CallRequest{Namespace: "a", Function: "noop"}
	if _, err := c.Call(b.Context(), req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallWarmParallel runs warm calls from every CPU at once, so
// that the pool hands out several instances.
func BenchmarkCallWarmParallel(b *testing.B) {
	rt := newRuntime(b, nil)
	c := compileFixture(b, rt, 0)
	req := host.CallRequest{Namespace: "a", Function: "noop"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Call(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCompileWarmCacheAndFirstCall is what a node pays for a plugin
// it has not run since it started, when the on-disk compilation cache
// already holds it: compile (from the cache), instantiate, first call.
func BenchmarkCompileWarmCacheAndFirstCall(b *testing.B) {
	warm := newRuntime(b, nil)
	compileFixture(b, warm, 0) // fills the shared disk cache
	b.ReportAllocs()
	for b.Loop() {
		rt, err := host.NewRuntime(b.Context(), host.Config{CacheDir: cacheDir})
		if err != nil {
			b.Fatal(err)
		}
		c, err := rt.Compile(b.Context(), fixtureWasm, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Call(b.Context(), host.CallRequest{Namespace: "a", Function: "noop"}); err != nil {
			b.Fatal(err)
		}
		_ = rt.Close(b.Context())
	}
}

// BenchmarkHTTPExecution is one plugin HTTP request through the Kronos
// http_request host function to a local server.
func BenchmarkHTTPExecution(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"ok":true}`)
	}))
	b.Cleanup(srv.Close)
	rt := newRuntime(b, nil)
	c := compileFixture(b, rt, 0)
	req := host.CallRequest{
		Namespace: "a", Function: "fetch",
		Input:  []byte(`{"method":"GET","url":"` + srv.URL + `"}`),
		Limits: host.Limits{Network: egress.Policy{AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}
