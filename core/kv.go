package core

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Limits of the per-namespace key-value store that plugins reach through
// the kv_get, kv_set and kv_delete host functions.
const (
	// MaxKVKeyBytes is the longest key, in bytes.
	MaxKVKeyBytes = 256
	// DefaultMaxKVValueBytes is the value size a caller (the host) allows
	// unless configured otherwise. The store does not enforce it.
	DefaultMaxKVValueBytes = 64 << 10
	// MaxKVValueBytes is the largest value any store accepts, whatever the
	// caller allows.
	MaxKVValueBytes = 1 << 20
)

// ValidateKVKey checks a key of the key-value store: 1 to MaxKVKeyBytes
// bytes of printable UTF-8 (spaces allowed, control characters not).
func ValidateKVKey(key string) *FieldError {
	switch {
	case key == "":
		return &FieldError{Field: "key", Message: "is required"}
	case len(key) > MaxKVKeyBytes:
		return &FieldError{Field: "key", Message: fmt.Sprintf("is %d bytes long; the limit is %d", len(key), MaxKVKeyBytes)}
	case !utf8.ValidString(key):
		return &FieldError{Field: "key", Message: fmt.Sprintf("%q is not valid UTF-8: use printable text, e.g. hex or base64 for binary keys", key)}
	}
	for i, r := range key {
		if !unicode.IsPrint(r) {
			return &FieldError{Field: "key", Message: fmt.Sprintf("%q holds the unprintable character %U at byte %d: use printable text, e.g. hex or base64 for binary keys", key, r, i)}
		}
	}
	return nil
}
