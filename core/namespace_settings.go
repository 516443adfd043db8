package core

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// NamespaceSettings are the limits and the network policy of a namespace's
// plugins, and the namespace's quotas. Zero fields leave the server's
// defaults in force.
type NamespaceSettings struct {
	// Wasm bounds each plugin call of the namespace.
	Wasm WasmSettings `json:"wasm,omitzero"`
	// Network says what the namespace's plugins may reach.
	Network NetworkSettings `json:"network,omitzero"`
	// Quotas bound what the namespace may hold and run.
	Quotas QuotaSettings `json:"quotas,omitzero"`
}

// QuotaSettings bound what one namespace may hold and run, so that one
// tenant cannot take what the others need. Zero means no limit beyond
// the server's own. Exceeding one is refused with an error that names it
// ("settings.quotas.max_tasks") and the fix. The log bytes one execution
// may write are bounded by WasmSettings.MaxLogBytes.
type QuotaSettings struct {
	// MaxTasks is the most tasks the namespace may hold; creating one
	// more is refused.
	MaxTasks int `json:"max_tasks,omitempty"`
	// MaxConcurrentExecutions is the most executions of the namespace
	// that run at once on one node; the rest wait for a worker. It
	// lowers, never raises, the node's own bound per namespace
	// (--namespace-workers).
	MaxConcurrentExecutions int `json:"max_concurrent_executions,omitempty"`
	// MaxExecutionsPerMinute is the most executions of the namespace that
	// start in any minute on one node, retries and manual triggers
	// included. A scheduled fire or retry beyond it is recorded skipped
	// with a reason that names the quota; a manual trigger beyond it is
	// refused.
	MaxExecutionsPerMinute int `json:"max_executions_per_minute,omitempty"`
	// MaxPlugins is the most plugins the namespace may hold; uploading a
	// new one beyond it is refused (replacing one is not).
	MaxPlugins int `json:"max_plugins,omitempty"`
	// MaxPluginBytes is the largest plugin module the namespace may
	// upload, at most MaxPluginModuleBytes.
	MaxPluginBytes int64 `json:"max_plugin_bytes,omitempty"`
}

// MaxPluginModuleBytes is the largest plugin module the server takes, 32
// MiB: the Wasm host's host.DefaultMaxModuleBytes, repeated here because
// core must not import host (a test in api checks that they agree).
const MaxPluginModuleBytes = 32 << 20

// Bounds of the quota settings: far above any sane use, low enough that
// arithmetic on them cannot overflow.
const (
	maxQuotaTasks      = 10_000_000
	maxQuotaConcurrent = 1_000_000
	maxQuotaPerMinute  = 10_000_000
	maxQuotaPlugins    = 100_000
)

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
	s.Quotas.validate(v, field+".quotas")
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

// validate reports every invalid quota under field.
func (q QuotaSettings) validate(v *validator, field string) {
	check := func(name string, n, limit int64, what string) {
		switch {
		case n < 0:
			v.add(field+"."+name, "%d is negative: use 0 for no limit, or the most %s", n, what)
		case n > limit:
			v.add(field+"."+name, "%d is above the largest allowed, %d: use at most %d, or 0 for no limit", n, limit, limit)
		}
	}
	check("max_tasks", int64(q.MaxTasks), maxQuotaTasks, "tasks the namespace may hold")
	check("max_concurrent_executions", int64(q.MaxConcurrentExecutions), maxQuotaConcurrent, "executions that may run at once")
	check("max_executions_per_minute", int64(q.MaxExecutionsPerMinute), maxQuotaPerMinute, "executions that may start in a minute")
	check("max_plugins", int64(q.MaxPlugins), maxQuotaPlugins, "plugins the namespace may hold")
	if q.MaxPluginBytes > MaxPluginModuleBytes {
		v.add(field+".max_plugin_bytes", "%d is above the server's limit on a plugin module, %d bytes (%d MiB): use at most %d, or 0 for the server's limit",
			q.MaxPluginBytes, MaxPluginModuleBytes, MaxPluginModuleBytes>>20, MaxPluginModuleBytes)
	} else {
		check("max_plugin_bytes", q.MaxPluginBytes, MaxPluginModuleBytes, "bytes of a plugin module")
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
