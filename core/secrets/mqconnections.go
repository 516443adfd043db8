package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// MQConnections resolves the MQ connections of a namespace with their
// passwords, for the host's mq_publish function (it implements
// host.MQConnections).
type MQConnections struct {
	Vault *Vault
}

// MQConnection returns the namespace's connection name and the value of
// its password secret ("" when it names none). A missing connection is an
// error wrapping store.ErrNotFound; a missing password secret is an error
// that names the secret and the connection and does not wrap
// store.ErrNotFound, so that it is not taken for a missing connection.
func (m MQConnections) MQConnection(ctx context.Context, namespace, name string) (core.MQConnection, string, error) {
	c, err := m.Vault.Store.MQConnectionGet(ctx, namespace, name)
	if err != nil {
		return core.MQConnection{}, "", fmt.Errorf("mq connection %q of namespace %q: %w", name, namespace, err)
	}
	if c.PasswordSecret == "" {
		return c, "", nil
	}
	password, err := m.Vault.Open(ctx, namespace, c.PasswordSecret)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c, "", fmt.Errorf("mq connection %q names password secret %q, which namespace %q does not have: create it with: kronos secrets set %s --from-file FILE (or change the connection's password_secret)",
			name, c.PasswordSecret, namespace, c.PasswordSecret)
	case err != nil:
		return c, "", fmt.Errorf("mq connection %q: open its password: %w", name, err)
	}
	return c, password, nil
}
