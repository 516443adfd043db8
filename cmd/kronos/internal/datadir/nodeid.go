package datadir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// NodeIDFile is the name of the file inside the data dir that keeps the
// generated node ID across restarts.
const NodeIDFile = "node-id"

// MaxNodeIDLen is the longest node ID accepted.
const MaxNodeIDLen = 63

// CheckNodeID reports whether id is a usable node ID: 1 to 63 characters
// from a-z, A-Z, 0-9, '.', '_' and '-', starting with a letter or digit.
func CheckNodeID(id string) error {
	if id == "" {
		return errors.New("node ID is empty")
	}
	if len(id) > MaxNodeIDLen {
		return fmt.Errorf("node ID %q is %d characters long, the limit is %d", id, len(id), MaxNodeIDLen)
	}
	for i, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && (r == '.' || r == '_' || r == '-'):
		default:
			return fmt.Errorf("node ID %q has %q at position %d; use letters, digits, '.', '_' and '-', starting with a letter or digit", id, r, i+1)
		}
	}
	return nil
}

// NodeID returns the node ID kept in dir, generating and saving one (host
// name plus a short random suffix) on first use. created reports whether it
// was generated now. Call it while holding the data dir's [Lock].
func NodeID(dir string) (id string, created bool, err error) {
	path := filepath.Join(dir, NodeIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id = strings.TrimSpace(string(b))
		if err := CheckNodeID(id); err != nil {
			return "", false, fmt.Errorf("%s: %w (fix or delete the file to generate a new one)", path, err)
		}
		return id, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read node ID: %w", err)
	}

	host, _ := os.Hostname()
	id, err = newNodeID(host)
	if err != nil {
		return "", false, err
	}
	if err := writeFileAtomic(path, []byte(id+"\n")); err != nil {
		return "", false, fmt.Errorf("save node ID: %w", err)
	}
	return id, true, nil
}

// newNodeID returns host cleaned up to node ID characters, a dash and six
// random hex digits, e.g. "web-1-3f9a0c".
func newNodeID(host string) (string, error) {
	var suffix [3]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return "", fmt.Errorf("generate node ID: %w", err)
	}
	var b strings.Builder
	for _, r := range strings.ToLower(host) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	const maxHost = MaxNodeIDLen - 7 // room for "-" and 6 hex digits
	if len(name) > maxHost {
		name = strings.TrimRight(name[:maxHost], "-")
	}
	if name == "" {
		name = "node"
	}
	return name + "-" + hex.EncodeToString(suffix[:]), nil
}

// writeFileAtomic writes b to a temporary file beside path and renames it
// over path, so a crash never leaves a half-written file.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		return errors.Join(err, f.Close(), os.Remove(tmp))
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close(), os.Remove(tmp))
	}
	if err := f.Close(); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return nil
}
