package host

import (
	"fmt"
	"time"

	"github.com/shiyu-coder/kronos/host/internal/egress"
)

// Limit defaults and bounds.
const (
	// MinMemoryPages is the smallest memory limit accepted: the Extism
	// kernel alone needs 16 pages of 64 KiB.
	MinMemoryPages = 16
	// MaxMemoryPages is the largest memory limit accepted (4 GiB).
	MaxMemoryPages = 65536
	// DefaultMemoryPages is the memory limit of a call that sets none
	// (64 MiB): enough for a Go plugin's runtime and a few MiB of data.
	DefaultMemoryPages = 1024
	// DefaultTimeout bounds a call that sets no timeout.
	DefaultTimeout = 5 * time.Minute
	// DefaultMaxOutputBytes caps what a call may return (1 MiB).
	DefaultMaxOutputBytes = 1 << 20
	// DefaultMaxLogBytes caps what one call may log (256 KiB).
	DefaultMaxLogBytes = 256 << 10
	// DefaultMaxKVValueBytes caps one kv value (64 KiB).
	DefaultMaxKVValueBytes = 64 << 10
)

// NetworkPolicy is the network policy of the http_request host function:
// which hosts and addresses plugins may reach, the response size cap and
// the request timeout. Private, loopback, link-local and metadata
// addresses are refused unless AllowPrivate is set or AllowAddrs lists
// them; the check runs on the resolved address at dial time.
type NetworkPolicy = egress.Policy

// Limits bound one call. Zero fields take their defaults.
type Limits struct {
	// MemoryPages is the most 64 KiB pages of linear memory the plugin may
	// use. Defaults to DefaultMemoryPages; at least MinMemoryPages.
	MemoryPages uint32
	// Timeout bounds the call's wall-clock time. Defaults to
	// DefaultTimeout.
	Timeout time.Duration
	// MaxOutputBytes caps the call's output; a larger output fails the
	// call. Defaults to DefaultMaxOutputBytes.
	MaxOutputBytes int
	// MaxLogBytes caps the bytes the call may log; a plugin that logs more
	// is stopped. Defaults to DefaultMaxLogBytes.
	MaxLogBytes int
	// MaxKVValueBytes caps one value written with kv_set. Defaults to
	// DefaultMaxKVValueBytes.
	MaxKVValueBytes int
	// Network is the policy of the http_request host function, including
	// its response size cap and timeout.
	Network NetworkPolicy
}

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	if l.MemoryPages == 0 {
		l.MemoryPages = DefaultMemoryPages
	}
	if l.Timeout == 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxOutputBytes == 0 {
		l.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if l.MaxLogBytes == 0 {
		l.MaxLogBytes = DefaultMaxLogBytes
	}
	if l.MaxKVValueBytes == 0 {
		l.MaxKVValueBytes = DefaultMaxKVValueBytes
	}
	return l
}

// validate reports a limit outside its bounds, naming the setting.
func (l Limits) validate() error {
	switch {
	case l.MemoryPages < MinMemoryPages || l.MemoryPages > MaxMemoryPages:
		return fmt.Errorf("settings.wasm.memory_pages %d is out of range: use %d (1 MiB) to %d (4 GiB) pages of 64 KiB", l.MemoryPages, MinMemoryPages, MaxMemoryPages)
	case l.Timeout < 0:
		return fmt.Errorf("limits.timeout %s is negative", l.Timeout)
	case l.MaxOutputBytes < 0, l.MaxLogBytes < 0, l.MaxKVValueBytes < 0:
		return fmt.Errorf("limits: byte caps must not be negative")
	}
	return nil
}
