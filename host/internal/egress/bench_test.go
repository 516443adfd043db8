package egress

import (
	"net/http"
	"net/netip"
	"testing"
)

// BenchmarkDo measures one small GET to a local server over a kept-alive
// connection: the egress overhead (checks, request, body read) plus
// loopback HTTP.
func BenchmarkDo(b *testing.B) {
	srv := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	c := newClient(b, Policy{AllowAddrs: []netip.Prefix{loopback}})
	req := Request{URL: srv.URL + "/bench", Header: http.Header{"X-Kronos-Execution": {"01HZ"}}}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Do(b.Context(), req)
		if err != nil {
			b.Fatal(err)
		}
		if resp.Status != http.StatusOK {
			b.Fatalf("status %d", resp.Status)
		}
	}
}
