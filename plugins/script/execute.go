package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/shiyu-coder/kronos/sdk"
)

// maxCallStackSize bounds the script's recursion, so that runaway
// recursion is a RangeError rather than a memory bomb.
const maxCallStackSize = 10000

// scriptFailure is the result recorded when the script throws.
type scriptFailure struct {
	// Name is the error's name, such as "TypeError"; empty when the
	// script threw something that is not an Error.
	Name string `json:"name,omitempty"`
	// Message is the error's message.
	Message string `json:"message"`
	// Stack is the JavaScript stack trace.
	Stack string `json:"stack,omitempty"`
}

// handle runs one execution: the script, in a fresh JavaScript context.
func handle(ctx *sdk.Context) (sdk.Result, error) {
	cfg, err := decodeConfig(ctx.RawConfig())
	if err != nil {
		return sdk.Result{}, err
	}
	vm, err := newVM(ctx, cfg)
	if err != nil {
		return sdk.Result{}, err
	}
	fnVal, err := vm.RunProgram(cfg.Program)
	if err != nil {
		return sdk.Result{}, fmt.Errorf("start the script: %w", err)
	}
	fn, ok := goja.AssertFunction(fnVal)
	if !ok {
		return sdk.Result{}, errors.New("start the script: the wrapped script is not a function (does it close the function with an extra \"})\"?)")
	}
	v, err := fn(goja.Undefined())
	if err != nil {
		return fail(ctx, vm, err), nil
	}
	p, ok := v.Export().(*goja.Promise)
	if !ok {
		return sdk.Result{}, errors.New("the script's function returned no promise (does it close the function with an extra \"})\"?)")
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return succeed(vm, p.Result())
	case goja.PromiseStateRejected:
		return fail(ctx, vm, p.Result()), nil
	default:
		return sdk.Failed("the script awaited a promise that never settles (there are no timers or events to wait for)", nil), nil
	}
}

// succeed encodes the script's value as the result, as JSON.stringify
// does; undefined records no result.
func succeed(vm *goja.Runtime, v goja.Value) (sdk.Result, error) {
	if v == nil || goja.IsUndefined(v) {
		return sdk.Succeeded(nil), nil
	}
	s, err := stringify(vm, v)
	if err != nil {
		return sdk.Failed("the script's return value is not JSON: "+errorText(vm, err), nil), nil
	}
	if s == "" { // a function or symbol: JSON.stringify gives undefined
		return sdk.Succeeded(nil), nil
	}
	return sdk.Succeeded(json.RawMessage(s)), nil
}

// fail turns a thrown value or an error of goja into a failed result
// with the message and stack, and logs the stack.
func fail(ctx *sdk.Context, vm *goja.Runtime, thrown any) sdk.Result {
	var val goja.Value
	switch t := thrown.(type) {
	case *goja.Exception:
		val = t.Value()
	case *goja.InterruptedError:
		return sdk.Failed("the script was interrupted: "+t.String(), nil)
	case *goja.StackOverflowError:
		return sdk.Failed(fmt.Sprintf("RangeError: the script's calls nested deeper than %d (runaway recursion?)", maxCallStackSize),
			scriptFailure{Name: "RangeError", Message: "maximum call stack size exceeded", Stack: t.String()})
	case goja.Value:
		val = t
	case error:
		return sdk.Failed("script: "+t.Error(), nil)
	}
	f := scriptFailure{Message: "undefined"}
	if val != nil {
		f.Message = val.String()
		if obj, ok := val.(*goja.Object); ok && obj.ClassName() == "Error" {
			if n := obj.Get("name"); n != nil && !goja.IsUndefined(n) {
				f.Name = n.String()
			}
			if m := obj.Get("message"); m != nil && !goja.IsUndefined(m) {
				f.Message = m.String()
			}
			if s := obj.Get("stack"); s != nil && !goja.IsUndefined(s) {
				f.Stack = s.String()
			}
		}
	}
	if exc, ok := thrown.(*goja.Exception); ok && f.Stack == "" {
		f.Stack = exc.String()
	}
	msg := f.Message
	if f.Name != "" {
		msg = f.Name + ": " + f.Message
	}
	if f.Stack != "" {
		ctx.Log.Error("the script threw " + firstLine(f.Stack) + "\n" + f.Stack)
	}
	return sdk.Failed(msg, f)
}

// newVM returns a fresh JavaScript context with the script's globals.
func newVM(ctx *sdk.Context, cfg config) (*goja.Runtime, error) {
	vm := goja.New()
	vm.SetMaxCallStackSize(maxCallStackSize)
	parse := jsonParser(vm)
	set := func(name string, v any) {
		if err := vm.Set(name, v); err != nil {
			panic(err) // cannot happen: every name is a plain identifier
		}
	}

	args, err := parse(string(cfg.Args))
	if err != nil {
		return nil, fmt.Errorf("config.args: %w", err)
	}
	set("config", args)
	secrets := vm.NewObject()
	for k, v := range cfg.Secrets {
		_ = secrets.Set(k, v)
	}
	set("secrets", secrets)
	x := ctx.Execution
	execution := vm.NewObject()
	_ = execution.Set("id", x.ID)
	_ = execution.Set("attempt", x.Attempt)
	_ = execution.Set("scheduled_at", x.ScheduledAt.UTC().Format(time.RFC3339Nano))
	_ = execution.Set("trigger", x.Trigger)
	_ = execution.Set("namespace", x.Namespace)
	_ = execution.Set("task", x.Task)
	labels := vm.NewObject()
	for k, v := range x.Labels {
		_ = labels.Set(k, v)
	}
	_ = execution.Set("labels", labels)
	set("execution", execution)

	set("console", newConsole(ctx, vm))
	set("kv", newKV(ctx, vm))

	lazyFetch(ctx, vm)
	return vm, nil
}

// lazyFetch defines fetch, Headers and Response as accessors that run the
// prelude on first use: most scripts never fetch, and defining its
// classes is most of a fresh context's cost.
func lazyFetch(ctx *sdk.Context, vm *goja.Runtime) {
	global := vm.GlobalObject()
	installed := false
	install := func() {
		if installed {
			return
		}
		installed = true
		fnVal, err := vm.RunProgram(prelude())
		if err != nil {
			panic(vm.NewGoError(fmt.Errorf("install fetch: %w", err)))
		}
		fn, _ := goja.AssertFunction(fnVal)
		native := vm.NewObject()
		_ = native.Set("fetch", func(call goja.FunctionCall) goja.Value { return nativeFetch(ctx, vm, call) })
		if _, err := fn(goja.Undefined(), native); err != nil {
			panic(vm.NewGoError(fmt.Errorf("install fetch: %w", err)))
		}
	}
	for _, name := range []string{"fetch", "Headers", "Response"} {
		get := vm.ToValue(func(goja.FunctionCall) goja.Value {
			install()
			return global.Get(name)
		})
		set := vm.ToValue(func(call goja.FunctionCall) goja.Value {
			install()
			_ = global.DefineDataProperty(name, call.Argument(0), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
			return goja.Undefined()
		})
		_ = global.DefineAccessorProperty(name, get, set, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
}

// jsonParser returns JSON.parse of vm.
func jsonParser(vm *goja.Runtime) func(string) (goja.Value, error) {
	parse, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	return func(s string) (goja.Value, error) { return parse(goja.Undefined(), vm.ToValue(s)) }
}

// stringify is JSON.stringify of vm; "" stands for undefined.
func stringify(vm *goja.Runtime, v goja.Value) (string, error) {
	fn, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("stringify"))
	s, err := fn(goja.Undefined(), v)
	if err != nil {
		return "", err
	}
	if goja.IsUndefined(s) {
		return "", nil
	}
	return s.String(), nil
}

// errorText is the message of an error goja returned.
func errorText(vm *goja.Runtime, err error) string {
	var exc *goja.Exception
	if errors.As(err, &exc) {
		return exc.Value().String()
	}
	return err.Error()
}

// newConsole returns console: each call is one log line, its arguments
// joined by spaces, strings as they are and other values as JSON.
func newConsole(ctx *sdk.Context, vm *goja.Runtime) *goja.Object {
	console := vm.NewObject()
	line := func(log func(string, ...any)) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			parts := make([]string, len(call.Arguments))
			for i, a := range call.Arguments {
				parts[i] = format(vm, a)
			}
			log(strings.Join(parts, " "))
			return goja.Undefined()
		}
	}
	_ = console.Set("log", line(ctx.Log.Info))
	_ = console.Set("info", line(ctx.Log.Info))
	_ = console.Set("warn", line(ctx.Log.Warn))
	_ = console.Set("error", line(ctx.Log.Error))
	_ = console.Set("debug", line(ctx.Log.Debug))
	return console
}

// format prints one console argument.
func format(vm *goja.Runtime, v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if goja.IsNull(v) {
		return "null"
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		return v.String()
	}
	switch obj.ClassName() {
	case "Error":
		if s := obj.Get("stack"); s != nil && !goja.IsUndefined(s) {
			return s.String()
		}
		return v.String()
	case "Function":
		return v.String()
	}
	if s, err := stringify(vm, v); err == nil && s != "" {
		return s
	}
	return v.String()
}

// newKV returns kv: get, set and delete on the namespace's key-value
// store, with string values. A failure throws an Error.
func newKV(ctx *sdk.Context, vm *goja.Runtime) *goja.Object {
	kv := vm.NewObject()
	key := func(call goja.FunctionCall, fn string) string {
		k := call.Argument(0)
		if goja.IsUndefined(k) || goja.IsNull(k) {
			panic(vm.NewTypeError("kv.%s: the key is missing", fn))
		}
		return k.String()
	}
	_ = kv.Set("get", func(call goja.FunctionCall) goja.Value {
		v, found, err := ctx.KV.Get(key(call, "get"))
		if err != nil {
			panic(vm.NewGoError(err))
		}
		if !found {
			return goja.Null()
		}
		return vm.ToValue(string(v))
	})
	_ = kv.Set("set", func(call goja.FunctionCall) goja.Value {
		k := key(call, "set")
		v := call.Argument(1)
		if _, ok := v.Export().(string); !ok {
			panic(vm.NewTypeError("kv.set(%q): the value must be a string (use JSON.stringify for other values)", k))
		}
		var ttl time.Duration
		if opts, ok := call.Argument(2).(*goja.Object); ok {
			if t := opts.Get("ttl_ms"); t != nil && !goja.IsUndefined(t) {
				ms := t.ToInteger()
				if ms < 0 {
					panic(vm.NewTypeError("kv.set(%q): ttl_ms %d is negative (leave it out to keep the value)", k, ms))
				}
				ttl = time.Duration(ms) * time.Millisecond
			}
		}
		if err := ctx.KV.Set(k, []byte(v.String()), ttl); err != nil {
			panic(vm.NewGoError(err))
		}
		return goja.Undefined()
	})
	_ = kv.Set("delete", func(call goja.FunctionCall) goja.Value {
		if err := ctx.KV.Delete(key(call, "delete")); err != nil {
			panic(vm.NewGoError(err))
		}
		return goja.Undefined()
	})
	return kv
}

// fetchInit is the second argument of fetch.
type fetchInit struct {
	Method   string            `json:"method"`
	Headers  map[string]string `json:"headers"`
	Body     *string           `json:"body"`
	Redirect string            `json:"redirect"`
	Timeout  int64             `json:"timeout"`
}

// nativeFetch sends one request through the host. It returns a plain
// object the prelude turns into a Response: {status, headers, body, url,
// truncated}, or {error: {kind, message}, target} when no response came.
func nativeFetch(ctx *sdk.Context, vm *goja.Runtime, call goja.FunctionCall) goja.Value {
	url := call.Argument(0).String()
	var init fetchInit
	if obj, ok := call.Argument(1).(*goja.Object); ok {
		s, err := stringify(vm, obj)
		if err != nil {
			panic(vm.NewTypeError("fetch %s: the options do not encode as JSON: %s", url, errorText(vm, err)))
		}
		if err := json.Unmarshal([]byte(s), &init); err != nil {
			panic(vm.NewTypeError("fetch %s: options must be {method, headers, body, redirect, timeout} with string headers and body: %s", url, err.Error()))
		}
	}
	method := strings.ToUpper(init.Method)
	if method == "" {
		method = "GET"
	}
	req := sdk.HTTPRequest{
		Method:           method,
		URL:              url,
		Headers:          init.Headers,
		DisableRedirects: init.Redirect == "manual",
		Timeout:          time.Duration(init.Timeout) * time.Millisecond,
	}
	if init.Body != nil {
		req.Body = []byte(*init.Body)
	}
	target := method + " " + redactURL(url)
	resp, err := ctx.HTTP(req)
	if err != nil {
		var he *sdk.HTTPError
		if !errors.As(err, &he) {
			he = &sdk.HTTPError{Kind: sdk.HTTPErrorOther, Message: err.Error()}
		}
		return vm.ToValue(map[string]any{
			"target": target,
			"error":  map[string]any{"kind": string(he.Kind), "message": he.Message},
		})
	}
	headers := make(map[string]any, len(resp.Headers))
	for k, v := range resp.Headers {
		headers[k] = strings.Join(v, ", ")
	}
	return vm.ToValue(map[string]any{
		"status":    resp.Status,
		"headers":   headers,
		"body":      string(resp.Body),
		"url":       resp.URL,
		"truncated": resp.Truncated,
	})
}

// redactURL drops the query and user info of a URL for messages, as they
// may hold credentials.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i] + "?…"
	}
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		if at := strings.IndexByte(rest, '@'); at >= 0 && at < strings.IndexAny(rest+"/", "/") {
			rest = rest[at+1:]
		}
		u = scheme + "://" + rest
	}
	return u
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
