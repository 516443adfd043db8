// Package sdktest runs Kronos plugin handlers in ordinary Go tests, on any
// platform, against an in-memory fake of the Kronos host functions.
//
// Write the handler in a file without a build tag, keep only the
// //go:wasmexport glue in a //go:build wasip1 file, and test the handler
// with Execute:
//
//	host := sdktest.NewHost()
//	host.HTTPFunc = func(req sdk.HTTPRequest) (sdk.HTTPResponse, error) {
//		return sdk.HTTPResponse{Status: 200}, nil
//	}
//	out, err := sdktest.Execute(handle, host, map[string]any{"url": "https://example.com"}, sdktest.Execution())
package sdktest

import (
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/shiyu-coder/kronos/sdk"
)

// LogLine is one line a handler logged.
type LogLine struct {
	// Level is the line's level.
	Level sdk.Level
	// Msg is the formatted line.
	Msg string
}

// Host is an in-memory sdk.Host. It records log lines, HTTP requests and
// MQ messages, answers HTTP requests with HTTPFunc and MQ messages with
// MQFunc, and keeps kv in a map (ttls are recorded, not enforced). It is
// safe for concurrent use.
type Host struct {
	// HTTPFunc answers HTTP requests. Nil answers each with an
	// *sdk.HTTPError of kind refused.
	HTTPFunc func(req sdk.HTTPRequest) (sdk.HTTPResponse, error)
	// MQFunc answers MQ publishes. Nil answers each with an *sdk.MQError
	// of kind not_found.
	MQFunc func(m sdk.MQMessage) (sdk.MQReceipt, error)
	// KVErr, when set, is returned by every kv call (to test quota errors).
	KVErr error

	mu       sync.Mutex
	logs     []LogLine
	requests []sdk.HTTPRequest
	messages []sdk.MQMessage
	kv       map[string][]byte
	ttls     map[string]time.Duration
}

var _ sdk.Host = (*Host)(nil)

// NewHost returns an empty Host.
func NewHost() *Host {
	return &Host{kv: map[string][]byte{}, ttls: map[string]time.Duration{}}
}

// Log implements sdk.Host.
func (h *Host) Log(level sdk.Level, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, LogLine{Level: level, Msg: msg})
}

// HTTP implements sdk.Host.
func (h *Host) HTTP(req sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	h.mu.Lock()
	h.requests = append(h.requests, req)
	fn := h.HTTPFunc
	h.mu.Unlock()
	if fn == nil {
		return sdk.HTTPResponse{}, &sdk.HTTPError{Kind: sdk.HTTPErrorRefused, Message: "sdktest: Host.HTTPFunc is not set"}
	}
	return fn(req)
}

// MQPublish implements sdk.Host.
func (h *Host) MQPublish(m sdk.MQMessage) (sdk.MQReceipt, error) {
	h.mu.Lock()
	h.messages = append(h.messages, m)
	fn := h.MQFunc
	h.mu.Unlock()
	if fn == nil {
		return sdk.MQReceipt{}, &sdk.MQError{Kind: sdk.MQErrorNotFound, Message: "sdktest: Host.MQFunc is not set"}
	}
	return fn(m)
}

// KVGet implements sdk.Host.
func (h *Host) KVGet(key string) ([]byte, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.KVErr != nil {
		return nil, false, h.KVErr
	}
	v, ok := h.kv[key]
	return append([]byte(nil), v...), ok, nil
}

// KVSet implements sdk.Host.
func (h *Host) KVSet(key string, value []byte, ttl time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.KVErr != nil {
		return h.KVErr
	}
	h.kv[key] = append([]byte(nil), value...)
	h.ttls[key] = ttl
	return nil
}

// KVDelete implements sdk.Host.
func (h *Host) KVDelete(key string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.KVErr != nil {
		return h.KVErr
	}
	delete(h.kv, key)
	delete(h.ttls, key)
	return nil
}

// Logs returns the lines logged so far.
func (h *Host) Logs() []LogLine {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]LogLine(nil), h.logs...)
}

// Requests returns the HTTP requests sent so far.
func (h *Host) Requests() []sdk.HTTPRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.HTTPRequest(nil), h.requests...)
}

// Messages returns the MQ messages published so far.
func (h *Host) Messages() []sdk.MQMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.MQMessage(nil), h.messages...)
}

// KV returns a copy of the kv store.
func (h *Host) KV() map[string][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.kv)
}

// TTL returns the ttl the key was last set with.
func (h *Host) TTL(key string) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ttls[key]
}

// Execution returns a typical execution: a scheduled first attempt of the
// task "test" in the namespace "default".
func Execution() sdk.Execution {
	return sdk.Execution{
		ID:          "0193a5f0-0000-7000-8000-000000000001",
		Attempt:     1,
		ScheduledAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC),
		Trigger:     "schedule",
		Namespace:   "default",
		Task:        "test",
	}
}

// Execute runs handler as Kronos would: it encodes config (any value that
// encodes as JSON, or a json.RawMessage) and exec into the execute input,
// calls sdk.Invoke with host, and decodes the output. The error is what
// the plugin would report as an Extism error.
func Execute(handler sdk.Handler, host sdk.Host, config any, exec sdk.Execution) (sdk.Output, error) {
	raw, err := json.Marshal(config)
	if err != nil {
		return sdk.Output{}, fmt.Errorf("sdktest: encode config: %w", err)
	}
	input, err := json.Marshal(sdk.Input{Config: raw, Execution: exec})
	if err != nil {
		return sdk.Output{}, fmt.Errorf("sdktest: encode input: %w", err)
	}
	out, err := sdk.Invoke(host, input, handler)
	if err != nil {
		return sdk.Output{}, err
	}
	return sdk.DecodeOutput(out)
}
