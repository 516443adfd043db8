package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// A task config refers to a secret of its namespace by writing
// {{ secret "name" }} inside any JSON string, e.g.
//
//	{"headers": {"Authorization": "Bearer {{ secret \"backup-token\" }}"}}
//
// The reference stays in the stored config; the value replaces it only
// inside the execution (ResolveSecrets), and is redacted from what the
// execution returns and logs (Redactor). Nothing else is a template: text
// without "{{" is left exactly as it is, and "{{" that does not start a
// well-formed reference is an error, so a typo is not sent to a target.

// SecretRefs lists the secret names a config refers to, sorted, without
// duplicates. It fails on a malformed reference, naming the JSON path.
func SecretRefs(config json.RawMessage) ([]string, error) {
	seen := map[string]bool{}
	_, err := resolve(config, func(name string) (string, error) {
		seen[name] = true
		return "", nil
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// ResolveSecrets returns config with every reference replaced by the
// value lookup gives for its name.
func ResolveSecrets(config json.RawMessage, lookup func(name string) (string, error)) (json.RawMessage, error) {
	return resolve(config, lookup)
}

func resolve(config json.RawMessage, lookup func(string) (string, error)) (json.RawMessage, error) {
	if len(bytes.TrimSpace(config)) == 0 {
		return config, nil
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("config is not JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("config is not JSON: more follows its value")
	}
	changed := false
	out, err := walk(doc, "config", lookup, &changed)
	if err != nil {
		return nil, err
	}
	if !changed {
		return config, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode the resolved config: %w", err)
	}
	return b, nil
}

func walk(v any, path string, lookup func(string) (string, error), changed *bool) (any, error) {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "{{") {
			return x, nil
		}
		s, err := expand(x, path, lookup)
		if err != nil {
			return nil, err
		}
		*changed = true
		return s, nil
	case map[string]any:
		for k, e := range x {
			r, err := walk(e, path+"."+k, lookup, changed)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
		return x, nil
	case []any:
		for i, e := range x {
			r, err := walk(e, fmt.Sprintf("%s[%d]", path, i), lookup, changed)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
		return x, nil
	}
	return v, nil
}

// expand replaces the references in one string.
func expand(s, path string, lookup func(string) (string, error)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			return "", fmt.Errorf(`%s: "{{" without "}}": write {{ secret "name" }}`, path)
		}
		name, err := parseRef(strings.TrimSpace(rest[:end]))
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		val, err := lookup(name)
		if err != nil {
			return "", fmt.Errorf("%s: secret %q: %w", path, name, err)
		}
		b.WriteString(val)
		s = rest[end+2:]
	}
}

// parseRef reads `secret "name"` and checks the name.
func parseRef(ref string) (string, error) {
	const verb = "secret"
	if !strings.HasPrefix(ref, verb) {
		return "", fmt.Errorf(`%q is not a reference: write {{ secret "name" }}`, ref)
	}
	arg := strings.TrimSpace(ref[len(verb):])
	if len(arg) < 2 || arg[0] != '"' || arg[len(arg)-1] != '"' {
		return "", fmt.Errorf(`%q: the name goes in double quotes: {{ secret "name" }}`, ref)
	}
	name := arg[1 : len(arg)-1]
	if !secretName(name) {
		return "", fmt.Errorf("%q is not a secret name: use lower-case letters, digits, '_', '.' and '-'", name)
	}
	return name, nil
}

// secretNameChars are the bytes a secret name may hold.
const secretNameChars = "abcdefghijklmnopqrstuvwxyz0123456789_.-"

func secretName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := range len(s) {
		if !strings.ContainsRune(secretNameChars, rune(s[i])) {
			return false
		}
	}
	return true
}

// Redactor hides secret values in text an execution produced (its output,
// error and log lines), naming the secret instead.
type Redactor struct {
	r *strings.Replacer
}

// NewRedactor redacts each value of values (name → value). Values shorter
// than 4 bytes are not redacted: they would mangle ordinary text and hide
// nothing worth hiding.
func NewRedactor(values map[string]string) *Redactor {
	names := make([]string, 0, len(values))
	for n, v := range values {
		if len(v) >= 4 {
			names = append(names, n)
		}
	}
	// Longer values first, so that one containing another is hidden whole.
	sort.Slice(names, func(i, j int) bool {
		if len(values[names[i]]) != len(values[names[j]]) {
			return len(values[names[i]]) > len(values[names[j]])
		}
		return names[i] < names[j]
	})
	var pairs []string
	for _, n := range names {
		pairs = append(pairs, values[n], "[secret "+n+"]")
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// Redact returns s with every secret value replaced by its name.
func (r *Redactor) Redact(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}
