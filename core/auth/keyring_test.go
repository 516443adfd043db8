package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core/auth"
)

func mustKeyring(t *testing.T, ids ...string) *auth.Keyring {
	t.Helper()
	var text strings.Builder
	for _, id := range ids {
		f, err := auth.NewKeyringFile(id)
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(f)
	}
	k, err := auth.ParseKeyring(text.String())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyringSealsAndOpens(t *testing.T) {
	k := mustKeyring(t, "k1")
	id, sealed, err := k.Seal([]byte("Bearer s3cret"), []byte("team-a/backup"))
	if err != nil || id != "k1" {
		t.Fatal(id, err)
	}
	if strings.Contains(string(sealed), "s3cret") {
		t.Fatal("the sealed value holds the plaintext")
	}
	plain, err := k.Open(id, sealed, []byte("team-a/backup"))
	if err != nil || string(plain) != "Bearer s3cret" {
		t.Fatalf("open: %q %v", plain, err)
	}
	// Bound to where it was sealed, and to its bytes.
	if _, err := k.Open(id, sealed, []byte("team-b/backup")); err == nil {
		t.Fatal("opened under other additional data")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Open(id, sealed, []byte("team-a/backup")); err == nil {
		t.Fatal("opened a tampered value")
	}
	// Two seals of one value differ (random nonces).
	_, a, _ := k.Seal([]byte("x"), nil)
	_, b, _ := k.Seal([]byte("x"), nil)
	if string(a) == string(b) {
		t.Fatal("two seals are equal")
	}
}

// A rotated keyring seals with its new first key and still opens what the
// old one sealed; dropping the old key is a clear error.
func TestKeyringRotation(t *testing.T) {
	oldFile, _ := auth.NewKeyringFile("old")
	newFile, _ := auth.NewKeyringFile("new")
	before, err := auth.ParseKeyring(oldFile)
	if err != nil {
		t.Fatal(err)
	}
	_, sealed, _ := before.Seal([]byte("v"), nil)
	after, err := auth.ParseKeyring(newFile + oldFile)
	if err != nil || after.Current() != "new" {
		t.Fatal(after, err)
	}
	if plain, err := after.Open("old", sealed, nil); err != nil || string(plain) != "v" {
		t.Fatalf("the old value after rotation: %q %v", plain, err)
	}
	dropped, _ := auth.ParseKeyring(newFile)
	if _, err := dropped.Open("old", sealed, nil); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("a dropped key: %v", err)
	}
}

func TestParseKeyringErrorsNameTheLine(t *testing.T) {
	good, _ := auth.NewKeyringFile("k1")
	secretHex := strings.Fields(strings.Split(good, "\n")[1])[1]
	for name, c := range map[string]struct{ text, want string }{
		"empty":     {"# nothing\n", "no key"},
		"one field": {"k1\n", "line 1: want"},
		"bad id":    {"K 1 " + secretHex + "\n", "line 1: want"},
		"upper id":  {"Key " + secretHex + "\n", `key ID "Key"`},
		"short key": {"k1 abcd\n", "line 1: the key of \"k1\" must be 64 hex digits"},
		"dup":       {good + "k1 " + secretHex + "\n", `line 3: key ID "k1" appears twice`},
	} {
		_, err := auth.ParseKeyring(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), secretHex) {
			t.Errorf("%s: the error echoes a key", name)
		}
	}
}
