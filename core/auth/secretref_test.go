package auth_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core/auth"
)

func lookupIn(values map[string]string) func(string) (string, error) {
	return func(name string) (string, error) {
		v, ok := values[name]
		if !ok {
			return "", errors.New("no such secret")
		}
		return v, nil
	}
}

func TestResolveSecrets(t *testing.T) {
	config := json.RawMessage(`{"method":"POST","headers":{"Authorization":"Bearer {{ secret \"backup-token\" }}"},"urls":["https://{{secret \"host\"}}/a","plain"],"n":12345678901234567890}`)
	names, err := auth.SecretRefs(config)
	if err != nil || !slices.Equal(names, []string{"backup-token", "host"}) {
		t.Fatalf("refs %v %v", names, err)
	}
	got, err := auth.ResolveSecrets(config, lookupIn(map[string]string{"backup-token": "s3cr3t-value", "host": "backup.internal"}))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Headers map[string]string `json:"headers"`
		URLs    []string          `json:"urls"`
		N       json.Number       `json:"n"`
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Headers["Authorization"] != "Bearer s3cr3t-value" || doc.URLs[0] != "https://backup.internal/a" || doc.URLs[1] != "plain" ||
		doc.N != "12345678901234567890" {
		t.Fatalf("resolved %s", got)
	}
	// Without references the config is returned as it is, byte for byte.
	plain := json.RawMessage(`{"b": 1, "a": "x"}`)
	if out, err := auth.ResolveSecrets(plain, lookupIn(nil)); err != nil || string(out) != string(plain) {
		t.Fatalf("a config without references changed: %s %v", out, err)
	}
}

func TestResolveSecretsErrorsNameThePath(t *testing.T) {
	for name, c := range map[string]struct{ config, want string }{
		"unclosed":      {`{"a":"x {{ secret \"k\""}`, `config.a: "{{" without "}}"`},
		"not secret":    {`{"a":["{{ env \"HOME\" }}"]}`, `config.a[0]: "env \"HOME\"" is not a reference`},
		"no quotes":     {`{"a":"{{ secret k }}"}`, "the name goes in double quotes"},
		"bad name":      {`{"a":"{{ secret \"K Y\" }}"}`, `"K Y" is not a secret name`},
		"missing value": {`{"h":{"x":"{{ secret \"gone\" }}"}}`, `config.h.x: secret "gone": no such secret`},
		"not json":      {`{"a":`, "config is not JSON"},
	} {
		_, err := auth.ResolveSecrets(json.RawMessage(c.config), lookupIn(map[string]string{"k": "v"}))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestRedactor(t *testing.T) {
	r := auth.NewRedactor(map[string]string{"token": "s3cr3t-value", "short": "ab", "longer": "s3cr3t-value-2"})
	got := r.Redact(`sent "Bearer s3cr3t-value" and s3cr3t-value-2; ab stays`)
	if got != `sent "Bearer [secret token]" and [secret longer]; ab stays` {
		t.Fatalf("redacted %q", got)
	}
	var none *auth.Redactor
	if none.Redact("x") != "x" {
		t.Fatal("a nil redactor changed text")
	}
}

// FuzzResolveSecrets: no config panics the resolver; what it resolves is
// JSON; a config without "{{" comes back unchanged.
func FuzzResolveSecrets(f *testing.F) {
	f.Add(`{"a":"Bearer {{ secret \"t\" }}"}`)
	f.Add(`{"a":"{{"}`)
	f.Add(`[1,"{{ secret \"x\" }}{{ secret \"y\" }}",{"k":null}]`)
	f.Add(`"plain"`)
	f.Fuzz(func(t *testing.T, config string) {
		out, err := auth.ResolveSecrets(json.RawMessage(config), func(string) (string, error) { return "v\"\\", nil })
		if err != nil {
			return
		}
		if !json.Valid(out) && len(strings.TrimSpace(config)) > 0 {
			t.Fatalf("%q resolved to invalid JSON %q", config, out)
		}
		if !strings.Contains(config, "{{") && string(out) != config {
			t.Fatalf("%q changed to %q", config, out)
		}
	})
}
