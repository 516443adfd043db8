package host

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	extism "github.com/extism/go-sdk"

	"github.com/shiyu-coder/kronos/host/internal/egress"
	"github.com/shiyu-coder/kronos/sdk/abi"
)

// HostModule is the wasm import module name of the Kronos host functions.
const HostModule = abi.HostModule

// HostFunctions lists the functions of HostModule; an uploaded plugin may
// import only these from it.
var HostFunctions = []string{abi.FuncLog, abi.FuncHTTPRequest, abi.FuncKVGet, abi.FuncKVSet, abi.FuncKVDelete, abi.FuncMQPublish}

// KV is the per-namespace key-value store behind the kv_* host functions.
type KV interface {
	// Get returns the value of key, and false when it is absent.
	Get(ctx context.Context, namespace, key string) (value []byte, found bool, err error)
	// Set stores value under key; ttl 0 keeps it until deleted.
	Set(ctx context.Context, namespace, key string, value []byte, ttl time.Duration) error
	// Delete removes key; an absent key is not an error.
	Delete(ctx context.Context, namespace, key string) error
}

// kronosHostFunctions builds the HostModule functions. They read their
// call's state from the context, so one set serves every call. Failures
// reach the plugin as error values, never as traps.
func (rt *Runtime) kronosHostFunctions() []extism.HostFunction {
	i64 := extism.ValueTypeI64
	fns := []extism.HostFunction{
		extism.NewHostFunctionWithStack(abi.FuncLog, hostLog, []extism.ValueType{extism.ValueTypeI32, i64}, nil),
		extism.NewHostFunctionWithStack(abi.FuncHTTPRequest, jsonHostFunc(hostHTTP), []extism.ValueType{i64}, []extism.ValueType{i64}),
		extism.NewHostFunctionWithStack(abi.FuncKVGet, jsonHostFunc(rt.hostKVGet), []extism.ValueType{i64}, []extism.ValueType{i64}),
		extism.NewHostFunctionWithStack(abi.FuncKVSet, jsonHostFunc(rt.hostKVSet), []extism.ValueType{i64}, []extism.ValueType{i64}),
		extism.NewHostFunctionWithStack(abi.FuncKVDelete, jsonHostFunc(rt.hostKVDelete), []extism.ValueType{i64}, []extism.ValueType{i64}),
		extism.NewHostFunctionWithStack(abi.FuncMQPublish, jsonHostFunc(rt.hostMQPublish), []extism.ValueType{i64}, []extism.ValueType{i64}),
	}
	for i := range fns {
		fns[i].SetNamespace(HostModule)
	}
	return fns
}

func hostLog(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
	st := stateFrom(ctx)
	msg, err := p.ReadString(stack[1])
	if st == nil || err != nil {
		return
	}
	st.log(Level(int32(stack[0])), msg) //nolint:gosec // levels outside 0-3 print as info
}

// jsonHostFunc adapts a handler of one JSON document to the stack ABI:
// stack[0] is the offset of the request, and becomes the offset of the
// response (0 when the host could not even allocate it).
func jsonHostFunc(h func(ctx context.Context, st *callState, req []byte) any) extism.HostFunctionStackCallback {
	return func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
		st := stateFrom(ctx)
		var resp any
		req, err := p.ReadBytes(stack[0])
		switch {
		case st == nil:
			resp = map[string]string{"error": "host function called outside a Kronos call"}
		case err != nil:
			resp = map[string]string{"error": "read request from plugin memory: " + err.Error()}
		default:
			resp = h(ctx, st, append([]byte(nil), req...))
		}
		out, err := json.Marshal(resp)
		if err != nil {
			out = []byte(`{"error":"encode response"}`)
		}
		off, err := p.WriteBytes(out)
		if err != nil {
			off = 0
		}
		stack[0] = off
	}
}

func hostHTTP(ctx context.Context, st *callState, raw []byte) any {
	var req abi.HTTPRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return abi.HTTPResponse{Error: &abi.HTTPError{Kind: "invalid_request", Message: "http_request: request is not valid JSON: " + err.Error()}}
	}
	body := []byte(req.Body)
	if req.BodyBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(req.BodyBase64)
		if err != nil {
			return abi.HTTPResponse{Error: &abi.HTTPError{Kind: "invalid_request", Message: "http_request: body_base64 is not base64: " + err.Error()}}
		}
		body = b
	}
	h := http.Header{}
	for k, v := range req.Headers {
		h.Set(k, v)
	}
	resp, err := st.httpClient().Do(ctx, egress.Request{
		Method:          req.Method,
		URL:             req.URL,
		Header:          h,
		Body:            body,
		Timeout:         time.Duration(req.TimeoutMS) * time.Millisecond,
		FollowRedirects: req.FollowRedirects,
	})
	if err != nil {
		doc := &abi.HTTPError{Kind: "other", Message: err.Error()}
		var ee *egress.Error
		if errors.As(err, &ee) {
			doc.Kind = string(ee.Kind)
		}
		return abi.HTTPResponse{Error: doc}
	}
	out := abi.HTTPResponse{
		Status:     resp.Status,
		Headers:    resp.Header,
		Truncated:  resp.Truncated,
		URL:        resp.URL,
		DurationMS: resp.Duration.Milliseconds(),
	}
	b := resp.Body
	if req.MaxResponseBytes > 0 && int64(len(b)) > req.MaxResponseBytes {
		b, out.Truncated = b[:req.MaxResponseBytes], true
	}
	if utf8.Valid(b) {
		out.Body = string(b)
	} else {
		out.BodyBase64 = base64.StdEncoding.EncodeToString(b)
	}
	return out
}

// MaxKVKeyBytes is the longest kv key accepted.
const MaxKVKeyBytes = 256

func (rt *Runtime) kvRequest(st *callState, raw []byte) (abi.KV, *abi.KV) {
	var req abi.KV
	switch {
	case rt.cfg.KV == nil:
		return req, &abi.KV{Error: "kv is not available on this host"}
	case json.Unmarshal(raw, &req) != nil:
		return req, &abi.KV{Error: "kv: request is not valid JSON"}
	case req.Key == "" || len(req.Key) > MaxKVKeyBytes || !utf8.ValidString(req.Key):
		return req, &abi.KV{Error: fmt.Sprintf("kv: key must be 1 to %d bytes of UTF-8", MaxKVKeyBytes)}
	case st.namespace == "":
		return req, &abi.KV{Error: "kv: the call has no namespace"}
	}
	return req, nil
}

func (rt *Runtime) hostKVGet(ctx context.Context, st *callState, raw []byte) any {
	req, bad := rt.kvRequest(st, raw)
	if bad != nil {
		return bad
	}
	v, found, err := rt.cfg.KV.Get(ctx, st.namespace, req.Key)
	if err != nil {
		return abi.KV{Error: "kv_get: " + err.Error()}
	}
	if !found {
		return abi.KV{}
	}
	return abi.KV{Found: true, ValueBase64: base64.StdEncoding.EncodeToString(v)}
}

func (rt *Runtime) hostKVSet(ctx context.Context, st *callState, raw []byte) any {
	req, bad := rt.kvRequest(st, raw)
	if bad != nil {
		return bad
	}
	v, err := base64.StdEncoding.DecodeString(req.ValueBase64)
	if err != nil {
		return abi.KV{Error: "kv_set: value_base64 is not base64"}
	}
	if len(v) > st.limits.MaxKVValueBytes {
		return abi.KV{Error: fmt.Sprintf("kv_set: value is %d bytes; the limit is %d (raise settings.wasm.max_kv_value_bytes)", len(v), st.limits.MaxKVValueBytes)}
	}
	if req.TTLMS < 0 {
		return abi.KV{Error: "kv_set: ttl_ms must not be negative"}
	}
	if err := rt.cfg.KV.Set(ctx, st.namespace, req.Key, v, time.Duration(req.TTLMS)*time.Millisecond); err != nil {
		return abi.KV{Error: "kv_set: " + err.Error()}
	}
	return abi.KV{}
}

func (rt *Runtime) hostKVDelete(ctx context.Context, st *callState, raw []byte) any {
	req, bad := rt.kvRequest(st, raw)
	if bad != nil {
		return bad
	}
	if err := rt.cfg.KV.Delete(ctx, st.namespace, req.Key); err != nil {
		return abi.KV{Error: "kv_delete: " + err.Error()}
	}
	return abi.KV{}
}
