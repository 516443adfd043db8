package host

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"

	extism "github.com/extism/go-sdk"

	"github.com/shiyu-coder/kronos/core"
)

// instance is one pooled plugin instance with the sink of its stdout and
// stderr.
type instance struct {
	plugin *extism.Plugin
	out    *outputSink
}

// pool keeps idle instances of one compiled plugin for one namespace.
// Instances are never shared across namespaces: a plugin's memory may hold
// one tenant's data between calls.
type pool struct {
	mu      sync.Mutex
	idle    []*instance
	maxIdle int
	made    int64
	closed  bool
}

// get returns an idle instance, or a new one made from cp.
func (p *pool) get(ctx context.Context, cp *extism.CompiledPlugin) (*instance, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		inst := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return inst, nil
	}
	p.made++
	p.mu.Unlock()
	out := &outputSink{}
	cfg := instanceConfig()
	cfg.ModuleConfig = cfg.ModuleConfig.
		WithStdout(streamWriter{out, LevelInfo}).
		WithStderr(streamWriter{out, LevelWarn})
	pl, err := cp.Instance(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &instance{plugin: pl, out: out}, nil
}

// put gives back a healthy instance; one beyond maxIdle is closed.
func (p *pool) put(ctx context.Context, inst *instance) {
	p.mu.Lock()
	if !p.closed && len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, inst)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	_ = inst.plugin.Close(ctx)
}

func (p *pool) stats() (idle int, made int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle), p.made
}

func (p *pool) closeAll(ctx context.Context) {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, inst := range idle {
		_ = inst.plugin.Close(ctx)
	}
}

// outputSink turns what an instance writes to stdout and stderr into log
// lines of the call it is serving (stdout as info, stderr as warn). This
// is also how a Go plugin's panic message ("fatal error: out of memory")
// reaches the execution log.
type outputSink struct {
	call    atomic.Pointer[callState]
	mu      sync.Mutex
	partial [2]bytes.Buffer
}

type streamWriter struct {
	sink  *outputSink
	level Level
}

// Write implements io.Writer, line by line.
func (w streamWriter) Write(b []byte) (int, error) {
	s := w.sink
	st := s.call.Load()
	s.mu.Lock()
	buf := &s.partial[0]
	if w.level != LevelInfo {
		buf = &s.partial[1]
	}
	buf.Write(b)
	var lines []string
	for {
		i := bytes.IndexByte(buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(buf.Next(i + 1)[:i]))
	}
	if buf.Len() > core.MaxLogLineBytes {
		lines = append(lines, buf.String())
		buf.Reset()
	}
	s.mu.Unlock()
	if st != nil {
		for _, l := range lines {
			st.log(w.level, l)
		}
	}
	return len(b), nil
}

// flush logs what is left of partial lines and detaches the call.
func (s *outputSink) flush() {
	st := s.call.Load()
	s.mu.Lock()
	rest := [2]string{s.partial[0].String(), s.partial[1].String()}
	s.partial[0].Reset()
	s.partial[1].Reset()
	s.mu.Unlock()
	if st != nil {
		if rest[0] != "" {
			st.log(LevelInfo, rest[0])
		}
		if rest[1] != "" {
			st.log(LevelWarn, rest[1])
		}
	}
	s.call.Store(nil)
}
