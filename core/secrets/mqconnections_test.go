package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/secrets"
	"github.com/shiyu-coder/kronos/core/store"
)

// mqConnections is what the host's mq_publish function needs (it is
// host.MQConnections; core does not import host).
type mqConnections interface {
	MQConnection(ctx context.Context, namespace, name string) (core.MQConnection, string, error)
}

var _ mqConnections = secrets.MQConnections{}

func TestMQConnectionsResolvePasswords(t *testing.T) {
	v := newVault(t)
	ctx := t.Context()
	ns := core.DefaultNamespace
	if _, err := v.Put(ctx, ns, "rabbit-password", "s3cr3t"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []core.MQConnection{
		{Namespace: ns, Name: "rabbit", URL: "amqp://app@rabbit:5672/", PasswordSecret: "rabbit-password"},
		{Namespace: ns, Name: "open", URL: "nats://nats:4222"},
		{Namespace: ns, Name: "dangling", URL: "redis://redis:6379", PasswordSecret: "gone"},
	} {
		if _, err := v.Store.MQConnectionPut(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	m := secrets.MQConnections{Vault: v}

	c, password, err := m.MQConnection(ctx, ns, "rabbit")
	if err != nil || password != "s3cr3t" || c.URL != "amqp://app@rabbit:5672/" {
		t.Fatalf("rabbit: %+v %q %v", c, password, err)
	}
	if c, password, err := m.MQConnection(ctx, ns, "open"); err != nil || password != "" || c.Name != "open" {
		t.Fatalf("a connection without a password: %+v %q %v", c, password, err)
	}

	// A missing connection wraps store.ErrNotFound (the host answers
	// not_found and says how to create it).
	if _, _, err := m.MQConnection(ctx, ns, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing connection: %v", err)
	}
	// A missing secret names the secret and the connection, and is not
	// taken for a missing connection.
	_, _, err = m.MQConnection(ctx, ns, "dangling")
	if err == nil || errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"gone"`) || !strings.Contains(err.Error(), `"dangling"`) {
		t.Fatalf("missing secret: %v", err)
	}
	// Another namespace has neither.
	if _, err := v.Store.NamespaceCreate(ctx, core.Namespace{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.MQConnection(ctx, "other", "rabbit"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another namespace's connection resolved: %v", err)
	}
}

func TestVaultOpen(t *testing.T) {
	v := newVault(t)
	if _, err := v.Put(t.Context(), core.DefaultNamespace, "token", "value"); err != nil {
		t.Fatal(err)
	}
	if got, err := v.Open(t.Context(), core.DefaultNamespace, "token"); err != nil || got != "value" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := v.Open(t.Context(), core.DefaultNamespace, "nope"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("open a missing secret: %v", err)
	}
}
