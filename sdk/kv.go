package sdk

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shiyu-coder/kronos/sdk/abi"
)

// KV is the namespace's key-value store, shared by every task and every
// execution of the namespace. Values are bytes; keys are 1 to 256 bytes of
// UTF-8. Kronos caps the size of a value.
type KV struct {
	host Host
}

// Get returns the value of key, and false when it is absent.
func (kv *KV) Get(key string) ([]byte, bool, error) {
	if kv == nil || kv.host == nil {
		return nil, false, errNoHost
	}
	v, found, err := kv.host.KVGet(key)
	if err != nil {
		return nil, false, fmt.Errorf("kv get %q: %w", key, err)
	}
	return v, found, nil
}

// Set stores value under key. A ttl of 0 keeps it until deleted.
func (kv *KV) Set(key string, value []byte, ttl time.Duration) error {
	if kv == nil || kv.host == nil {
		return errNoHost
	}
	if ttl < 0 {
		return fmt.Errorf("kv set %q: ttl %s is negative (use 0 to keep the value)", key, ttl)
	}
	if err := kv.host.KVSet(key, value, ttl); err != nil {
		return fmt.Errorf("kv set %q: %w", key, err)
	}
	return nil
}

// Delete removes key; an absent key is not an error.
func (kv *KV) Delete(key string) error {
	if kv == nil || kv.host == nil {
		return errNoHost
	}
	if err := kv.host.KVDelete(key); err != nil {
		return fmt.Errorf("kv delete %q: %w", key, err)
	}
	return nil
}

var errNoHost = errors.New("sdk: the Context has no host (build it with Invoke or Run)")

func encodeKVRequest(key string, value []byte, ttl time.Duration) ([]byte, error) {
	doc := abi.KV{Key: key}
	if value != nil {
		doc.ValueBase64 = base64.StdEncoding.EncodeToString(value)
	}
	if ttl > 0 {
		doc.TTLMS = max(ttl.Milliseconds(), 1)
	}
	return json.Marshal(doc)
}

// decodeKVResponse parses a kv_* response; found and value are meaningful
// for kv_get only.
func decodeKVResponse(data []byte) (value []byte, found bool, err error) {
	var doc abi.KV
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, false, fmt.Errorf("the host's kv response is not valid JSON: %w", err)
	}
	if doc.Error != "" {
		return nil, false, errors.New(doc.Error)
	}
	if !doc.Found {
		return nil, false, nil
	}
	v, err := base64.StdEncoding.DecodeString(doc.ValueBase64)
	if err != nil {
		return nil, false, fmt.Errorf("the host's kv value is not base64: %w", err)
	}
	return v, true, nil
}
