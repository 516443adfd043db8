package host

import (
	"context"
	"errors"
	"time"

	"github.com/shiyu-coder/kronos/core/store"
)

// DefaultMaxKVKeys is how many keys one namespace may hold in kv unless
// its settings say otherwise.
const DefaultMaxKVKeys = 10000

// KVStore is the part of store.Store that kv needs.
type KVStore interface {
	KVGet(ctx context.Context, namespace, key string) ([]byte, error)
	KVSet(ctx context.Context, p store.KVSetParams) error
	KVDelete(ctx context.Context, namespace, key string) error
}

// StoreKV is the KV of the kv_* host functions, kept in the Store so that
// every node sees the same values.
type StoreKV struct {
	Store KVStore
	// MaxKeys caps the keys of one namespace. Defaults to
	// DefaultMaxKVKeys.
	MaxKeys int
}

// Get implements KV.
func (k StoreKV) Get(ctx context.Context, namespace, key string) ([]byte, bool, error) {
	v, err := k.Store.KVGet(ctx, namespace, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// Set implements KV.
func (k StoreKV) Set(ctx context.Context, namespace, key string, value []byte, ttl time.Duration) error {
	maxKeys := k.MaxKeys
	if maxKeys == 0 {
		maxKeys = DefaultMaxKVKeys
	}
	return k.Store.KVSet(ctx, store.KVSetParams{Namespace: namespace, Key: key, Value: value, TTL: ttl, MaxKeys: maxKeys})
}

// Delete implements KV.
func (k StoreKV) Delete(ctx context.Context, namespace, key string) error {
	return k.Store.KVDelete(ctx, namespace, key)
}

var _ KV = StoreKV{}
