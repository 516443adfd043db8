package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// echo answers with what it received: method, body, and headers as X-Got-*.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Got-Method", r.Method)
	w.Header().Set("X-Got-Host", r.Host)
	w.Header().Set("X-Got-User-Agent", r.UserAgent())
	w.Header().Set("X-Got-Test", r.Header.Get("X-Test"))
	w.Header().Add("X-Multi", "a")
	w.Header().Add("X-Multi", "b")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(append([]byte("got "), body...))
}

func TestDoAllowed(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(echo))
	hostURL := "http://allowed.test:" + port(srv) + "/echo"
	resolver := WithResolver(staticResolver(map[string]string{"allowed.test": "127.0.0.1"}))

	tests := []struct {
		name   string
		policy Policy
		url    string
		opts   []Option
		header http.Header
		wantUA string
	}{
		{
			name:   "server address in allow_addrs",
			policy: Policy{AllowAddrs: []netip.Prefix{loopback}},
			url:    srv.URL + "/echo",
			wantUA: "kronos/" + Version,
		},
		{
			name:   "allow_private",
			policy: Policy{AllowPrivate: true},
			url:    srv.URL + "/echo",
			wantUA: "kronos/" + Version,
		},
		{
			name:   "host name in allowed_hosts resolving to an allowed address",
			policy: Policy{AllowedHosts: []string{"allowed.test"}, AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
			url:    hostURL,
			opts:   []Option{resolver},
			wantUA: "kronos/" + Version,
		},
		{
			name:   "request's user agent kept",
			policy: Policy{AllowAddrs: []netip.Prefix{loopback}},
			url:    srv.URL + "/echo",
			header: http.Header{"User-Agent": {"my-plugin/1"}},
			wantUA: "my-plugin/1",
		},
		{
			name:   "client's user agent option",
			policy: Policy{AllowAddrs: []netip.Prefix{loopback}},
			url:    srv.URL + "/echo",
			opts:   []Option{WithUserAgent("kronos/test")},
			wantUA: "kronos/test",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, tt.policy, tt.opts...)
			h := http.Header{"X-Test": {"round trip"}, "Host": {"evil.example"}}
			for k, v := range tt.header {
				h[k] = v
			}
			resp, err := c.Do(t.Context(), Request{Method: http.MethodPost, URL: tt.url, Header: h, Body: []byte("hello")})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != http.StatusCreated {
				t.Errorf("status = %d, want 201", resp.Status)
			}
			if got := string(resp.Body); got != "got hello" {
				t.Errorf("body = %q, want %q", got, "got hello")
			}
			if resp.Truncated {
				t.Error("truncated = true, want false")
			}
			if resp.URL != tt.url {
				t.Errorf("url = %q, want %q", resp.URL, tt.url)
			}
			if resp.Duration <= 0 {
				t.Errorf("duration = %s, want > 0", resp.Duration)
			}
			for k, want := range map[string]string{
				"X-Got-Method":     http.MethodPost,
				"X-Got-Test":       "round trip",
				"X-Got-User-Agent": tt.wantUA,
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if got := resp.Header.Get("X-Got-Host"); strings.Contains(got, "evil") {
				t.Errorf("the request's Host header reached the server: %q", got)
			}
			if got := resp.Header.Values("X-Multi"); len(got) != 2 {
				t.Errorf("X-Multi = %q, want both values", got)
			}
		})
	}
}

func TestDoRefusesAddressClasses(t *testing.T) {
	t.Parallel()
	hits := &counter{}
	srv := newServer(t, hits)
	p := port(srv)
	resolver := WithResolver(staticResolver(map[string]string{
		"evil.test":  "127.0.0.1",
		"inner.test": "10.0.0.1 192.168.1.1",
	}))

	tests := []struct {
		name string
		url  string
		want string // in the message
	}{
		{"loopback 127.0.0.1", srv.URL, "127.0.0.1 is a loopback address"},
		{"loopback ::1", "http://[::1]:" + p + "/", "::1 is a loopback address"},
		{"private 10.0.0.1", "http://10.0.0.1/", "10.0.0.1 is a private address"},
		{"private 172.16.0.1", "http://172.16.0.1/", "172.16.0.1 is a private address"},
		{"private 192.168.1.1", "http://192.168.1.1/", "192.168.1.1 is a private address"},
		{"metadata 169.254.169.254", "http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata endpoint"},
		{"link-local 169.254.1.1", "http://169.254.1.1/", "169.254.1.1 is a link-local address"},
		{"CGNAT 100.64.0.1", "http://100.64.0.1/", "100.64.0.1 is a shared (CGNAT) address"},
		{"unspecified 0.0.0.0", "http://0.0.0.0:" + p + "/", "0.0.0.0 is the unspecified address"},
		{"unspecified ::", "http://[::]:" + p + "/", ":: is the unspecified address"},
		{"IPv4-mapped ::ffff:127.0.0.1", "http://[::ffff:127.0.0.1]:" + p + "/", "::ffff:127.0.0.1 (IPv4-mapped 127.0.0.1) is a loopback address"},
		{"unique local fd00::1", "http://[fd00::1]/", "fd00::1 is a private (unique local) address"},
		{"link-local fe80::1", "http://[fe80::1]/", "fe80::1 is a link-local address"},
		{"NAT64 64:ff9b::7f00:1", "http://[64:ff9b::7f00:1]/", "is a NAT64 address"},
		{"benchmarking 198.18.0.1", "http://198.18.0.1/", "IANA registry: 198.18.0.0/15"},
		{"documentation 2001:db8::1", "http://[2001:db8::1]/", "IANA registry: 2001:db8::/32"},
		{"multicast 224.0.0.1", "http://224.0.0.1/", "224.0.0.1 is a multicast address"},
		{"host name resolving to loopback", "http://evil.test:" + p + "/", "evil.test resolves to 127.0.0.1, which is a loopback address"},
		{"host name resolving to private addresses only", "http://inner.test/", "inner.test resolves to 10.0.0.1, which is a private address"},
		{"localhost", "http://localhost:" + p + "/", "localhost resolves to 127.0.0.1, which is a loopback address"},
		{"name under localhost", "http://api.localhost:" + p + "/", "api.localhost resolves to 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := &dials{}
			c := newClient(t, Policy{}, resolver, withDialHook(d.hook))
			resp, err := c.Do(t.Context(), Request{URL: tt.url})
			if err == nil {
				t.Fatalf("Do = %d, want refused", resp.Status)
			}
			if k := kindOf(t, err); k != KindRefused {
				t.Fatalf("kind = %s, want refused: %v", k, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q does not say %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "to allow_addrs") || !strings.Contains(err.Error(), "allow_private") {
				t.Errorf("message %q does not name the fix", err)
			}
			if got := d.list(); len(got) != 0 {
				t.Errorf("dialled %v, want no dial", got)
			}
		})
	}
	t.Cleanup(func() {
		if n := hits.n.Load(); n != 0 {
			t.Errorf("the loopback server got %d requests, want 0", n)
		}
	})
}

func TestRefusalMessage(t *testing.T) {
	t.Parallel()
	c := newClient(t, Policy{})
	_, err := c.Do(t.Context(), Request{URL: "http://10.0.0.5/path?token=secret"})
	want := "refused: GET http://10.0.0.5/path: 10.0.0.5 is a private address; the namespace's network policy does not allow private networks (allow_private, or add 10.0.0.5/32 to allow_addrs)"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	_, err = c.Do(t.Context(), Request{URL: "http://[fd00::5]/"})
	if err == nil || !strings.Contains(err.Error(), "add fd00::5/128 to allow_addrs") {
		t.Errorf("error = %v, want the /128 fix", err)
	}
}

// TestDoChecksAddressAtDialTime is DNS rebinding: the name resolves to an
// allowed address first and to a forbidden one later. The address is
// checked on each connection's own lookup, so the second connection is
// refused without being dialled.
func TestDoChecksAddressAtDialTime(t *testing.T) {
	t.Parallel()
	srv := newServer(t, &counter{})
	var lookups atomic.Int64
	rebind := func(context.Context, string) ([]netip.Addr, error) {
		if lookups.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
	}
	d := &dials{}
	c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}}, WithResolver(rebind), withDialHook(d.hook))
	target := "http://rebind.test:" + port(srv) + "/"

	if _, err := c.Do(t.Context(), Request{URL: target}); err != nil {
		t.Fatalf("first request: %v", err)
	}
	c.Close() // the next request must dial again
	_, err := c.Do(t.Context(), Request{URL: target})
	if k := kindOf(t, err); k != KindRefused {
		t.Fatalf("second request: kind = %q, want refused (err %v)", k, err)
	}
	if !strings.Contains(err.Error(), "rebind.test resolves to 127.0.0.2, which is a loopback address") {
		t.Errorf("message %q does not name the rebound address", err)
	}
	if got := d.list(); len(got) != 1 || got[0].Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("dialled %v, want only 127.0.0.1", got)
	}
	if n := lookups.Load(); n != 2 {
		t.Errorf("lookups = %d, want 2 (one per connection)", n)
	}
}

// TestDoDialsOnlyAllowedAddresses: of a name's addresses, the refused ones
// are skipped, not dialled.
func TestDoDialsOnlyAllowedAddresses(t *testing.T) {
	t.Parallel()
	srv := newServer(t, &counter{})
	d := &dials{}
	c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}},
		WithResolver(staticResolver(map[string]string{"mixed.test": "10.0.0.1 127.0.0.2 127.0.0.1"})),
		withDialHook(d.hook))
	resp, err := c.Do(t.Context(), Request{URL: "http://mixed.test:" + port(srv) + "/"})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.Status)
	}
	if got := d.list(); len(got) != 1 || got[0].Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("dialled %v, want only 127.0.0.1", got)
	}
}

// TestControl checks the last line of defence on its own: the hook that
// runs on the socket's address just before connect(2).
func TestControl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		policy  Policy
		network string
		address string
		allowed bool
	}{
		{"loopback refused", Policy{}, "tcp4", "127.0.0.1:80", false},
		{"IPv6 loopback refused", Policy{}, "tcp6", "[::1]:80", false},
		{"mapped loopback refused", Policy{}, "tcp6", "[::ffff:127.0.0.1]:80", false},
		{"metadata refused", Policy{}, "tcp4", "169.254.169.254:80", false},
		{"public allowed", Policy{}, "tcp4", "8.8.8.8:443", true},
		{"loopback in allow_addrs", Policy{AllowAddrs: []netip.Prefix{loopback}}, "tcp4", "127.0.0.1:80", true},
		{"mapped loopback in allow_addrs", Policy{AllowAddrs: []netip.Prefix{loopback}}, "tcp6", "[::ffff:127.0.0.1]:80", true},
		{"allow_private", Policy{AllowPrivate: true}, "tcp4", "10.0.0.1:80", true},
		{"udp refused", Policy{AllowPrivate: true}, "udp4", "8.8.8.8:53", false},
		{"not an address", Policy{}, "tcp4", "example.com:80", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := NewClient(tt.policy).control(tt.network, tt.address, nil)
			if tt.allowed && err != nil {
				t.Errorf("control = %v, want allowed", err)
			}
			if !tt.allowed && kindOf(t, err) != KindRefused {
				t.Errorf("control = %v, want refused", err)
			}
		})
	}
}

func TestDoIgnoresEnvironmentProxy(t *testing.T) {
	proxied := &counter{}
	proxy := newServer(t, proxied)
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"} {
		t.Setenv(k, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")

	target := &counter{}
	srv := newServer(t, target)
	// A name, not 127.0.0.1: net/http never proxies loopback addresses, so
	// only a name shows that the environment is ignored.
	c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}},
		WithResolver(staticResolver(map[string]string{"target.test": "127.0.0.1"})))
	if c.transport.Proxy != nil {
		t.Error("transport.Proxy is set, want nil")
	}
	resp, err := c.Do(t.Context(), Request{URL: "http://target.test:" + port(srv) + "/"})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusOK || target.n.Load() != 1 {
		t.Errorf("status %d, target hits %d; want 200 and 1", resp.Status, target.n.Load())
	}
	if n := proxied.n.Load(); n != 0 {
		t.Errorf("the proxy got %d requests, want 0", n)
	}
}

func TestDoTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(&counter{})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake is logged
	srv.StartTLS()
	t.Cleanup(srv.Close)
	policy := Policy{AllowAddrs: []netip.Prefix{loopback}}

	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		_, err := newClient(t, policy).Do(t.Context(), Request{URL: srv.URL})
		if k := kindOf(t, err); k != KindTLS {
			t.Errorf("kind = %q, want tls (err %v)", k, err)
		}
	})
	t.Run("trusted with WithTLSConfig", func(t *testing.T) {
		t.Parallel()
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		c := newClient(t, policy, WithTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))
		resp, err := c.Do(t.Context(), Request{URL: srv.URL})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if resp.Status != http.StatusOK {
			t.Errorf("status = %d, want 200", resp.Status)
		}
	})
}

func TestDoNetworkErrors(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: listen, note the port, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()

	resolver := WithResolver(func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "empty.test" {
			return nil, nil
		}
		return nil, errors.New("server misbehaving (test resolver)")
	})
	tests := []struct {
		name string
		url  string
		want ErrorKind
	}{
		{"connection refused", "http://" + closed + "/", KindConnect},
		{"name does not resolve", "http://nowhere.test/", KindDNS},
		{"name has no addresses", "http://empty.test/", KindDNS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}}, resolver)
			_, err := c.Do(t.Context(), Request{URL: tt.url})
			if k := kindOf(t, err); k != tt.want {
				t.Errorf("kind = %q, want %q (err %v)", k, tt.want, err)
			}
		})
	}
}
