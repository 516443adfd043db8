package host

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/shiyu-coder/kronos/host/internal/egress"
	"github.com/shiyu-coder/kronos/host/internal/mq"
)

// DefaultMaxIdleInstances is how many idle instances one pool keeps.
const DefaultMaxIdleInstances = 8

// Config configures a Runtime.
type Config struct {
	// CacheDir holds wazero's on-disk compilation cache. It is created
	// with mode 0700: it contains native code trusted on load. Empty keeps
	// the cache in memory only.
	CacheDir string
	// KV backs the kv_* host functions. Nil makes them answer with an
	// error value.
	KV KV
	// MQ resolves the connections of the mq_publish host function. Nil
	// makes it answer with an error value.
	MQ MQConnections
	// NodeID is this node's ID: an MQTT client_id's ${node} stands for
	// it, so that the nodes of a cluster connect as different clients.
	// Empty reads "kronos".
	NodeID string
	// MaxIdleInstances is how many idle instances each pool keeps.
	// Defaults to DefaultMaxIdleInstances.
	MaxIdleInstances int
	// Logger receives the runtime's own events. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// Runtime compiles plugins, pools their instances and runs calls. It is
// safe for concurrent use. Close it to release every compiled module.
type Runtime struct {
	cfg       Config
	log       *slog.Logger
	cache     wazero.CompilationCache
	hostFuncs []extism.HostFunction

	// inspect decodes and checks uploaded modules (Validate). It is an
	// interpreter runtime with no compilation cache: checking an upload
	// generates no machine code and leaves nothing in the shared cache,
	// so a stream of refused uploads costs nothing after it; a module that
	// passes is compiled for real by Compile.
	inspect wazero.Runtime

	mu       sync.Mutex
	closed   bool
	compiled map[compiledKey]*compileEntry
	pools    map[poolKey]*pool

	httpMu      sync.Mutex
	httpClients map[string]*egress.Client // by network policy

	// mq pools the broker connections of mq_publish, by namespace,
	// connection, configuration and network policy.
	mq      *mq.Pool
	mqOpens atomic.Int64 // connections opened, for tests
}

// maxHTTPClients bounds the egress clients kept, one per distinct network
// policy (in practice one per namespace).
const maxHTTPClients = 1024

// httpClient returns the egress client of a network policy, shared by
// every call under that policy so that connections are reused.
func (rt *Runtime) httpClient(p egress.Policy) *egress.Client {
	key, err := json.Marshal(p)
	if err != nil {
		return egress.NewClient(p) // cannot happen: Policy is plain data
	}
	rt.httpMu.Lock()
	defer rt.httpMu.Unlock()
	if rt.httpClients == nil {
		return egress.NewClient(p) // closed runtime (TestMQ may still run)
	}
	if c, ok := rt.httpClients[string(key)]; ok {
		return c
	}
	if len(rt.httpClients) >= maxHTTPClients {
		for k, c := range rt.httpClients {
			c.Close()
			delete(rt.httpClients, k)
		}
	}
	c := egress.NewClient(p)
	rt.httpClients[string(key)] = c
	return c
}

type compiledKey struct {
	hash  [sha256.Size]byte
	pages uint32
}

type poolKey struct {
	namespace string
	compiledKey
}

// compileEntry makes concurrent Compile calls for one key share one
// compilation.
type compileEntry struct {
	done   chan struct{}
	plugin *extism.CompiledPlugin
	err    error
}

// NewRuntime returns a Runtime. It creates cfg.CacheDir if needed.
func NewRuntime(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxIdleInstances <= 0 {
		cfg.MaxIdleInstances = DefaultMaxIdleInstances
	}
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("wasm host: create compilation cache dir: %w", err)
		}
		if err := os.Chmod(cfg.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("wasm host: restrict compilation cache dir: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasm host: open compilation cache %s: %w", cfg.CacheDir, err)
		}
		cache = c
	} else {
		cache = wazero.NewCompilationCache()
	}
	// Extism drops plugin log lines below a process-wide level, off by
	// default. Info lets plugins' PDK log lines through and keeps out the
	// SDK's own debug chatter ("Calling function: …"), which shares the
	// channel. Kronos's log host function carries every level.
	extism.SetLogLevel(extism.LogLevelInfo)
	rt := &Runtime{
		cfg:         cfg,
		log:         cfg.Logger,
		cache:       cache,
		compiled:    map[compiledKey]*compileEntry{},
		pools:       map[poolKey]*pool{},
		httpClients: map[string]*egress.Client{},
	}
	rt.mq = mq.NewPool(mq.PoolConfig{Open: func(ctx context.Context, cfg mq.ConnConfig) (mq.Conn, error) {
		rt.mqOpens.Add(1)
		return mq.Open(ctx, cfg)
	}})
	rt.hostFuncs = rt.kronosHostFunctions()
	rt.inspect = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	return rt, nil
}

// runtimeConfig is the wazero configuration of every plugin runtime. Its
// options are part of the compilation cache key, so they never vary.
func (rt *Runtime) runtimeConfig() wazero.RuntimeConfig {
	return wazero.NewRuntimeConfig().
		WithCompilationCache(rt.cache).
		WithCloseOnContextDone(true)
}

// Compiled is a plugin compiled for one memory limit, ready to call.
type Compiled struct {
	rt   *Runtime
	key  compiledKey
	hash string
}

// Hash returns the hex SHA-256 of the module.
func (c *Compiled) Hash() string { return c.hash }

// MemoryPages returns the memory limit the module was compiled for.
func (c *Compiled) MemoryPages() uint32 { return c.key.pages }

// Compile compiles wasm for a memory limit of pages (0 for the default),
// or returns the compilation made before for the same bytes and limit.
func (rt *Runtime) Compile(ctx context.Context, wasm []byte, pages uint32) (*Compiled, error) {
	lim := Limits{MemoryPages: pages}.withDefaults()
	if err := lim.validate(); err != nil {
		return nil, err
	}
	key := compiledKey{hash: sha256.Sum256(wasm), pages: lim.MemoryPages}
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return nil, errors.New("wasm host: runtime is closed")
	}
	e, ok := rt.compiled[key]
	if !ok {
		e = &compileEntry{done: make(chan struct{})}
		rt.compiled[key] = e
	}
	rt.mu.Unlock()
	if !ok {
		e.plugin, e.err = extism.NewCompiledPlugin(ctx, extism.Manifest{
			Wasm:   []extism.Wasm{extism.WasmData{Data: wasm}},
			Memory: &extism.ManifestMemory{MaxPages: key.pages},
		}, extism.PluginConfig{
			EnableWasi:    true,
			RuntimeConfig: rt.runtimeConfig(),
		}, rt.hostFuncs)
		if e.err != nil {
			e.err = fmt.Errorf("wasm host: compile module %x: %w", key.hash[:6], e.err)
			rt.mu.Lock()
			delete(rt.compiled, key) // let a later call try again
			rt.mu.Unlock()
		}
		close(e.done)
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("wasm host: waiting for a compilation: %w", ctx.Err())
	}
	if e.err != nil {
		return nil, e.err
	}
	return &Compiled{rt: rt, key: key, hash: hex.EncodeToString(key.hash[:])}, nil
}

// compiledByHex returns the compilation of the module with the hex
// SHA-256 for a memory limit, if this runtime holds one.
func (rt *Runtime) compiledByHex(sha string, pages uint32) *Compiled {
	raw, err := hex.DecodeString(sha)
	if err != nil || len(raw) != sha256.Size {
		return nil
	}
	key := compiledKey{pages: Limits{MemoryPages: pages}.withDefaults().MemoryPages}
	copy(key.hash[:], raw)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	e, ok := rt.compiled[key]
	if !ok {
		return nil
	}
	select {
	case <-e.done:
		if e.err != nil {
			return nil
		}
	default:
		return nil
	}
	return &Compiled{rt: rt, key: key, hash: sha}
}

// pool returns the instance pool of a namespace for c.
func (rt *Runtime) pool(namespace string, c *Compiled) (*pool, *extism.CompiledPlugin, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil, nil, errors.New("wasm host: runtime is closed")
	}
	e := rt.compiled[c.key]
	if e == nil {
		return nil, nil, errors.New("wasm host: module was released; compile it again")
	}
	k := poolKey{namespace: namespace, compiledKey: c.key}
	p := rt.pools[k]
	if p == nil {
		p = &pool{maxIdle: rt.cfg.MaxIdleInstances}
		rt.pools[k] = p
	}
	return p, e.plugin, nil
}

// instanceConfig gives plugins real clocks and a cryptographic random
// source (wazero's defaults are fake and deterministic), and nothing else:
// no files, no environment, no stdio.
func instanceConfig() extism.PluginInstanceConfig {
	return extism.PluginInstanceConfig{
		ModuleConfig: wazero.NewModuleConfig().
			WithSysWalltime().
			WithSysNanotime().
			WithSysNanosleep().
			WithRandSource(rand.Reader),
	}
}

// Stats counts what the runtime holds, for metrics and tests.
type Stats struct {
	// Compiled is the number of compiled modules.
	Compiled int
	// Idle is the number of idle pooled instances.
	Idle int
	// Instantiated counts instances ever created.
	Instantiated int64
}

// Stats returns current counts.
func (rt *Runtime) Stats() Stats {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := Stats{Compiled: len(rt.compiled)}
	for _, p := range rt.pools {
		idle, made := p.stats()
		s.Idle += idle
		s.Instantiated += made
	}
	return s
}

// Close closes every instance and compiled module. Calls in flight end
// with an error.
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return nil
	}
	rt.closed = true
	pools, compiled := rt.pools, rt.compiled
	rt.pools, rt.compiled = nil, nil
	rt.mu.Unlock()
	var errs []error
	for _, p := range pools {
		p.closeAll(ctx)
	}
	for _, e := range compiled {
		<-e.done
		if e.plugin != nil {
			errs = append(errs, e.plugin.Close(ctx))
		}
	}
	rt.httpMu.Lock()
	for _, c := range rt.httpClients {
		c.Close()
	}
	rt.httpClients = nil
	rt.httpMu.Unlock()
	errs = append(errs, rt.mq.Close())
	errs = append(errs, rt.inspect.Close(ctx), rt.cache.Close(ctx))
	return errors.Join(errs...)
}
