package core

import (
	"fmt"
	"time"
)

// MaxSecretBytes bounds a secret's plaintext.
const MaxSecretBytes = 64 << 10

// Secret is a named value of a namespace, sealed at rest (see
// auth.Keyring): the store keeps the key ID and the sealed bytes, never
// the plaintext, and no API read returns either.
type Secret struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// KeyID names the key that sealed the value.
	KeyID string `json:"key_id"`
	// Sealed is the nonce and ciphertext; never serialized.
	Sealed    []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the value was last set (rotated).
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate reports every invalid field of s.
func (s *Secret) Validate() error {
	var v validator
	if fe := ValidateName("namespace", s.Namespace); fe != nil {
		v.fields = append(v.fields, fe)
	}
	if fe := ValidateName("name", s.Name); fe != nil {
		v.fields = append(v.fields, fe)
	}
	if s.KeyID == "" {
		v.add("key_id", "is required: the ID of the key that sealed the value")
	}
	switch {
	case len(s.Sealed) == 0:
		v.add("value", "is required")
	case len(s.Sealed) > MaxSecretBytes+64: // nonce and tag
		v.add("value", "is %d bytes sealed; a secret holds at most %d bytes", len(s.Sealed), MaxSecretBytes)
	}
	return v.err(fmt.Sprintf("secret %q", s.Name))
}
