// Package auth holds the credentials of Kronos's API: the format of API
// tokens, how they are hashed for storage, and the roles they carry.
//
// A token reads "kro_" followed by 32 random base62 characters and a
// 6-character base62 CRC-32 of them, 42 characters in all, e.g.
// kro_7fJk2m…Qx1a9Z. The prefix lets secret scanners find leaked tokens;
// the checksum lets them (and the server) reject a mistyped or made-up
// token without a lookup. 32 base62 characters carry 190 bits, so a fast
// keyed hash (HMAC-SHA-256 under the server's key) is the right way to
// store them: there is nothing to brute-force, and the key keeps a stolen
// table of hashes from being checked offline.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// Token format.
const (
	// TokenPrefix starts every API token.
	TokenPrefix = "kro_"
	// tokenRandomChars is how many random base62 characters follow it.
	tokenRandomChars = 32
	// tokenChecksumChars is how many base62 characters the CRC-32 takes.
	tokenChecksumChars = 6
	// TokenLen is the length of a token.
	TokenLen = len(TokenPrefix) + tokenRandomChars + tokenChecksumChars
	// DisplayLen is how much of a token lists show: the prefix and the
	// first 4 random characters, enough to tell tokens apart, far too
	// little to guess one.
	DisplayLen = len(TokenPrefix) + 4
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ErrMalformedToken is wrapped by ParseToken's errors.
var ErrMalformedToken = errors.New("malformed token")

// NewToken returns a new random token.
func NewToken() (string, error) {
	var b strings.Builder
	b.Grow(TokenLen)
	b.WriteString(TokenPrefix)
	buf := make([]byte, tokenRandomChars)
	// Rejection sampling keeps every character uniform: 248 is the
	// largest multiple of 62 that fits a byte.
	for n := 0; n < tokenRandomChars; {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("auth: new token: %w", err)
		}
		for _, c := range buf {
			if c < 248 && n < tokenRandomChars {
				b.WriteByte(base62[c%62])
				n++
			}
		}
	}
	random := b.String()[len(TokenPrefix):]
	b.WriteString(checksum(random))
	return b.String(), nil
}

// checksum is the CRC-32 (IEEE) of s in 6 base62 characters.
func checksum(s string) string {
	v := uint64(crc32.ChecksumIEEE([]byte(s)))
	out := make([]byte, tokenChecksumChars)
	for i := tokenChecksumChars - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out)
}

// ParseToken checks that s is a well-formed token: the prefix, the length,
// the alphabet and the checksum. It says which is wrong, never echoing the
// token itself.
func ParseToken(s string) error {
	switch {
	case !strings.HasPrefix(s, TokenPrefix):
		return fmt.Errorf("%w: an API token starts with %q", ErrMalformedToken, TokenPrefix)
	case len(s) != TokenLen:
		return fmt.Errorf("%w: an API token is %d characters, this one is %d", ErrMalformedToken, TokenLen, len(s))
	}
	body := s[len(TokenPrefix):]
	for i := range len(body) {
		if strings.IndexByte(base62, body[i]) < 0 {
			return fmt.Errorf("%w: character %d is not a letter or a digit", ErrMalformedToken, len(TokenPrefix)+i+1)
		}
	}
	random, sum := body[:tokenRandomChars], body[tokenRandomChars:]
	if !hmac.Equal([]byte(checksum(random)), []byte(sum)) {
		return fmt.Errorf("%w: its checksum does not match (a typo, or not a Kronos token)", ErrMalformedToken)
	}
	return nil
}

// Hash is what the store keeps of a token: HMAC-SHA-256 under key.
func Hash(key []byte, token string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(token))
	return m.Sum(nil)
}

// Display is the part of a token that lists show (and the store keeps).
func Display(token string) string {
	return token[:min(len(token), DisplayLen)]
}
