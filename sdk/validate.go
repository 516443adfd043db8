package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem with a task config that the validate export
// found, such as {"field": "config.script", "message": "SyntaxError at
// line 2, column 11: Unexpected token ;"}.
type FieldError struct {
	// Field is the path of the field at fault under "config", such as
	// "config.script"; "config" for the config as a whole.
	Field string `json:"field"`
	// Message says what is wrong and, where possible, the fix.
	Message string `json:"message"`
}

// ValidateInput is the input of the validate export.
type ValidateInput struct {
	// Config is the task's config as written: secret references are not
	// resolved.
	Config json.RawMessage `json:"config"`
}

// ValidateOutput is the output of the validate export.
type ValidateOutput struct {
	// Errors lists every problem; empty when the config is valid.
	Errors []FieldError `json:"errors"`
}

// Validator checks a task config beyond what its JSON Schema can say
// (a script that must parse, fields that depend on each other). It
// returns nil when the config is valid.
type Validator func(config json.RawMessage) []FieldError

// InvokeValidate runs v for the validate input and returns the validate
// output. Validate calls it; tests may too.
func InvokeValidate(input []byte, v Validator) ([]byte, error) {
	if v == nil {
		return nil, errors.New("sdk: the validator is nil")
	}
	var in ValidateInput
	if err := json.Unmarshal(input, &in); err != nil {
		return nil, fmt.Errorf("validate input is not {\"config\": …}: %w", err)
	}
	out := ValidateOutput{Errors: v(in.Config)}
	if out.Errors == nil {
		out.Errors = []FieldError{}
	}
	return json.Marshal(out)
}

// FieldErrors splits an error whose lines read "config.field: message"
// (as DecodeConfig's and errors.Join of such errors do) into FieldErrors;
// a line without a "config" field is reported on "config".
func FieldErrors(err error) []FieldError {
	if err == nil {
		return nil
	}
	var out []FieldError
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		field, msg, ok := strings.Cut(line, ": ")
		if !ok || (field != "config" && !strings.HasPrefix(field, "config.")) || strings.ContainsAny(field, " \t") {
			field, msg = "config", line
		}
		out = append(out, FieldError{Field: field, Message: msg})
	}
	return out
}
