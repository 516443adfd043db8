package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero/sys"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/host/internal/egress"
)

// Level is the level of a plugin's log line.
type Level int

// Log levels, as the log host function numbers them.
const (
	LevelDebug Level = iota
	LevelInfo
	LevelWarn
	LevelError
)

// String returns debug, info, warn or error.
func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	default:
		return "info"
	}
}

// CallRequest is one call of a plugin export.
type CallRequest struct {
	// Namespace picks the instance pool and scopes kv.
	Namespace string
	// Function is the export to call. Defaults to "execute".
	Function string
	// Input is passed to the plugin as its Extism input.
	Input []byte
	// ExtismConfig is the key/value config the plugin reads with its
	// PDK's config API.
	ExtismConfig map[string]string
	// Limits bound the call; MemoryPages is fixed at Compile and ignored.
	Limits Limits
	// Log receives each log line, already cut to core.MaxLogLineBytes and
	// cleaned to valid UTF-8. Nil discards them.
	Log func(level Level, msg string)
}

// CallResult is what a call returned. A failed call returns one too, with
// no Output.
type CallResult struct {
	// Output is the plugin's output.
	Output []byte
	// Duration is the call's wall-clock time.
	Duration time.Duration
	// LogBytes counts the bytes the call logged.
	LogBytes int
	// MemoryBytes is the size of the plugin's linear memory at the end of
	// the call: the most the instance had grown to by then, as Wasm memory
	// never shrinks. It covers the call's peak, and what earlier calls on
	// a pooled instance grew it to. It is at most Limits.MemoryPages × 64
	// KiB; when the call ran out of memory it is exactly that (the plugin
	// asked for more). The Extism kernel's memory (input, output, vars) is
	// not counted. It is set on failures after the export ran too, and 0
	// when the export did not run or the size could not be read.
	MemoryBytes uint64
}

// ErrorKind classifies a failed call.
type ErrorKind string

// Error kinds.
const (
	// KindPluginError: the plugin reported an error (Extism SetError or a
	// non-zero return code).
	KindPluginError ErrorKind = "plugin_error"
	// KindTrap: the module trapped (panic, unreachable, out of memory).
	KindTrap ErrorKind = "trap"
	// KindTimeout: the call ran past Limits.Timeout.
	KindTimeout ErrorKind = "timeout"
	// KindCanceled: the caller's context ended first.
	KindCanceled ErrorKind = "canceled"
	// KindOutputLimit: the output was larger than Limits.MaxOutputBytes.
	KindOutputLimit ErrorKind = "output_limit"
	// KindLogLimit: the plugin logged more than Limits.MaxLogBytes.
	KindLogLimit ErrorKind = "log_limit"
	// KindHost: the host could not run the call (no such export, bad
	// limits, instantiation failed).
	KindHost ErrorKind = "host"
)

// CallError is why a call failed. Its message names the limit to raise
// where a limit was hit.
type CallError struct {
	Kind ErrorKind
	Msg  string
}

// Error implements error.
func (e *CallError) Error() string { return e.Msg }

var errLogLimit = errors.New("log limit reached")

// callState is what the host functions of one call see, through the call's
// context.
type callState struct {
	namespace string
	limits    Limits
	cancel    context.CancelCauseFunc
	logFn     func(Level, string)

	mu          sync.Mutex
	logBytes    int
	stopped     bool
	outOfMemory bool // the plugin said so on stderr

	rt *Runtime
}

// httpClient returns the egress client of the call's network policy.
func (s *callState) httpClient() *egress.Client {
	return s.rt.httpClient(s.limits.Network)
}

type callStateKey struct{}

func stateFrom(ctx context.Context) *callState {
	s, _ := ctx.Value(callStateKey{}).(*callState)
	return s
}

// log records one line against the call's log budget; past the budget it
// stops the call.
func (s *callState) log(level Level, msg string) {
	msg = core.CleanLogLine(msg)
	s.mu.Lock()
	if strings.Contains(msg, "out of memory") {
		s.outOfMemory = true
	}
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.logBytes += len(msg)
	over := s.logBytes > s.limits.MaxLogBytes
	if over {
		s.stopped = true
	}
	s.mu.Unlock()
	if over {
		s.cancel(errLogLimit)
		return
	}
	if s.logFn != nil {
		s.logFn(level, msg)
	}
}

func extismLevel(l extism.LogLevel) Level {
	switch l {
	case extism.LogLevelTrace, extism.LogLevelDebug:
		return LevelDebug
	case extism.LogLevelWarn:
		return LevelWarn
	case extism.LogLevelError:
		return LevelError
	default:
		return LevelInfo
	}
}

// Call runs one export of the plugin on a pooled instance of the
// namespace. It fails with a *CallError.
func (c *Compiled) Call(ctx context.Context, req CallRequest) (CallResult, error) {
	lim := req.Limits
	lim.MemoryPages = c.key.pages
	lim = lim.withDefaults()
	if err := lim.validate(); err != nil {
		return CallResult{}, &CallError{Kind: KindHost, Msg: err.Error()}
	}
	fn := req.Function
	if fn == "" {
		fn = "execute"
	}
	pl, cp, err := c.rt.pool(req.Namespace, c)
	if err != nil {
		return CallResult{}, &CallError{Kind: KindHost, Msg: err.Error()}
	}
	inst, err := pl.get(ctx, cp)
	if err != nil {
		return CallResult{}, &CallError{Kind: KindHost, Msg: fmt.Sprintf("instantiate plugin %s: %v", c.hash[:12], err)}
	}
	if !inst.plugin.FunctionExists(fn) {
		pl.put(ctx, inst)
		return CallResult{}, &CallError{Kind: KindHost, Msg: fmt.Sprintf("plugin %s exports no function %q", c.hash[:12], fn)}
	}

	callCtx, cancelTimeout := context.WithTimeout(ctx, lim.Timeout)
	defer cancelTimeout()
	callCtx, cancel := context.WithCancelCause(callCtx)
	defer cancel(nil)
	state := &callState{
		namespace: req.Namespace,
		limits:    lim,
		cancel:    cancel,
		logFn:     req.Log,
		rt:        c.rt,
	}
	callCtx = context.WithValue(callCtx, callStateKey{}, state)

	pl2 := inst.plugin
	pl2.Config = req.ExtismConfig
	if pl2.Config == nil {
		pl2.Config = map[string]string{}
	}
	pl2.SetLogger(func(l extism.LogLevel, msg string) { state.log(extismLevel(l), msg) })
	inst.out.call.Store(state)

	start := time.Now()
	rc, out, callErr := pl2.CallWithContext(callCtx, fn, req.Input)
	inst.out.flush()
	pl2.SetLogger(func(extism.LogLevel, string) {})
	state.mu.Lock()
	res := CallResult{Duration: time.Since(start), LogBytes: state.logBytes}
	oom := state.outOfMemory
	state.mu.Unlock()
	res.MemoryBytes = memoryBytes(pl2) // a trapped instance's memory is still there

	if cerr := classify(ctx, callCtx, rc, callErr, lim, oom); cerr != nil {
		if cerr.Kind == KindTrap && strings.Contains(cerr.Msg, "out of memory") {
			res.MemoryBytes = uint64(lim.MemoryPages) * 65536 // it asked for more
		}
		if cerr.Kind == KindPluginError {
			pl.put(ctx, inst) // the module is intact: it returned an error
		} else {
			_ = pl2.Close(context.WithoutCancel(ctx)) // trapped or stopped: never reuse
		}
		return res, cerr
	}
	if len(out) > lim.MaxOutputBytes {
		pl.put(ctx, inst)
		return res, &CallError{Kind: KindOutputLimit, Msg: fmt.Sprintf("plugin output is %d bytes; the limit is %d (raise settings.wasm.max_output_bytes)", len(out), lim.MaxOutputBytes)}
	}
	res.Output = append([]byte(nil), out...) // out may alias instance memory
	pl.put(ctx, inst)
	return res, nil
}

// classify turns the outcome of CallWithContext into a CallError, or nil
// on success.
func classify(parent, callCtx context.Context, rc uint32, err error, lim Limits, outOfMemory bool) *CallError {
	if cause := context.Cause(callCtx); errors.Is(cause, errLogLimit) {
		return &CallError{Kind: KindLogLimit, Msg: fmt.Sprintf("plugin logged more than %d bytes and was stopped (raise settings.wasm.max_log_bytes)", lim.MaxLogBytes)}
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			if parent.Err() != nil {
				return &CallError{Kind: KindCanceled, Msg: "call canceled: " + context.Cause(parent).Error()}
			}
			return &CallError{Kind: KindTimeout, Msg: fmt.Sprintf("plugin ran longer than %s and was stopped (raise the task's timeout)", lim.Timeout)}
		case sys.ExitCodeContextCanceled:
			if parent.Err() != nil {
				return &CallError{Kind: KindCanceled, Msg: "call canceled: " + context.Cause(parent).Error()}
			}
			return &CallError{Kind: KindTimeout, Msg: fmt.Sprintf("plugin ran longer than %s and was stopped (raise the task's timeout)", lim.Timeout)}
		}
	}
	if err == nil && rc == 0 {
		return nil
	}
	if callCtx.Err() != nil {
		if parent.Err() != nil {
			return &CallError{Kind: KindCanceled, Msg: "call canceled: " + context.Cause(parent).Error()}
		}
		return &CallError{Kind: KindTimeout, Msg: fmt.Sprintf("plugin ran longer than %s and was stopped (raise the task's timeout)", lim.Timeout)}
	}
	if err == nil {
		return &CallError{Kind: KindPluginError, Msg: fmt.Sprintf("plugin returned code %d without an error message", rc)}
	}
	msg := err.Error()
	if isTrap(err) {
		if outOfMemory || strings.Contains(msg, "out of memory") {
			return &CallError{Kind: KindTrap, Msg: fmt.Sprintf("plugin ran out of memory: the limit is %d pages of 64 KiB (raise settings.wasm.memory_pages): %s", lim.MemoryPages, firstLine(msg))}
		}
		return &CallError{Kind: KindTrap, Msg: "plugin trapped: " + msg}
	}
	return &CallError{Kind: KindPluginError, Msg: msg}
}

// isTrap tells a Wasm runtime failure from an error the plugin reported
// (which Extism hands back as a plain error with the plugin's message).
func isTrap(err error) bool {
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode() != 0
	}
	msg := err.Error()
	return strings.Contains(msg, "wasm error:") || strings.Contains(msg, "module closed") ||
		strings.Contains(msg, "module is closed") || strings.Contains(msg, "wasm stack trace")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
