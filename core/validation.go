package core

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// FieldError says what is wrong with one field of a value and, where it can,
// how to fix it. Field is a dotted path such as "retry.max_attempts".
type FieldError struct {
	// Field is the path of the offending field, using the JSON names.
	Field string
	// Message explains the problem and the fix.
	Message string
}

// Error implements error.
func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError collects every FieldError found while validating one value,
// so that a caller can report them all at once.
type ValidationError struct {
	// What names the validated value, e.g. `task "daily_backup"`.
	What string
	// Fields lists the problems in the order they were found.
	Fields []*FieldError
}

// Error implements error.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid " + e.What + ": " + strings.Join(parts, "; ")
}

// Unwrap lets errors.As find each FieldError.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Fields))
	for i, f := range e.Fields {
		errs[i] = f
	}
	return errs
}

// IsValidation reports whether err is (or wraps) a validation error.
func IsValidation(err error) bool {
	var ve *ValidationError
	var fe *FieldError
	return errors.As(err, &ve) || errors.As(err, &fe)
}

// validator accumulates field errors.
type validator struct {
	fields []*FieldError
}

func (v *validator) add(field, format string, args ...any) {
	v.fields = append(v.fields, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err(what string) error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{What: what, Fields: v.fields}
}

// MaxNameLength is the longest namespace or task name accepted.
const MaxNameLength = 128

var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$`)

// ValidateName checks a namespace or task name: 1 to 128 characters of
// lower-case letters, digits, '_', '.' and '-', starting and ending with a
// letter or digit. Names appear in URLs and metrics, so they are kept plain.
func ValidateName(field, name string) *FieldError {
	switch {
	case name == "":
		return &FieldError{Field: field, Message: "is required"}
	case len(name) > MaxNameLength:
		return &FieldError{Field: field, Message: fmt.Sprintf("is %d characters long; the limit is %d", len(name), MaxNameLength)}
	case !namePattern.MatchString(name):
		return &FieldError{Field: field, Message: fmt.Sprintf("%q is not a valid name: use lower-case letters, digits, '_', '.' and '-', starting and ending with a letter or digit (e.g. %q)", name, suggestName(name))}
	}
	return nil
}

func suggestName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	s := strings.Trim(b.String(), "_.-")
	if s == "" {
		return "my_task"
	}
	if len(s) > MaxNameLength {
		s = s[:MaxNameLength]
	}
	return s
}

// Label rules follow Kubernetes: keys are an optional DNS prefix and a name,
// values are short plain strings. They are matched exactly by label selectors.
const (
	// MaxLabels is the most labels one task may carry.
	MaxLabels = 32
	// MaxLabelKeyLength is the longest label key accepted.
	MaxLabelKeyLength = 63
	// MaxLabelValueLength is the longest label value accepted.
	MaxLabelValueLength = 63
)

var (
	labelKeyPattern   = regexp.MustCompile(`^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$`)
	labelValuePattern = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$`)
)

// ValidateLabels checks a label map and records problems under field.
func (v *validator) labels(field string, labels map[string]string) {
	if len(labels) > MaxLabels {
		v.add(field, "has %d labels; the limit is %d", len(labels), MaxLabels)
	}
	for k, val := range labels {
		switch {
		case len(k) == 0 || len(k) > MaxLabelKeyLength || !labelKeyPattern.MatchString(k):
			v.add(field+"."+k, "label key %q is invalid: use up to %d letters, digits, '_', '.' and '-', optionally with a prefix such as \"team.example.com/\"", k, MaxLabelKeyLength)
		case len(val) > MaxLabelValueLength || !labelValuePattern.MatchString(val):
			v.add(field+"."+k, "label value %q is invalid: use up to %d letters, digits, '_', '.' and '-', starting and ending with a letter or digit", val, MaxLabelValueLength)
		}
	}
}
