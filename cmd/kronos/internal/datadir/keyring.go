package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shiyu-coder/kronos/core/auth"
)

// KeyringFile is the file in the data dir that holds an embedded node's
// secret keys (see auth.ParseKeyring), readable by its user only.
const KeyringFile = "secret.keys"

// Keyring returns the keyring kept in dir, creating one with a new random
// key on first use.
func Keyring(dir string) (kr *auth.Keyring, created bool, err error) {
	path := filepath.Join(dir, KeyringFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		text, err := auth.NewKeyringFile("k1")
		if err != nil {
			return nil, false, err
		}
		if err := writeFileAtomic(path, []byte(text)); err != nil {
			return nil, false, fmt.Errorf("save the secret keys: %w", err)
		}
		b, created = []byte(text), true
	default:
		return nil, false, fmt.Errorf("read the secret keys: %w", err)
	}
	kr, err = auth.ParseKeyring(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return kr, created, nil
}
