package host

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/sdk"
)

// PluginSource is where custom plugins come from: the Store.
type PluginSource interface {
	// PluginGet returns the plugin's metadata, or an error wrapping
	// store.ErrNotFound.
	PluginGet(ctx context.Context, namespace, name string) (core.Plugin, error)
	// PluginGetWasm returns the plugin with its Wasm bytes.
	PluginGetWasm(ctx context.Context, namespace, name string) (core.Plugin, []byte, error)
}

// ExecutorConfig configures an Executor.
type ExecutorConfig struct {
	// Runtime compiles and runs the plugins. Required.
	Runtime *Runtime
	// Builtins are the built-in plugins by executor name. Their names are
	// reserved in every namespace.
	Builtins map[string][]byte
	// Plugins is the source of custom plugins; nil allows built-ins only.
	Plugins PluginSource
	// Limits are the defaults of every call (the server's network policy,
	// memory); a task's timeout overrides Limits.Timeout.
	Limits Limits
	// Secrets resolves the secret references of a task's config for one
	// execution and redacts their values from its output, error and log
	// lines; nil leaves references as written.
	Secrets SecretResolver
}

// SecretResolver replaces a config's secret references with their values
// (secrets.Vault) and returns a function that hides the values in text.
type SecretResolver interface {
	Resolve(ctx context.Context, namespace string, config json.RawMessage) (json.RawMessage, func(string) string, error)
}

// Executor runs executions on Wasm plugins: it implements core.Executor.
//
// A task's executor names a built-in plugin or a custom plugin of the
// task's namespace. Its config is either the plugin's own config (the
// Kronos contract: the plugin's execute export receives it in the input
// envelope and its describe schema validates it), or, for any other
// Extism plugin, {"extism": {"function": …, "input": …, "config": {…}}}.
type Executor struct {
	cfg ExecutorConfig

	mu       sync.Mutex
	schemas  map[string]*schemaEntry // by module hash
	builtins map[builtinKey]*Compiled
}

// builtinKey names a built-in compiled for a memory limit.
type builtinKey struct {
	name  string
	pages uint32
}

// schemaEntry is a module's description and compiled config schema. done
// closes once they are set, so that concurrent callers share one describe.
type schemaEntry struct {
	done   chan struct{}
	desc   Description
	schema *ConfigSchema
	err    error
}

// NewExecutor returns an Executor.
func NewExecutor(cfg ExecutorConfig) *Executor {
	return &Executor{cfg: cfg, schemas: map[string]*schemaEntry{}, builtins: map[builtinKey]*Compiled{}}
}

// BuiltinNames returns the names of the built-in executors, sorted.
func (e *Executor) BuiltinNames() []string {
	return slices.Sorted(maps.Keys(e.cfg.Builtins))
}

// Precompile compiles every built-in plugin and reads its description, so
// that the first fire of a task pays no compile. It is PrecompileBuiltin
// for each of BuiltinNames in turn.
func (e *Executor) Precompile(ctx context.Context) error {
	for _, name := range e.BuiltinNames() {
		if err := e.PrecompileBuiltin(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// PrecompileBuiltin compiles the built-in plugin called name for the
// default memory limit and reads its description. It may run while tasks
// fire: a fire, a config validation or a Builtin call that needs the
// plugin meanwhile waits for this compilation instead of starting another.
func (e *Executor) PrecompileBuiltin(ctx context.Context, name string) error {
	if _, ok := e.cfg.Builtins[name]; !ok {
		return fmt.Errorf("built-in plugin %q: %w", name, errNoBuiltin)
	}
	c, err := e.resolve(ctx, core.DefaultNamespace, name, e.cfg.Limits.MemoryPages)
	if err != nil {
		return fmt.Errorf("built-in plugin %q: %w", name, err)
	}
	if se := e.schemaFor(ctx, c, core.DefaultNamespace); se.err != nil {
		return fmt.Errorf("built-in plugin %q: %w", name, se.err)
	}
	return nil
}

// resolve finds and compiles, for a memory limit, the plugin a task names.
func (e *Executor) resolve(ctx context.Context, namespace, executor string, pages uint32) (*Compiled, error) {
	if wasm, ok := e.cfg.Builtins[executor]; ok {
		// Compile hashes the module; do it once per built-in and limit, not
		// per call.
		key := builtinKey{name: executor, pages: pages}
		e.mu.Lock()
		c := e.builtins[key]
		e.mu.Unlock()
		if c != nil {
			return c, nil
		}
		c, err := e.cfg.Runtime.Compile(ctx, wasm, pages)
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		e.builtins[key] = c
		e.mu.Unlock()
		return c, nil
	}
	if e.cfg.Plugins == nil {
		return nil, &core.FieldError{Field: "executor", Message: fmt.Sprintf("%q is not an executor: the built-in ones are %v", executor, e.BuiltinNames())}
	}
	// The metadata read is small; the module is fetched only when this node
	// has not compiled that version yet.
	meta, err := e.cfg.Plugins.PluginGet(ctx, namespace, executor)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &core.FieldError{Field: "executor", Message: fmt.Sprintf("%q is neither a built-in executor (%v) nor a plugin uploaded to namespace %q", executor, e.BuiltinNames(), namespace)}
		}
		return nil, fmt.Errorf("look up plugin %q: %w", executor, err)
	}
	if c := e.cfg.Runtime.compiledByHex(meta.SHA256, pages); c != nil {
		return c, nil
	}
	_, wasm, err := e.cfg.Plugins.PluginGetWasm(ctx, namespace, executor)
	if err != nil {
		return nil, fmt.Errorf("load plugin %q: %w", executor, err)
	}
	return e.cfg.Runtime.Compile(ctx, wasm, pages)
}

// schemaFor describes a compiled plugin once and caches the compiled
// config schema by module hash. Concurrent callers share one describe; a
// caller whose ctx ends while it waits gets ctx's error (not cached).
func (e *Executor) schemaFor(ctx context.Context, c *Compiled, namespace string) *schemaEntry {
	e.mu.Lock()
	se, ok := e.schemas[c.Hash()]
	if !ok {
		se = &schemaEntry{done: make(chan struct{})}
		e.schemas[c.Hash()] = se
	}
	e.mu.Unlock()
	if !ok {
		se.desc, se.err = c.Describe(ctx, namespace)
		if se.err == nil {
			se.schema, se.err = CompileConfigSchema(se.desc.ConfigSchema)
		}
		if se.err != nil && ctx.Err() != nil {
			// Cut short, not the plugin's fault: let the next call retry.
			e.mu.Lock()
			delete(e.schemas, c.Hash())
			e.mu.Unlock()
		}
		close(se.done)
	}
	select {
	case <-se.done:
		return se
	case <-ctx.Done():
		return &schemaEntry{err: fmt.Errorf("waiting for the plugin's description: %w", ctx.Err())}
	}
}

// extismCall is the config of a task that calls a plain Extism plugin.
type extismCall struct {
	// Function is the export to call. Required.
	Function string `json:"function"`
	// Input is passed as the raw input.
	Input string `json:"input"`
	// Config is the Extism config map the plugin reads.
	Config map[string]string `json:"config"`
}

// rawCall returns the extism block of a config, if it has one.
func rawCall(config json.RawMessage) (*extismCall, *core.FieldError) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(config, &probe); err != nil {
		// Not an object: the task's own validation reports that.
		return nil, nil //nolint:nilerr // the config is checked elsewhere
	}
	raw, ok := probe["extism"]
	if !ok {
		return nil, nil
	}
	if len(probe) != 1 {
		return nil, &core.FieldError{Field: "config", Message: `a plain Extism call takes only the "extism" key: {"extism": {"function": "…", "input": "…", "config": {}}}`}
	}
	var call extismCall
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&call); err != nil {
		return nil, &core.FieldError{Field: "config.extism", Message: "must be {\"function\": string, \"input\": string, \"config\": {string: string}}: " + err.Error()}
	}
	if call.Function == "" {
		return nil, &core.FieldError{Field: "config.extism.function", Message: "is required: name the plugin export to call"}
	}
	return &call, nil
}

// ValidateConfig implements core.Executor.
func (e *Executor) ValidateConfig(ctx context.Context, t core.Task) error {
	what := fmt.Sprintf("task %q", t.Name)
	c, err := e.resolve(ctx, t.Namespace, t.Executor, e.cfg.Limits.MemoryPages)
	if err != nil {
		var fe *core.FieldError
		if errors.As(err, &fe) {
			return &core.ValidationError{What: what, Fields: []*core.FieldError{fe}}
		}
		return err
	}
	call, fe := rawCall(t.Config)
	if fe != nil {
		return &core.ValidationError{What: what, Fields: []*core.FieldError{fe}}
	}
	if call != nil {
		return nil // a plain Extism plugin has no schema to check against
	}
	se := e.schemaFor(ctx, c, t.Namespace)
	if se.err != nil {
		return fmt.Errorf("executor %q: %w", t.Executor, se.err)
	}
	if fields := se.schema.Validate(t.Config); len(fields) > 0 {
		return &core.ValidationError{What: what, Fields: fields}
	}
	// What a schema cannot say (a script that must parse) the plugin's
	// optional validate export checks.
	fields, err := c.ValidateConfig(ctx, t.Namespace, t.Config)
	if err != nil {
		return fmt.Errorf("executor %q: %w", t.Executor, err)
	}
	if len(fields) > 0 {
		return &core.ValidationError{What: what, Fields: fields}
	}
	return nil
}

// Execute implements core.Executor. Secret references in the task's
// config are resolved for this call only, and their values are redacted
// from the output, the error and every log line.
func (e *Executor) Execute(ctx context.Context, req core.ExecuteRequest) core.ExecuteResult {
	if e.cfg.Secrets == nil {
		return e.execute(ctx, req)
	}
	resolved, redact, err := e.cfg.Secrets.Resolve(ctx, req.Task.Namespace, req.Task.Config)
	if err != nil {
		return core.ExecuteResult{Status: core.StatusFailed, Error: "resolve the config's secrets: " + err.Error()}
	}
	req.Task.Config = resolved
	if log := req.Log; log != nil {
		req.Log = func(level, msg string) { log(level, redact(msg)) }
	}
	res := e.execute(ctx, req)
	res.Output, res.Error = redact(res.Output), redact(res.Error)
	return res
}

func (e *Executor) execute(ctx context.Context, req core.ExecuteRequest) core.ExecuteResult {
	t, x := req.Task, req.Execution
	fail := func(status core.ExecutionStatus, msg string) core.ExecuteResult {
		return core.ExecuteResult{Status: status, Error: msg}
	}
	lim := e.limitsFor(req.Settings, t)
	c, err := e.resolve(ctx, t.Namespace, t.Executor, lim.MemoryPages)
	if err != nil {
		return fail(core.StatusFailed, err.Error())
	}
	cr := CallRequest{Namespace: t.Namespace, Limits: lim}
	if req.Log != nil {
		cr.Log = func(l Level, msg string) { req.Log(l.String(), msg) }
	}
	call, fe := rawCall(t.Config)
	if fe != nil {
		return fail(core.StatusFailed, fe.Error())
	}
	if call != nil {
		cr.Function, cr.Input, cr.ExtismConfig = call.Function, []byte(call.Input), call.Config
	} else {
		// The contract's types live in sdk, which plugins build against.
		cr.Input, err = json.Marshal(sdk.Input{
			Config: t.Config,
			Execution: sdk.Execution{
				ID: x.ID, Attempt: x.Attempt, ScheduledAt: x.ScheduledAt.UTC(), Trigger: string(x.Trigger),
				Namespace: t.Namespace, Task: t.Name, Labels: t.Labels,
			},
		})
		if err != nil {
			return fail(core.StatusFailed, "encode plugin input: "+err.Error())
		}
	}
	res, err := c.Call(ctx, cr)
	return ResultOf(res, err, call != nil)
}

// ResultOf turns what a call of a plugin's execute (or, plain is true, of
// a plain Extism plugin's function) returned into an execution's result:
// a timed-out or canceled call is recorded so, another error fails it; the
// contract's output {status, result, error} is read (a plain plugin's
// output is recorded as it is).
func ResultOf(res CallResult, err error, plain bool) core.ExecuteResult {
	if err != nil {
		r := core.ExecuteResult{Status: core.StatusFailed, Error: err.Error()}
		var ce *CallError
		if errors.As(err, &ce) {
			switch ce.Kind {
			case KindTimeout:
				r.Status = core.StatusTimedOut
			case KindCanceled:
				r.Status = core.StatusCanceled
			}
		}
		r.Duration = res.Duration
		return r
	}
	out := core.ExecuteResult{Status: core.StatusSucceeded, Output: string(res.Output), Duration: res.Duration}
	if plain {
		return out // a plain Extism plugin's output is recorded as it is
	}
	var co sdk.Output
	if json.Unmarshal(res.Output, &co) != nil {
		return out // not the contract's JSON: keep the raw output
	}
	if len(co.Result) > 0 {
		out.Output = string(co.Result)
	}
	switch co.Status {
	case "", sdk.StatusSucceeded:
	case sdk.StatusFailed:
		out.Status, out.Error = core.StatusFailed, co.Error
		if out.Error == "" {
			out.Error = "the plugin reported failure without a message"
		}
	default:
		out.Status = core.StatusFailed
		out.Error = fmt.Sprintf("the plugin returned status %q; the contract allows succeeded or failed", co.Status)
	}
	return out
}

// limitsFor layers a call's limits: the server's defaults, then the
// namespace's settings, then the task's timeout, capped by the namespace's
// ceiling. Private networks are reachable if the server or the namespace
// allows them.
func (e *Executor) limitsFor(ns core.NamespaceSettings, t core.Task) Limits {
	lim := e.cfg.Limits
	w := ns.Wasm
	if w.MemoryPages != 0 {
		lim.MemoryPages = w.MemoryPages
	}
	if w.MaxOutputBytes != 0 {
		lim.MaxOutputBytes = w.MaxOutputBytes
	}
	if w.MaxLogBytes != 0 {
		lim.MaxLogBytes = w.MaxLogBytes
	}
	if w.MaxKVValueBytes != 0 {
		lim.MaxKVValueBytes = w.MaxKVValueBytes
	}
	if t.Timeout > 0 {
		lim.Timeout = t.Timeout
	}
	if w.MaxTimeout > 0 && (lim.Timeout == 0 || lim.Timeout > w.MaxTimeout) {
		lim.Timeout = w.MaxTimeout
	}
	n := lim.Network
	n.AllowPrivate = n.AllowPrivate || ns.Network.AllowPrivate
	if len(ns.Network.AllowedHosts) > 0 {
		n.AllowedHosts = ns.Network.AllowedHosts
	}
	n.AllowAddrs = append(slices.Clip(n.AllowAddrs), ns.Network.AllowPrefixes()...)
	if w.MaxHTTPResponseBytes != 0 {
		n.MaxResponseBytes = w.MaxHTTPResponseBytes
	}
	lim.Network = n
	return lim
}

var _ core.Executor = (*Executor)(nil)
