// Package secrets seals namespace secrets for the store and resolves the
// {{ secret "name" }} references of a task's config for one execution
// (see auth.ResolveSecrets), with a redactor that hides the values in what
// the execution produces. Values are sealed with AES-256-GCM under the
// server's keyring and bound to their namespace and name.
package secrets

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/store"
)

// Vault seals secrets into the store and opens them for executions.
type Vault struct {
	Store   store.Store
	Keyring *auth.Keyring
}

// additional binds a sealed value to where it is stored.
func additional(namespace, name string) []byte { return []byte(namespace + "/" + name) }

// Put seals value under the current key and stores it as namespace's
// secret name, replacing one of the same name.
func (v *Vault) Put(ctx context.Context, namespace, name, value string) (core.Secret, error) {
	if len(value) > core.MaxSecretBytes {
		return core.Secret{}, &core.FieldError{Field: "value", Message: fmt.Sprintf("is %d bytes; a secret holds at most %d", len(value), core.MaxSecretBytes)}
	}
	if value == "" {
		return core.Secret{}, &core.FieldError{Field: "value", Message: "is required"}
	}
	keyID, sealed, err := v.Keyring.Seal([]byte(value), additional(namespace, name))
	if err != nil {
		return core.Secret{}, err
	}
	return v.Store.SecretPut(ctx, core.Secret{Namespace: namespace, Name: name, KeyID: keyID, Sealed: sealed})
}

// Resolve replaces the secret references in config with the namespace's
// values and returns a function that redacts those values from text.
func (v *Vault) Resolve(ctx context.Context, namespace string, config json.RawMessage) (json.RawMessage, func(string) string, error) {
	names, err := auth.SecretRefs(config)
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return config, func(s string) string { return s }, nil
	}
	values := make(map[string]string, len(names))
	for _, name := range names {
		plain, err := v.Open(ctx, namespace, name)
		if err != nil {
			return nil, nil, err
		}
		values[name] = plain
	}
	resolved, err := auth.ResolveSecrets(config, func(name string) (string, error) { return values[name], nil })
	if err != nil {
		return nil, nil, err
	}
	return resolved, auth.NewRedactor(values).Redact, nil
}

// Open returns the value of namespace's secret name. The error names the
// secret and wraps store.ErrNotFound when there is none.
func (v *Vault) Open(ctx context.Context, namespace, name string) (string, error) {
	sec, err := v.Store.SecretGet(ctx, namespace, name)
	if err != nil {
		return "", fmt.Errorf("secret %q of namespace %q: %w", name, namespace, err)
	}
	plain, err := v.Keyring.Open(sec.KeyID, sec.Sealed, additional(namespace, name))
	if err != nil {
		return "", fmt.Errorf("secret %q of namespace %q: %w", name, namespace, err)
	}
	return string(plain), nil
}

// tokenKeyNamespace and tokenKeyName are where the sealed token-hash key
// is kept: a kv namespace no user namespace can be named ('@' is not
// allowed in names), shared by every node of the cluster.
const (
	tokenKeyNamespace = "@kronos"
	tokenKeyName      = "token-hash-key"
)

// TokenHashKey returns the cluster's key for hashing API tokens
// (auth.Hash), creating it at the first call: 32 random bytes, sealed
// under the keyring like a secret, so that the store alone (a leaked
// backup) does not give what is needed to test guesses against the hashes.
// Two nodes that start a new cluster at the same instant each create one;
// the first stored wins (the write is set-if-absent) and both read it back.
func (v *Vault) TokenHashKey(ctx context.Context) ([]byte, error) {
	raw, err := v.Store.KVGet(ctx, tokenKeyNamespace, tokenKeyName)
	switch {
	case err == nil:
		return v.openTokenKey(raw)
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("read the token hash key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create the token hash key: %w", err)
	}
	keyID, sealed, err := v.Keyring.Seal(key, []byte(tokenKeyNamespace+"/"+tokenKeyName))
	if err != nil {
		return nil, fmt.Errorf("seal the token hash key: %w", err)
	}
	value, err := json.Marshal(sealedKey{KeyID: keyID, Sealed: sealed})
	if err != nil {
		return nil, err
	}
	if err := v.Store.KVSet(ctx, store.KVSetParams{Namespace: tokenKeyNamespace, Key: tokenKeyName, Value: value, IfAbsent: true}); err != nil {
		return nil, fmt.Errorf("store the token hash key: %w", err)
	}
	raw, err = v.Store.KVGet(ctx, tokenKeyNamespace, tokenKeyName)
	if err != nil {
		return nil, fmt.Errorf("read the token hash key back: %w", err)
	}
	return v.openTokenKey(raw)
}

type sealedKey struct {
	KeyID  string `json:"key_id"`
	Sealed []byte `json:"sealed"`
}

func (v *Vault) openTokenKey(raw []byte) ([]byte, error) {
	var sk sealedKey
	if err := json.Unmarshal(raw, &sk); err != nil {
		return nil, fmt.Errorf("read the token hash key: %w", err)
	}
	key, err := v.Keyring.Open(sk.KeyID, sk.Sealed, []byte(tokenKeyNamespace+"/"+tokenKeyName))
	if err != nil {
		return nil, fmt.Errorf("open the token hash key (is --secret-key-file the cluster's keyring?): %w", err)
	}
	return key, nil
}
