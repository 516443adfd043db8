package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Input is the JSON document Kronos passes to the execute export.
type Input struct {
	// Config is the task's resolved config (secrets already filled in).
	Config json.RawMessage `json:"config"`
	// Execution describes the run being executed.
	Execution Execution `json:"execution"`
}

// Execution describes one run of a task.
type Execution struct {
	// ID is the stable execution id, the same on every attempt. Pass it on
	// as an idempotency key: side effects are at-least-once.
	ID string `json:"id"`
	// Attempt counts the tries of this execution, starting at 1.
	Attempt int `json:"attempt"`
	// ScheduledAt is the instant the execution was scheduled for (for a
	// manual trigger, the instant it was requested).
	ScheduledAt time.Time `json:"scheduled_at"`
	// Trigger says why the execution runs: "schedule", "catch_up" (a missed
	// instant run late) or "manual". New values may appear.
	Trigger string `json:"trigger"`
	// Namespace is the task's namespace.
	Namespace string `json:"namespace"`
	// Task is the task's name.
	Task string `json:"task"`
	// Labels are the task's labels.
	Labels map[string]string `json:"labels,omitempty"`
}

// DecodeInput parses the input of the execute export.
func DecodeInput(data []byte) (Input, error) {
	var in Input
	if len(bytes.TrimSpace(data)) == 0 {
		return in, errors.New("execute input is empty: Kronos passes {\"config\": …, \"execution\": …} (is the plugin called by a Kronos host?)")
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return in, fmt.Errorf("execute input is not the Kronos envelope {\"config\": …, \"execution\": …}: %w", err)
	}
	return in, nil
}

// DecodeConfig decodes a task config into v, which is usually a pointer to
// a struct with json tags. A missing or null config decodes as {}. Unknown
// fields are refused, and every error names the field at fault, such as
// `config.timeout: expected string, got number`.
func DecodeConfig(raw json.RawMessage, v any) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		trimmed = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return configError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("config: unexpected data after the config object")
	}
	return nil
}

// configError rewrites an encoding/json error so that it names the config
// field and the fix.
func configError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := "config"
		if typeErr.Field != "" {
			field += "." + typeErr.Field
		}
		return fmt.Errorf("%s: expected %s, got %s", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("config is not valid JSON (at byte %d): %w", syntaxErr.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fmt.Errorf("config: unknown field %s (check its spelling against the plugin's config schema)", name)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("config is not valid JSON: it ends too early")
	default:
		return fmt.Errorf("config: %w", err)
	}
}

// jsonKind names a Go kind the way a config author knows it.
func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "integer"
	case "float32", "float64":
		return "number"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	default:
		return goKind
	}
}
