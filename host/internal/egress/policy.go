package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Policy defaults and bounds.
const (
	// DefaultMaxResponseBytes caps a response body when the policy sets no
	// cap (1 MiB).
	DefaultMaxResponseBytes = 1 << 20
	// DefaultTimeout bounds a request, redirects and body included, when the
	// policy sets no timeout.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxRedirects is how many redirects a request follows when the
	// policy sets no limit.
	DefaultMaxRedirects = 5
	// NoRedirects is the MaxRedirects value that turns redirects off: the
	// 3xx response is returned as it is.
	NoRedirects = -1
	// MaxRequestBodyBytes caps the body a plugin may send (10 MiB).
	MaxRequestBodyBytes = 10 << 20
	// MaxResponseHeaderBytes caps the response headers the transport reads
	// (1 MiB).
	MaxResponseHeaderBytes = 1 << 20
)

// Policy is the network policy of one namespace, with any server-wide
// overrides already applied. The zero Policy allows any public host and no
// private address, with the defaults below.
type Policy struct {
	// AllowPrivate allows loopback, private (RFC 1918, unique local),
	// link-local (including cloud metadata endpoints), CGNAT and every other
	// special-purpose address. It is meant for local development
	// (`kronos server --allow-private-networks`). Defaults to false.
	AllowPrivate bool
	// AllowedHosts lists the host names the namespace may reach:
	// "api.example.com" matches that host, "*.example.com" any host one or
	// more labels below example.com (but not example.com). Patterns are
	// case-insensitive and carry no scheme or port. Empty allows any host
	// whose addresses are allowed. Defaults to empty.
	AllowedHosts []string
	// AllowAddrs lists exceptions to the private-address ban, such as
	// 127.0.0.1/32 for a test sink or 10.1.2.0/24 for an internal service.
	// Defaults to none.
	AllowAddrs []netip.Prefix
	// MaxResponseBytes caps a response body; a longer body is cut to the
	// cap and the response is marked Truncated (not an error). Defaults to
	// DefaultMaxResponseBytes (1 MiB).
	MaxResponseBytes int64
	// Timeout bounds one request including its redirects and reading the
	// body; a request may ask for less, never more, and the caller's
	// context bounds it too. Defaults to DefaultTimeout (30s).
	Timeout time.Duration
	// MaxRedirects is how many redirects a request follows; NoRedirects
	// (-1) follows none and returns the 3xx response. Defaults to
	// DefaultMaxRedirects (5) when zero.
	MaxRedirects int
}

// Validate reports the first setting of p that is not valid, naming it and
// saying how to fix it. [NewClient] accepts any Policy (it fails closed on a
// bad host pattern, which then matches nothing); Validate is for the API
// that stores a namespace's policy.
func (p Policy) Validate() error {
	for i, h := range p.AllowedHosts {
		if _, err := parseHostPattern(h); err != nil {
			return fmt.Errorf("network policy: allowed_hosts[%d] %q %w", i, h, err)
		}
	}
	for i, a := range p.AllowAddrs {
		if !a.IsValid() {
			return fmt.Errorf("network policy: allow_addrs[%d] is not a valid prefix: use an address with its length, such as 10.1.2.0/24 or 127.0.0.1/32", i)
		}
		if a.Addr().Is4In6() {
			return fmt.Errorf("network policy: allow_addrs[%d] %s is an IPv4-mapped IPv6 prefix, which never matches (addresses are unmapped before the check): write it as IPv4, such as 10.1.2.0/24", i, a)
		}
	}
	switch {
	case p.MaxResponseBytes < 0:
		return fmt.Errorf("network policy: max_response_bytes %d is negative: use 0 for the default (%d)", p.MaxResponseBytes, DefaultMaxResponseBytes)
	case p.Timeout < 0:
		return fmt.Errorf("network policy: timeout %s is negative: use 0 for the default (%s)", p.Timeout, DefaultTimeout)
	case p.MaxRedirects < NoRedirects:
		return fmt.Errorf("network policy: max_redirects %d is out of range: use -1 (do not follow), 0 (the default, %d) or a positive count", p.MaxRedirects, DefaultMaxRedirects)
	}
	return nil
}

// withDefaults returns p with every zero (or invalid) setting at its default.
func (p Policy) withDefaults() Policy {
	if p.MaxResponseBytes <= 0 {
		p.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.MaxRedirects == 0 {
		p.MaxRedirects = DefaultMaxRedirects
	}
	if p.MaxRedirects < 0 {
		p.MaxRedirects = NoRedirects
	}
	return p
}

// hostPattern is one parsed AllowedHosts entry.
type hostPattern struct {
	// name is the exact host, or for a wildcard the suffix with its leading
	// dot (".example.com").
	name     string
	wildcard bool
}

// errHostPattern is what parseHostPattern says about any bad pattern.
const errHostPattern = "is not a host pattern: use a host name (api.example.com), a wildcard over its subdomains (*.example.com) or an IP address, without scheme, port or path"

// parseHostPattern parses an AllowedHosts entry.
func parseHostPattern(s string) (hostPattern, error) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return hostPattern{name: a.Unmap().String()}, nil
	}
	if rest, ok := strings.CutPrefix(s, "*."); ok {
		if !validHostName(rest) {
			return hostPattern{}, errors.New(errHostPattern)
		}
		return hostPattern{name: "." + rest, wildcard: true}, nil
	}
	if s == "*" {
		return hostPattern{}, errors.New("would allow every host: leave allowed_hosts empty for that")
	}
	if !validHostName(s) {
		return hostPattern{}, errors.New(errHostPattern)
	}
	return hostPattern{name: s}, nil
}

// validHostName reports whether s (lower case, no trailing dot) is a DNS
// name of ASCII letters, digits, '-' and '_' in labels of 1 to 63 bytes.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := range len(label) {
			c := label[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// hostAllowlist is a compiled AllowedHosts. The zero value allows any host.
type hostAllowlist struct {
	patterns []hostPattern
	// raw is the policy's list, for messages.
	raw []string
}

// newHostAllowlist compiles patterns. A pattern that does not parse is
// kept as matching nothing, so a bad policy fails closed.
func newHostAllowlist(patterns []string) hostAllowlist {
	l := hostAllowlist{raw: patterns}
	for _, s := range patterns {
		if p, err := parseHostPattern(s); err == nil {
			l.patterns = append(l.patterns, p)
		}
	}
	return l
}

// empty reports whether any host is allowed.
func (l hostAllowlist) empty() bool { return len(l.raw) == 0 }

// allows reports whether the host of a URL (without port or brackets) is
// allowed.
func (l hostAllowlist) allows(host string) bool {
	if l.empty() {
		return true
	}
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		h = a.Unmap().String()
	}
	for _, p := range l.patterns {
		if p.wildcard {
			if len(h) > len(p.name) && strings.HasSuffix(h, p.name) {
				return true
			}
		} else if h == p.name {
			return true
		}
	}
	return false
}

// String lists the patterns for a message, at most a handful.
func (l hostAllowlist) String() string {
	const most = 5
	if len(l.raw) <= most {
		return strings.Join(l.raw, ", ")
	}
	return strings.Join(l.raw[:most], ", ") + fmt.Sprintf(" and %d more", len(l.raw)-most)
}
