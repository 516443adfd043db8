package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
)

// Handler runs one execution. Return a Result (see Succeeded and Failed)
// to record an outcome; return an error when the execution could not run
// at all, such as an invalid config: Kronos fails the execution with the
// error's message.
type Handler func(ctx *Context) (Result, error)

// Context is one execution as a Handler sees it.
type Context struct {
	// Execution describes the run: its id, attempt, scheduled instant, task
	// and namespace.
	Execution Execution
	// Log writes the execution's log lines.
	Log *Logger
	// KV is the namespace's key-value store.
	KV *KV

	config json.RawMessage
	host   Host
}

// NewContext returns the Context of an execution with the input in, whose
// host functions are host. Run builds it for you; tests use it (or
// Invoke) with a fake Host.
func NewContext(host Host, in Input) *Context {
	return &Context{
		Execution: in.Execution,
		Log:       &Logger{host: host},
		KV:        &KV{host: host},
		config:    in.Config,
		host:      host,
	}
}

// Config decodes the task's config into v, usually a pointer to a struct
// with json tags. Unknown fields are refused, and errors name the field,
// such as `config.timeout: expected string, got number`.
func (c *Context) Config(v any) error {
	return DecodeConfig(c.config, v)
}

// RawConfig returns the task's config as JSON.
func (c *Context) RawConfig() json.RawMessage {
	return c.config
}

// HTTP sends an HTTP request through the host. A request that got no
// response returns an *HTTPError whose Kind says why; any response,
// whatever its status, is returned without an error.
func (c *Context) HTTP(req HTTPRequest) (HTTPResponse, error) {
	if c.host == nil {
		return HTTPResponse{}, errNoHost
	}
	return c.host.HTTP(req)
}

// PublishMQ publishes m on an MQ connection of the execution's namespace
// and returns once the broker has it (see CONTRACT.md for what that means
// per broker). A message that was not published, or not acknowledged,
// returns an *MQError whose Kind says why, with a receipt that still
// names the broker and the time taken when the host got that far; the
// error's Retryable method tells the failures worth another try.
func (c *Context) PublishMQ(m MQMessage) (MQReceipt, error) {
	if c.host == nil {
		return MQReceipt{}, errNoHost
	}
	return c.host.MQPublish(m)
}

// Invoke runs handler for the execute input and returns the execute
// output. It returns an error when the input is not the Kronos envelope,
// when the handler returns an error or panics, and when the result does not
// encode. Run calls it with the real host; tests may call it with a fake.
func Invoke(host Host, input []byte, handler Handler) (output []byte, err error) {
	if handler == nil {
		return nil, errors.New("sdk: the handler is nil")
	}
	in, err := DecodeInput(input)
	if err != nil {
		return nil, err
	}
	ctx := NewContext(host, in)
	res, err := callHandler(ctx, handler)
	if err != nil {
		return nil, err
	}
	return res.Encode()
}

// callHandler calls handler, turning a panic into an error so that it
// fails the execution with a message instead of trapping the module.
func callHandler(ctx *Context, handler Handler) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx.Log.Error("plugin panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("plugin panicked: %v", r)
		}
	}()
	return handler(ctx)
}
