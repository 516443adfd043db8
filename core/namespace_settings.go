package core

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// NamespaceSettings are the limits and the network policy of a namespace's
// plugins. Zero fields leave the server's defaults in force.
type NamespaceSettings struct {
	// Wasm bounds each plugin call of the namespace.
	Wasm WasmSettings `json:"wasm,omitzero"`
	// Network says what the namespace's plugins may reach.
	Network NetworkSettings `json:"network,omitzero"`
}

// WasmSettings bound each plugin call of a namespace. Zero means the
// server's default.
type WasmSettings struct {
	// MemoryPages is the most 64 KiB pages a plugin may use, 16 to 65536.
	MemoryPages uint32 `json:"memory_pages,omitempty"`
	// MaxTimeout caps every task's timeout in the namespace.
	MaxTimeout time.Duration `json:"max_timeout,omitempty"`
	// MaxOutputBytes caps what one call may return.
	MaxOutputBytes int `json:"max_output_bytes,omitempty"`
	// MaxLogBytes caps what one call may log.
	MaxLogBytes int `json:"max_log_bytes,omitempty"`
	// MaxHTTPResponseBytes caps each HTTP response body a plugin reads.
	MaxHTTPResponseBytes int64 `json:"max_http_response_bytes,omitempty"`
	// MaxKVValueBytes caps each value a plugin writes to kv.
	MaxKVValueBytes int `json:"max_kv_value_bytes,omitempty"`
}

// NetworkSettings are what a namespace's plugins may reach over HTTP.
type NetworkSettings struct {
	// AllowPrivate lets plugins reach loopback, private, link-local and
	// cloud-metadata addresses. Defaults to false.
	AllowPrivate bool `json:"allow_private,omitempty"`
	// AllowedHosts, when set, are the only hosts plugins may reach:
	// "api.example.com" or "*.example.com".
	AllowedHosts []string `json:"allowed_hosts,omitempty"`
	// AllowAddrs are private addresses or prefixes reachable in spite of
	// the ban, e.g. "10.1.2.0/24" for an internal service.
	AllowAddrs []string `json:"allow_addrs,omitempty"`
}

// Bounds of the namespace settings.
const (
	minMemoryPages = 16
	maxMemoryPages = 65536
	maxSettingHost = 253
)

// validate reports every invalid setting under field.
func (s *NamespaceSettings) validate(v *validator, field string) {
	w := s.Wasm
	if w.MemoryPages != 0 && (w.MemoryPages < minMemoryPages || w.MemoryPages > maxMemoryPages) {
		v.add(field+".wasm.memory_pages", "%d is out of range: use %d (1 MiB) to %d (4 GiB) pages of 64 KiB, or 0 for the server default", w.MemoryPages, minMemoryPages, maxMemoryPages)
	}
	if w.MaxTimeout < 0 || w.MaxTimeout > MaxTimeout {
		v.add(field+".wasm.max_timeout", "%s is out of range: use up to %s, or 0 for no ceiling", w.MaxTimeout, MaxTimeout)
	}
	if w.MaxOutputBytes < 0 || w.MaxLogBytes < 0 || w.MaxHTTPResponseBytes < 0 || w.MaxKVValueBytes < 0 {
		v.add(field+".wasm", "byte limits must not be negative (0 means the server default)")
	}
	if w.MaxKVValueBytes > MaxKVValueBytes {
		v.add(field+".wasm.max_kv_value_bytes", "%d is above the store's limit of %d", w.MaxKVValueBytes, MaxKVValueBytes)
	}
	for i, h := range s.Network.AllowedHosts {
		name := strings.TrimPrefix(h, "*.")
		if name == "" || len(h) > maxSettingHost || strings.ContainsAny(name, "*/:@ ") {
			v.add(fmt.Sprintf("%s.network.allowed_hosts[%d]", field, i), "%q is not a host pattern: write a host name such as \"api.example.com\", or \"*.example.com\" for its subdomains (no scheme, port or path)", h)
		}
	}
	for i, a := range s.Network.AllowAddrs {
		if _, err := parseAddrOrPrefix(a); err != nil {
			v.add(fmt.Sprintf("%s.network.allow_addrs[%d]", field, i), "%q is not an IP address or CIDR prefix, such as \"10.1.2.3\" or \"10.1.2.0/24\"", a)
		}
	}
}

// AllowPrefixes returns AllowAddrs as prefixes; an address is a /32 or
// /128. Invalid entries are skipped (Validate reports them).
func (n NetworkSettings) AllowPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, a := range n.AllowAddrs {
		if p, err := parseAddrOrPrefix(a); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func parseAddrOrPrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
