package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readDocument reads one JSON or YAML document from path ("-" is stdin)
// and returns it as JSON. A .json file must be JSON and a .yaml or .yml
// file YAML; otherwise the content decides (JSON starts with "{" or "[").
// Errors are usage errors: they name the file and what is wrong with it.
func readDocument(path string, stdin io.Reader) (json.RawMessage, error) {
	var b []byte
	var err error
	name := path
	if path == "-" {
		name = "stdin"
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, &usageError{err: fmt.Errorf("read %s: %w", name, err)}
	}
	doc, err := decodeDocument(b, strings.ToLower(filepath.Ext(path)))
	if err != nil {
		return nil, &usageError{err: fmt.Errorf("read %s: %w", name, err)}
	}
	return doc, nil
}

// decodeDocument decodes one JSON or YAML document (by ext, or by its
// content when ext is neither) and returns it as JSON.
func decodeDocument(b []byte, ext string) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return nil, errors.New("it is empty: write a JSON or YAML document")
	}
	isJSON := ext == ".json" || (ext != ".yaml" && ext != ".yml" && (trimmed[0] == '{' || trimmed[0] == '['))
	if isJSON {
		var v any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		if dec.More() {
			return nil, errors.New("more than one JSON value: write one document")
		}
		return json.RawMessage(trimmed), nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document: write one (no second ---)")
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("the YAML has no JSON form (map keys must be strings): %w", err)
	}
	return out, nil
}

// readObject reads a document that must be a JSON object (a task).
func readObject(path string, stdin io.Reader) (map[string]json.RawMessage, error) {
	doc, err := readDocument(path, stdin)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(doc, &obj); err != nil || obj == nil {
		name := path
		if path == "-" {
			name = "stdin"
		}
		return nil, &usageError{err: fmt.Errorf("read %s: it is not an object of fields (name: ..., schedule: ...)", name)}
	}
	return obj, nil
}

// readValue reads --config style input: "@path" (or "@-" for stdin) is a
// JSON or YAML file, anything else is inline JSON or YAML.
func readValue(flag, s string, stdin io.Reader) (any, error) {
	var doc json.RawMessage
	var err error
	if path, ok := strings.CutPrefix(s, "@"); ok {
		doc, err = readDocument(path, stdin)
	} else {
		doc, err = decodeDocument([]byte(s), "")
		if err != nil {
			err = &usageError{err: fmt.Errorf("%s: %w", flag, err)}
		}
	}
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, &usageError{err: fmt.Errorf("%s: %w", flag, err)}
	}
	return v, nil
}
