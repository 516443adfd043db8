// Package secrets seals namespace secrets for the store and resolves the
// {{ secret "name" }} references of a task's config for one execution
// (see auth.ResolveSecrets), with a redactor that hides the values in what
// the execution produces. Values are sealed with AES-256-GCM under the
// server's keyring and bound to their namespace and name.
package secrets

import (
	"context"
	"encoding/json"
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
		sec, err := v.Store.SecretGet(ctx, namespace, name)
		if err != nil {
			return nil, nil, fmt.Errorf("secret %q of namespace %q: %w", name, namespace, err)
		}
		plain, err := v.Keyring.Open(sec.KeyID, sec.Sealed, additional(namespace, name))
		if err != nil {
			return nil, nil, fmt.Errorf("secret %q of namespace %q: %w", name, namespace, err)
		}
		values[name] = string(plain)
	}
	resolved, err := auth.ResolveSecrets(config, func(name string) (string, error) { return values[name], nil })
	if err != nil {
		return nil, nil, err
	}
	return resolved, auth.NewRedactor(values).Redact, nil
}
