package auth_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core/auth"
)

func TestNewTokenParses(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != auth.TokenLen || !strings.HasPrefix(tok, auth.TokenPrefix) {
			t.Fatalf("token %q", tok)
		}
		if err := auth.ParseToken(tok); err != nil {
			t.Fatalf("a new token does not parse: %v", err)
		}
		if seen[tok] {
			t.Fatal("the same token twice")
		}
		seen[tok] = true
	}
}

func TestParseTokenSaysWhatIsWrong(t *testing.T) {
	good, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	// Change one random character: the checksum catches it.
	i := len(auth.TokenPrefix) + 3
	flipped := []byte(good)
	if flipped[i] == 'a' {
		flipped[i] = 'b'
	} else {
		flipped[i] = 'a'
	}
	for name, c := range map[string]struct{ token, want string }{
		"no prefix":    {"abc_" + good[4:], `starts with "kro_"`},
		"too short":    {good[:len(good)-1], "characters, this one is"},
		"bad alphabet": {good[:10] + "-" + good[11:], "character 11 is not"},
		"a typo":       {string(flipped), "checksum does not match"},
		"empty":        {"", `starts with "kro_"`},
	} {
		err := auth.ParseToken(c.token)
		if !errors.Is(err, auth.ErrMalformedToken) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want it to say %q", name, err, c.want)
		}
		if err != nil && len(c.token) > 8 && strings.Contains(err.Error(), c.token) {
			t.Errorf("%s: the error echoes the token", name)
		}
	}
}

func TestHashIsKeyed(t *testing.T) {
	tok, _ := auth.NewToken()
	a, b := auth.Hash([]byte("key-a"), tok), auth.Hash([]byte("key-b"), tok)
	if len(a) != 32 || bytes.Equal(a, b) || !bytes.Equal(a, auth.Hash([]byte("key-a"), tok)) {
		t.Fatal("the hash is not a deterministic, keyed 32-byte HMAC")
	}
	if d := auth.Display(tok); !strings.HasPrefix(tok, d) || len(d) != auth.DisplayLen {
		t.Fatalf("display %q", d)
	}
}

// FuzzParseToken: no input panics, and whatever parses has the token's
// shape.
func FuzzParseToken(f *testing.F) {
	tok, _ := auth.NewToken()
	f.Add(tok)
	f.Add("kro_")
	f.Add("")
	f.Add(strings.Repeat("x", 100))
	f.Fuzz(func(t *testing.T, s string) {
		if auth.ParseToken(s) == nil && (len(s) != auth.TokenLen || !strings.HasPrefix(s, auth.TokenPrefix)) {
			t.Fatalf("%q parsed", s)
		}
	})
}
