package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// loopback is the address every test server listens on.
var loopback = netip.MustParsePrefix("127.0.0.1/32")

// newServer starts an HTTP server on 127.0.0.1 and closes it at the end of
// the test.
func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newServerOn starts an HTTP server on ip (a loopback address), or skips
// the test when the machine cannot listen there.
func newServerOn(t testing.TB, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a client that is closed at the end of the test.
func newClient(t testing.TB, p Policy, opts ...Option) *Client {
	t.Helper()
	c := NewClient(p, opts...)
	t.Cleanup(c.Close)
	return c
}

// port returns the port of a test server.
func port(srv *httptest.Server) string {
	return fmt.Sprint(netip.MustParseAddrPort(srv.Listener.Addr().String()).Port())
}

// counter is an http.Handler that counts requests and answers 200 "ok".
type counter struct{ n atomic.Int64 }

func (c *counter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	c.n.Add(1)
	_, _ = w.Write([]byte("ok"))
}

// dials records the addresses a client dials (withDialHook).
type dials struct {
	mu    sync.Mutex
	addrs []netip.AddrPort
}

func (d *dials) hook(a netip.AddrPort) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, a)
}

func (d *dials) list() []netip.AddrPort {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]netip.AddrPort(nil), d.addrs...)
}

// staticResolver resolves the names of m and nothing else, without DNS.
func staticResolver(m map[string]string) Resolver {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		s, ok := m[strings.ToLower(strings.TrimSuffix(host, "."))]
		if !ok {
			return nil, &net.DNSError{Err: "no such host (test resolver)", Name: host, IsNotFound: true}
		}
		var addrs []netip.Addr
		for f := range strings.FieldsSeq(s) {
			addrs = append(addrs, netip.MustParseAddr(f))
		}
		return addrs, nil
	}
}

// kindOf returns the kind of an *Error, failing the test on any other
// error.
func kindOf(t testing.TB, err error) ErrorKind {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is %T, not *Error: %v", err, err)
	}
	return e.Kind
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
