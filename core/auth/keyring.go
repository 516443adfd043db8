package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeyLen is the length of a secret key: AES-256.
const KeyLen = 32

// ErrUnknownKey is wrapped by Open when a value was sealed under a key the
// keyring does not hold.
var ErrUnknownKey = errors.New("unknown key")

// keyIDPattern keeps key IDs short and plain: they are stored with every
// value.
var keyIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Keyring holds the keys secrets are sealed with: one current key, which
// seals, and older ones, which still open what they sealed, so that keys
// rotate without re-encrypting everything at once. Each sealed value
// carries the ID of its key.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// ParseKeyring reads a keyring file: one key per line, "ID HEX" where HEX
// is 64 hex digits (32 bytes); the first key seals, the others only open.
// Blank lines and lines starting with # are skipped. Errors name the line
// and never echo a key.
func ParseKeyring(text string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("keyring line %d: want \"ID HEX\" (a key ID, a space, 64 hex digits)", i+1)
		}
		id, hexKey := fields[0], fields[1]
		if !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("keyring line %d: key ID %q: use 1 to 32 lower-case letters, digits, '_' and '-'", i+1, id)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("keyring line %d: key ID %q appears twice", i+1, id)
		}
		key, err := hex.DecodeString(hexKey)
		if err != nil || len(key) != KeyLen {
			return nil, fmt.Errorf("keyring line %d: the key of %q must be %d hex digits (%d random bytes; `openssl rand -hex %d` makes one)", i+1, id, 2*KeyLen, KeyLen, KeyLen)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, err
		}
		k.aeads[id] = aead
		if k.current == "" {
			k.current = id
		}
	}
	if k.current == "" {
		return nil, errors.New("keyring: no key; write one line \"ID HEX\" (`openssl rand -hex 32` makes the HEX)")
	}
	return k, nil
}

// NewKeyringFile returns the text of a keyring file holding one new random
// key with the given ID.
func NewKeyringFile(id string) (string, error) {
	if !keyIDPattern.MatchString(id) {
		return "", fmt.Errorf("key ID %q: use 1 to 32 lower-case letters, digits, '_' and '-'", id)
	}
	key := make([]byte, KeyLen)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("new key: %w", err)
	}
	return "# Kronos secret keys: the first seals, every one opens. Keep this file private.\n" +
		id + " " + hex.EncodeToString(key) + "\n", nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return cipher.NewGCM(block)
}

// Current is the ID of the key that seals.
func (k *Keyring) Current() string { return k.current }

// Seal encrypts plaintext under the current key with AES-256-GCM. The
// additional data (e.g. "namespace/name") binds the value to where it is
// stored: opened anywhere else, it fails. It returns the key ID and the
// nonce followed by the ciphertext.
func (k *Keyring) Seal(plaintext, additional []byte) (keyID string, sealed []byte, err error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("seal: %w", err)
	}
	return k.current, aead.Seal(nonce, nonce, plaintext, additional), nil
}

// Open decrypts what Seal returned, under the key it names.
func (k *Keyring) Open(keyID string, sealed, additional []byte) ([]byte, error) {
	aead, ok := k.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("open: the value was sealed under key %q, which the keyring does not hold (add it back as an older key): %w", keyID, ErrUnknownKey)
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("open: the sealed value is too short")
	}
	nonce, ciphertext := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ciphertext, additional)
	if err != nil {
		return nil, errors.New("open: the value does not authenticate (tampered with, or moved from where it was sealed)")
	}
	return plain, nil
}
