package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Status is the outcome a plugin reports for an execution.
type Status string

// The statuses a plugin may report.
const (
	// StatusSucceeded marks a successful execution. It is the default.
	StatusSucceeded Status = "succeeded"
	// StatusFailed marks a failed execution; Kronos may retry it.
	StatusFailed Status = "failed"
)

// Result is what a Handler returns for an execution.
type Result struct {
	// Status is the outcome. Defaults to StatusSucceeded.
	Status Status
	// Value is recorded as the execution's result; it must encode as JSON.
	// Nil records no result.
	Value any
	// Error says why the execution failed; used with StatusFailed.
	Error string
}

// Succeeded returns a successful Result that records v.
func Succeeded(v any) Result {
	return Result{Status: StatusSucceeded, Value: v}
}

// Failed returns a failed Result with the message msg; v (which may be nil)
// is recorded as the result, such as the response that was unexpected.
func Failed(msg string, v any) Result {
	return Result{Status: StatusFailed, Value: v, Error: msg}
}

// Output is the JSON document the execute export returns.
type Output struct {
	// Status is "succeeded" or "failed"; empty means succeeded.
	Status Status `json:"status,omitempty"`
	// Result is the execution's result, any JSON.
	Result json.RawMessage `json:"result,omitempty"`
	// Error is the message of a failed execution.
	Error string `json:"error,omitempty"`
}

// defaultFailedMessage is the message of a failed Result that has none.
const defaultFailedMessage = "the plugin reported a failure without a message"

// Encode returns the execute output for r.
func (r Result) Encode() ([]byte, error) {
	out := Output{Status: r.Status, Error: r.Error}
	switch r.Status {
	case "":
		out.Status = StatusSucceeded
	case StatusSucceeded:
	case StatusFailed:
		if out.Error == "" {
			out.Error = defaultFailedMessage
		}
	default:
		return nil, fmt.Errorf("result status %q is not %q or %q", r.Status, StatusSucceeded, StatusFailed)
	}
	if r.Value != nil {
		b, err := json.Marshal(r.Value)
		if err != nil {
			return nil, fmt.Errorf("encode result value as JSON: %w", err)
		}
		out.Result = b
	}
	return json.Marshal(out)
}

// DecodeOutput parses the output of an execute export, filling in the
// default status.
func DecodeOutput(data []byte) (Output, error) {
	var out Output
	if err := json.Unmarshal(data, &out); err != nil {
		return out, fmt.Errorf("execute output is not {\"status\": …, \"result\": …, \"error\": …}: %w", err)
	}
	switch out.Status {
	case "":
		out.Status = StatusSucceeded
	case StatusSucceeded, StatusFailed:
	default:
		return out, fmt.Errorf("execute output status %q is not %q or %q", out.Status, StatusSucceeded, StatusFailed)
	}
	if out.Status == StatusFailed && out.Error == "" {
		return out, errors.New("execute output has status \"failed\" but no error message")
	}
	return out, nil
}
