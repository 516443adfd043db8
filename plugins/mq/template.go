package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/sdk"
)

// Placeholders. Task configs reserve {{ … }} for secret references (the
// server refuses any other {{), so the MQ templates use ${…}, and $${
// writes a literal ${.
const (
	placeholderOpen   = "${"
	placeholderEscape = "$${"
	labelPrefix       = "execution.labels."
	// nowLayout is RFC 3339 with milliseconds, always in UTC.
	nowLayout = "2006-01-02T15:04:05.000Z07:00"
)

// placeholders are the names a template may use, in the order messages
// list them; execution.labels.<key> is matched by labelPrefix.
var placeholders = []string{
	"execution.id",
	"execution.attempt",
	"execution.scheduled_at",
	"execution.trigger",
	"execution.namespace",
	"execution.task",
	labelPrefix + "<key>",
	"now",
}

// knownPlaceholders is the list that errors about an unknown placeholder
// give.
var knownPlaceholders = func() string {
	names := make([]string, len(placeholders))
	for i, p := range placeholders {
		names[i] = placeholderOpen + p + "}"
	}
	return strings.Join(names, ", ")
}()

// knownPlaceholder reports whether name is a placeholder a template may use.
func knownPlaceholder(name string) bool {
	if key, ok := strings.CutPrefix(name, labelPrefix); ok {
		return key != ""
	}
	for _, p := range placeholders {
		if p == name {
			return true
		}
	}
	return false
}

// template is a parsed config string: literal text and placeholders.
type template struct {
	parts []part
}

// part is literal text, or a placeholder when name is set.
type part struct {
	lit  string
	name string
}

// parseTemplate parses s, refusing an unterminated or unknown placeholder
// with a message that lists the known ones.
func parseTemplate(s string) (template, error) {
	var t template
	var lit strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], placeholderEscape):
			lit.WriteString(placeholderOpen)
			i += len(placeholderEscape)
		case strings.HasPrefix(s[i:], placeholderOpen):
			end := strings.IndexByte(s[i+len(placeholderOpen):], '}')
			if end < 0 {
				return template{}, fmt.Errorf("the placeholder at byte %d has no closing }: write %sexecution.id} and the like, or $${ for a literal ${", i, placeholderOpen)
			}
			raw := s[i+len(placeholderOpen) : i+len(placeholderOpen)+end]
			name := strings.TrimSpace(raw)
			if !knownPlaceholder(name) {
				return template{}, fmt.Errorf("unknown placeholder ${%s}; use one of %s, or $${ for a literal ${", raw, knownPlaceholders)
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, part{lit: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, part{name: name})
			i += len(placeholderOpen) + end + 1
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, part{lit: lit.String()})
	}
	return t, nil
}

// expand returns the template's text with its placeholders replaced by
// vars.
func (t template) expand(vars vars) string {
	if len(t.parts) == 1 && t.parts[0].name == "" {
		return t.parts[0].lit
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		b.WriteString(vars.value(p.name))
	}
	return b.String()
}

// vars are the values of the placeholders for one execution.
type vars struct {
	exec sdk.Execution
	now  time.Time
}

// value returns the value of a known placeholder; an absent label is "".
func (v vars) value(name string) string {
	switch name {
	case "execution.id":
		return v.exec.ID
	case "execution.attempt":
		return strconv.Itoa(v.exec.Attempt)
	case "execution.scheduled_at":
		if v.exec.ScheduledAt.IsZero() {
			return ""
		}
		return v.exec.ScheduledAt.UTC().Format(time.RFC3339)
	case "execution.trigger":
		return v.exec.Trigger
	case "execution.namespace":
		return v.exec.Namespace
	case "execution.task":
		return v.exec.Task
	case "now":
		return v.now.UTC().Format(nowLayout)
	}
	if key, ok := strings.CutPrefix(name, labelPrefix); ok {
		return v.exec.Labels[key]
	}
	return ""
}

// jsonTemplate is a payload_json value: any JSON whose string values (not
// its object keys) are templates.
type jsonTemplate struct {
	raw json.RawMessage
}

// parseJSONTemplate checks every string of raw as a template, reporting
// each problem on its path, such as config.payload_json.order.id.
func parseJSONTemplate(raw json.RawMessage) (jsonTemplate, error) {
	var errs []error
	_, err := walkJSON(raw, func(path string, s string) (string, error) {
		if _, err := parseTemplate(s); err != nil {
			errs = append(errs, fieldErr(path, err))
		}
		return s, nil
	})
	if err != nil {
		return jsonTemplate{}, fmt.Errorf("config.payload_json: %w", err)
	}
	if len(errs) > 0 {
		return jsonTemplate{}, errors.Join(errs...)
	}
	return jsonTemplate{raw: raw}, nil
}

// expand returns the value as compact JSON, its strings expanded; object
// keys keep their order.
func (t jsonTemplate) expand(v vars) ([]byte, error) {
	return walkJSON(t.raw, func(_ string, s string) (string, error) {
		tpl, err := parseTemplate(s)
		if err != nil {
			return "", err
		}
		return tpl.expand(v), nil
	})
}

// fieldErr prefixes err with a payload_json path, as "config.payload_json.a.b: …".
func fieldErr(path string, err error) error {
	return fmt.Errorf("%s: %w", path, err)
}

// walkJSON re-encodes raw as compact JSON, keeping the order of object
// keys and the text of numbers, with every string value replaced by
// visit(path, s). Paths read config.payload_json.a.b[2] (see childPath).
func walkJSON(raw json.RawMessage, visit func(path, s string) (string, error)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	w := jsonWalker{dec: dec, out: &out, visit: visit}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("is not valid JSON: %w", err)
	}
	if err := w.value(tok, "config.payload_json"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("has data after its JSON value")
	}
	return out.Bytes(), nil
}

type jsonWalker struct {
	dec   *json.Decoder
	out   *bytes.Buffer
	visit func(path, s string) (string, error)
}

func (w *jsonWalker) value(tok json.Token, path string) error {
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return w.object(path)
		case '[':
			return w.array(path)
		}
		return fmt.Errorf("unexpected %q", v)
	case string:
		s, err := w.visit(path, v)
		if err != nil {
			return fieldErr(path, err)
		}
		return w.str(s)
	case json.Number:
		w.out.WriteString(v.String())
	case bool:
		w.out.WriteString(strconv.FormatBool(v))
	case nil:
		w.out.WriteString("null")
	default:
		return fmt.Errorf("unexpected %v", v)
	}
	return nil
}

func (w *jsonWalker) object(path string) error {
	w.out.WriteByte('{')
	for i := 0; w.dec.More(); i++ {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("an object key is %v, not a string", tok)
		}
		if i > 0 {
			w.out.WriteByte(',')
		}
		if err := w.str(key); err != nil {
			return err
		}
		w.out.WriteByte(':')
		tok, err = w.dec.Token()
		if err != nil {
			return err
		}
		if err := w.value(tok, childPath(path, key)); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil { // '}'
		return err
	}
	w.out.WriteByte('}')
	return nil
}

func (w *jsonWalker) array(path string) error {
	w.out.WriteByte('[')
	for i := 0; w.dec.More(); i++ {
		if i > 0 {
			w.out.WriteByte(',')
		}
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		if err := w.value(tok, path+"["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil { // ']'
		return err
	}
	w.out.WriteByte(']')
	return nil
}

// str writes s as a JSON string, without escaping <, > and & (a payload
// is not HTML).
func (w *jsonWalker) str(s string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	w.out.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return nil
}

// childPath is path followed by an object key: ".key" for a plain key,
// otherwise `["key"]` (sdk.FieldErrors reports a path with blanks in it on
// "config", the path then starting the message).
func childPath(path, key string) string {
	if plainKey(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !keyByte(c) {
			return false
		}
	}
	return true
}

// keyByte reports whether c may appear in a plain label key.
func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}
