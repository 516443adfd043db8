package egress

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestDoHostAllowlist(t *testing.T) {
	t.Parallel()
	hits := &counter{}
	srv := newServer(t, hits)
	p := port(srv)
	names := map[string]string{}
	for _, n := range []string{"api.example.com", "a.svc.example.com", "a.b.svc.example.com", "svc.example.com", "example.com", "evil.test", "api.example.com.evil.test", "xsvc.example.com"} {
		names[n] = "127.0.0.1"
	}
	policy := Policy{
		AllowedHosts: []string{"api.example.com", "*.svc.example.com"},
		AllowAddrs:   []netip.Prefix{loopback},
	}

	tests := []struct {
		name    string
		host    string
		allowed bool
	}{
		{"exact host", "api.example.com", true},
		{"exact host in other case with trailing dot", "API.Example.COM.", true},
		{"wildcard one label", "a.svc.example.com", true},
		{"wildcard two labels", "a.b.svc.example.com", true},
		{"wildcard does not match its base", "svc.example.com", false},
		{"wildcard needs a dot boundary", "xsvc.example.com", false},
		{"parent of an exact host", "example.com", false},
		{"other host", "evil.test", false},
		{"allowed name as a prefix", "api.example.com.evil.test", false},
		{"IP literal not listed", "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := &dials{}
			c := newClient(t, policy, WithResolver(staticResolver(names)), withDialHook(d.hook))
			resp, err := c.Do(t.Context(), Request{URL: "http://" + tt.host + ":" + p + "/"})
			if tt.allowed {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if resp.Status != http.StatusOK {
					t.Errorf("status = %d, want 200", resp.Status)
				}
				return
			}
			if k := kindOf(t, err); k != KindRefused {
				t.Fatalf("kind = %q, want refused (err %v)", k, err)
			}
			if !strings.Contains(err.Error(), "is not in the namespace's allowed_hosts (api.example.com, *.svc.example.com)") {
				t.Errorf("message %q does not name the allowlist", err)
			}
			if got := d.list(); len(got) != 0 {
				t.Errorf("dialled %v, want no dial", got)
			}
		})
	}

	t.Run("redirect to a host outside the allowlist", func(t *testing.T) {
		t.Parallel()
		evil := &counter{}
		evilSrv := newServer(t, evil)
		from := newServer(t, &redirector{target: "http://evil.test:" + port(evilSrv) + "/"})
		c := newClient(t, policy, WithResolver(staticResolver(names)))
		_, err := c.Do(t.Context(), Request{URL: "http://api.example.com:" + port(from) + "/"})
		if k := kindOf(t, err); k != KindRefused {
			t.Fatalf("kind = %q, want refused (err %v)", k, err)
		}
		if !strings.Contains(err.Error(), "host evil.test is not in the namespace's allowed_hosts") {
			t.Errorf("message %q does not name the host", err)
		}
		if n := evil.n.Load(); n != 0 {
			t.Errorf("the redirect target got %d requests, want 0", n)
		}
	})
}

func TestHostAllowlist(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		patterns []string
		host     string
		want     bool
	}{
		{"empty list allows any host", nil, "anything.example", true},
		{"exact", []string{"api.example.com"}, "api.example.com", true},
		{"pattern case and trailing dot", []string{"API.example.com."}, "api.example.com", true},
		{"wildcard", []string{"*.example.com"}, "a.b.example.com", true},
		{"wildcard base", []string{"*.example.com"}, "example.com", false},
		{"IPv4 literal", []string{"192.0.2.10"}, "192.0.2.10", true},
		{"IPv6 literal in brackets", []string{"[2001:db8::1]"}, "2001:db8::1", true},
		{"IPv4-mapped literal matches its IPv4 pattern", []string{"192.0.2.10"}, "::ffff:192.0.2.10", true},
		{"bad pattern matches nothing", []string{"*"}, "api.example.com", false},
		{"pattern with a port matches nothing", []string{"api.example.com:443"}, "api.example.com", false},
		{"inner wildcard matches nothing", []string{"api.*.com"}, "api.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := newHostAllowlist(tt.patterns).allows(tt.host); got != tt.want {
				t.Errorf("allows(%q) with %q = %v, want %v", tt.host, tt.patterns, got, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy Policy
		want   string // "" = valid
	}{
		{"zero policy", Policy{}, ""},
		{"full policy", Policy{
			AllowPrivate: true, AllowedHosts: []string{"api.example.com", "*.example.org", "10.0.0.1", "my_host.internal"},
			AllowAddrs: []netip.Prefix{loopback}, MaxResponseBytes: 1, Timeout: time.Second, MaxRedirects: NoRedirects,
		}, ""},
		{"star alone", Policy{AllowedHosts: []string{"*"}}, `allowed_hosts[0] "*" would allow every host`},
		{"scheme", Policy{AllowedHosts: []string{"ok.example", "https://api.example.com"}}, `allowed_hosts[1] "https://api.example.com" is not a host pattern`},
		{"port", Policy{AllowedHosts: []string{"api.example.com:443"}}, "is not a host pattern"},
		{"empty pattern", Policy{AllowedHosts: []string{""}}, "is not a host pattern"},
		{"wildcard in the middle", Policy{AllowedHosts: []string{"a.*.example.com"}}, "is not a host pattern"},
		{"invalid prefix", Policy{AllowAddrs: []netip.Prefix{{}}}, "allow_addrs[0] is not a valid prefix"},
		{"IPv4-mapped prefix", Policy{AllowAddrs: []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")}}, "allow_addrs[0] ::ffff:10.0.0.0/104 is an IPv4-mapped IPv6 prefix"},
		{"negative body cap", Policy{MaxResponseBytes: -1}, "max_response_bytes -1 is negative"},
		{"negative timeout", Policy{Timeout: -time.Second}, "timeout -1s is negative"},
		{"redirects below -1", Policy{MaxRedirects: -2}, "max_redirects -2 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestPolicyDefaults(t *testing.T) {
	t.Parallel()
	got := Policy{}.withDefaults()
	if got.MaxResponseBytes != DefaultMaxResponseBytes || got.Timeout != DefaultTimeout || got.MaxRedirects != DefaultMaxRedirects {
		t.Errorf("defaults = %+v", got)
	}
	if got := (Policy{MaxRedirects: -5}).withDefaults().MaxRedirects; got != NoRedirects {
		t.Errorf("MaxRedirects -5 became %d, want NoRedirects", got)
	}
}
