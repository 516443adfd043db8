package egress

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

// TestDial checks the policy of Client.Dial, the dialer of the brokers
// behind mq_publish: the same host and address rules as a request.
func TestDial(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	rebind := staticResolver(map[string]string{"broker.example.com": "127.0.0.1", "mixed.example.com": "10.0.0.9 127.0.0.1"})

	tests := []struct {
		name    string
		policy  Policy
		network string
		addr    string
		kind    ErrorKind // "" for a connection
		msg     string
	}{
		{"the zero policy refuses loopback and names the fix", Policy{}, "tcp", "127.0.0.1:" + p, KindRefused, "add 127.0.0.1/32 to allow_addrs"},
		{"allow_addrs lets the address through", Policy{AllowAddrs: []netip.Prefix{loopback}}, "tcp", "127.0.0.1:" + p, "", ""},
		{"allow_private lets it through", Policy{AllowPrivate: true}, "tcp", "127.0.0.1:" + p, "", ""},
		{"a name is checked on what it resolves to", Policy{}, "tcp", "broker.example.com:" + p, KindRefused, "broker.example.com resolves to 127.0.0.1"},
		{"only allowed addresses of a name are dialled", Policy{AllowAddrs: []netip.Prefix{loopback}}, "tcp", "mixed.example.com:" + p, "", ""},
		{"localhost is loopback whatever DNS says", Policy{}, "tcp", "localhost:" + p, KindRefused, "loopback"},
		{"a host outside allowed_hosts is refused", Policy{AllowedHosts: []string{"other.example.com"}, AllowPrivate: true}, "tcp", "broker.example.com:" + p, KindRefused, "allowed_hosts"},
		{"allowed_hosts admits its hosts", Policy{AllowedHosts: []string{"*.example.com"}, AllowAddrs: []netip.Prefix{loopback}}, "tcp", "broker.example.com:" + p, "", ""},
		{"only TCP", Policy{AllowPrivate: true}, "udp", "127.0.0.1:" + p, KindRefused, "only TCP"},
		{"an address without a port is invalid", Policy{AllowPrivate: true}, "tcp", "127.0.0.1", KindInvalidRequest, "missing port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.policy, WithResolver(rebind))
			conn, err := c.Dial(t.Context(), tt.network, tt.addr)
			if conn != nil {
				_ = conn.Close()
			}
			if got := kindOf(t, err); got != tt.kind {
				t.Fatalf("kind %q (%v), want %q", got, err, tt.kind)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("%v does not say %q", err, tt.msg)
			}
		})
	}
}
