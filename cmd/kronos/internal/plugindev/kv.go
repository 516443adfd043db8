package plugindev

import (
	"context"
	"sync"
	"time"

	"github.com/shiyu-coder/kronos/host"
)

// MemoryKV is an in-memory host.KV for local runs: values live as long as
// the process. The zero value is ready to use.
type MemoryKV struct {
	mu   sync.Mutex
	data map[string]kvEntry
	now  func() time.Time
}

type kvEntry struct {
	value   []byte
	expires time.Time // zero: never
}

// Get implements host.KV.
func (k *MemoryKV) Get(_ context.Context, namespace, key string) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.data[namespace+"\x00"+key]
	if !ok || !e.expires.IsZero() && !k.clock().Before(e.expires) {
		return nil, false, nil
	}
	return append([]byte(nil), e.value...), true, nil
}

// Set implements host.KV.
func (k *MemoryKV) Set(_ context.Context, namespace, key string, value []byte, ttl time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.data == nil {
		k.data = map[string]kvEntry{}
	}
	e := kvEntry{value: append([]byte(nil), value...)}
	if ttl > 0 {
		e.expires = k.clock().Add(ttl)
	}
	k.data[namespace+"\x00"+key] = e
	return nil
}

// Delete implements host.KV.
func (k *MemoryKV) Delete(_ context.Context, namespace, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.data, namespace+"\x00"+key)
	return nil
}

func (k *MemoryKV) clock() time.Time {
	if k.now != nil {
		return k.now()
	}
	return time.Now()
}

var _ host.KV = (*MemoryKV)(nil)
