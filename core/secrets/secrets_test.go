package secrets_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/secrets"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

func newVault(t *testing.T) *secrets.Vault {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	text, err := auth.NewKeyringFile("k1")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := auth.ParseKeyring(text)
	if err != nil {
		t.Fatal(err)
	}
	return &secrets.Vault{Store: st, Keyring: kr}
}

func TestVaultSealsResolvesAndRedacts(t *testing.T) {
	v := newVault(t)
	sec, err := v.Put(t.Context(), core.DefaultNamespace, "token", "s3cr3t-value")
	if err != nil {
		t.Fatal(err)
	}
	if sec.KeyID != "k1" || bytes.Contains(sec.Sealed, []byte("s3cr3t-value")) {
		t.Fatalf("stored %+v", sec)
	}
	cfg, redact, err := v.Resolve(t.Context(), core.DefaultNamespace, json.RawMessage(`{"h":"Bearer {{ secret \"token\" }}"}`))
	if err != nil || string(cfg) != `{"h":"Bearer s3cr3t-value"}` {
		t.Fatalf("resolved %s %v", cfg, err)
	}
	if got := redact("echo: Bearer s3cr3t-value"); got != "echo: Bearer [secret token]" {
		t.Fatalf("redacted %q", got)
	}
	// A config without references is returned as it is.
	plain := json.RawMessage(`{"a": 1}`)
	if cfg, _, err := v.Resolve(t.Context(), core.DefaultNamespace, plain); err != nil || string(cfg) != string(plain) {
		t.Fatalf("plain %s %v", cfg, err)
	}
	// Another namespace has no such secret.
	if _, err := v.Store.NamespaceCreate(t.Context(), core.Namespace{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.Resolve(t.Context(), "other", json.RawMessage(`{"h":"{{ secret \"token\" }}"}`)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another namespace's secret resolved: %v", err)
	}
}

// A sealed value moved to another name does not open: it is bound to
// where it was sealed.
func TestVaultValuesAreBoundToTheirName(t *testing.T) {
	v := newVault(t)
	sec, err := v.Put(t.Context(), core.DefaultNamespace, "a", "value-of-a")
	if err != nil {
		t.Fatal(err)
	}
	sec.Name = "b"
	if _, err := v.Store.SecretPut(t.Context(), sec); err != nil {
		t.Fatal(err)
	}
	_, _, err = v.Resolve(t.Context(), core.DefaultNamespace, json.RawMessage(`{"x":"{{ secret \"b\" }}"}`))
	if err == nil || !strings.Contains(err.Error(), "does not authenticate") {
		t.Fatalf("a moved value opened: %v", err)
	}
	if _, err := v.Put(t.Context(), core.DefaultNamespace, "empty", ""); err == nil {
		t.Fatal("an empty value was stored")
	}
}

// TestTokenHashKeyIsOnePerCluster: nodes starting at once all get the
// key the first of them stored.
func TestTokenHashKeyIsOnePerCluster(t *testing.T) {
	v := newVault(t)
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := (&secrets.Vault{Store: v.Store, Keyring: v.Keyring}).TokenHashKey(t.Context())
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("node %d got key %x, node 0 %x", i, k, keys[0])
		}
	}
}
