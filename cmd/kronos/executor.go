package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shiyu-coder/kronos/core/secrets"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/plugins"
)

// wasmCacheDir is the compilation cache's directory under the user's cache
// directory (kronos/wasm-cache), or under the data dir when the user has
// none.
const wasmCacheDir = "wasm-cache"

// wasmCacheOff is the --wasm-cache-dir that keeps compilations in memory.
const wasmCacheOff = "off"

// builtinPlugins returns the built-in plugins this binary embeds, or an
// error naming the command that builds them.
func builtinPlugins() (map[string][]byte, error) {
	return checkBuiltins(plugins.Builtins())
}

// checkBuiltins refuses a binary that lacks any built-in plugin.
func checkBuiltins(found map[string][]byte, missing []string) (map[string][]byte, error) {
	if len(missing) > 0 {
		return nil, fmt.Errorf("this kronos binary was built without its built-in plugins (%s); build them with `%s` and rebuild, or simply run `just build` (or `just dev`), which does both",
			strings.Join(missing, ", "), plugins.BuildCommand)
	}
	return found, nil
}

// startExecutor makes the Wasm runtime and the executor. It compiles
// nothing: precompileBuiltins does that in the background once the server
// serves.
func startExecutor(ctx context.Context, cfg Config, nodeID string, builtins map[string][]byte, st store.Store, vault *secrets.Vault, log *slog.Logger) (*host.Runtime, *host.Executor, error) {
	dir, err := wasmCache(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if old := filepath.Join(cfg.DataDir, wasmCacheDir); old != dir {
		if _, err := os.Stat(old); err == nil {
			log.Info("the data dir holds a compilation cache this server no longer uses; delete it to free the space", "path", old, "compilation_cache", dir)
		}
	}
	rcfg := host.Config{
		CacheDir: dir,
		KV:       host.StoreKV{Store: st},
		// The vault always has a keyring (loadKeyring makes one): it opens
		// the connections' password secrets.
		MQ:     secrets.MQConnections{Vault: vault},
		NodeID: nodeID,
		Logger: log,
	}
	rt, err := host.NewRuntime(ctx, rcfg)
	if err != nil && dir != "" && cfg.WasmCacheDir == "" {
		// The default directory is someone else's (NewRuntime restricts
		// it to 0700): compile in memory.
		log.Warn("the plugin compilation cache cannot be used: plugins compile in memory, again after every restart; set --wasm-cache-dir", "dir", dir, "err", err)
		rcfg.CacheDir, dir = "", ""
		rt, err = host.NewRuntime(ctx, rcfg)
	}
	if err != nil {
		if cfg.WasmCacheDir != "" {
			return nil, nil, fmt.Errorf("--%s %s: %w; choose a directory this user owns, or %q to compile in memory", keyWasmCacheDir, cfg.WasmCacheDir, err, wasmCacheOff)
		}
		return nil, nil, err
	}
	ex := host.NewExecutor(host.ExecutorConfig{
		Runtime:  rt,
		Builtins: builtins,
		Plugins:  st,
		Limits:   host.Limits{Network: host.NetworkPolicy{AllowPrivate: cfg.AllowPrivateNetworks}},
		Secrets:  vault,
	})
	cache := dir
	if cache == "" {
		cache = "memory"
	}
	log.Info("wasm runtime started; the built-in plugins compile in the background",
		"plugins", strings.Join(ex.BuiltinNames(), ","), "compilation_cache", cache, "allow_private_networks", cfg.AllowPrivateNetworks)
	return rt, ex, nil
}

// wasmCache returns the compilation cache directory of cfg, or "" to
// compile in memory. A directory set with --wasm-cache-dir that cannot be
// written is an error; the default one, shared by the user's kronos
// processes, falls back to memory with a warning.
func wasmCache(cfg Config, log *slog.Logger) (string, error) {
	switch cfg.WasmCacheDir {
	case wasmCacheOff:
		return "", nil
	case "":
	default:
		if err := checkWritableDir(cfg.WasmCacheDir); err != nil {
			return "", fmt.Errorf("--%s %s: %w; choose a directory this user can write, or %q to compile in memory", keyWasmCacheDir, cfg.WasmCacheDir, err, wasmCacheOff)
		}
		return cfg.WasmCacheDir, nil
	}
	dir := filepath.Join(cfg.DataDir, wasmCacheDir)
	if root, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(root, "kronos", wasmCacheDir)
	}
	if err := checkWritableDir(dir); err != nil {
		log.Warn("the plugin compilation cache directory cannot be written: plugins compile in memory, again after every restart; set --wasm-cache-dir", "dir", dir, "err", err)
		return "", nil
	}
	return dir, nil
}

// checkWritableDir creates dir (mode 0700) if it is missing and checks
// that a file can be written in it: wazero fails a compilation whose
// result it cannot store.
func checkWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".kronos-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	err = f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}

// precompileBuiltins compiles the built-in plugins one after the other,
// logging each with its compile time, then the custom plugins in the
// store. It runs in the background while the server serves: a fire, a
// config validation or a describe that needs a plugin not compiled yet
// waits for its compilation (one compilation however many wait). It
// returns once all are compiled, or early when ctx ends (a compilation in
// progress runs to its end: wazero cannot stop one). A built-in that does
// not compile is an error: the binary is broken.
func precompileBuiltins(ctx context.Context, rt *host.Runtime, ex *host.Executor, log *slog.Logger) error {
	for _, name := range ex.BuiltinNames() {
		if stopping(ctx) {
			return nil
		}
		start := time.Now()
		err := ex.PrecompileBuiltin(ctx, name)
		switch {
		case stopping(ctx):
			return nil // shutting down: the compile was cut short, not broken
		case err != nil:
			return fmt.Errorf("prepare built-in plugins: %w", err)
		}
		log.Info("built-in plugin ready", "plugin", name, "took", time.Since(start).Round(time.Millisecond))
	}
	if stopping(ctx) {
		return nil
	}
	start := time.Now()
	n, errs := ex.PrecompileStored(ctx)
	if stopping(ctx) {
		return nil
	}
	for _, err := range errs {
		log.Warn("a stored plugin does not compile; its tasks will fail until it is replaced", "err", err)
	}
	if n > 0 {
		log.Info("stored plugins compiled", "count", n, "took", time.Since(start).Round(time.Millisecond))
	}
	pruneWasmCache(rt, log)
	return nil
}

// pruneWasmCache deletes what the compilation cache holds for plugins no
// server of this user has used for host.DefaultCacheUnusedFor (older
// builds', older versions'), once the plugins in use are compiled. A
// failure only warns: the cache is an optimisation.
func pruneWasmCache(rt *host.Runtime, log *slog.Logger) {
	st, err := rt.PruneCache(time.Now(), host.DefaultCacheUnusedFor)
	if err != nil {
		log.Warn("could not prune the plugin compilation cache; it keeps what it could not delete", "err", err)
	}
	if st.Removed > 0 {
		log.Info("pruned the plugin compilation cache of entries unused for 30 days",
			"removed", st.Removed, "freed_mib", st.Freed>>20, "kept", st.Kept, "kept_mib", st.KeptBytes>>20)
	}
}

// precompileActor is precompileBuiltins as a run group actor: it stays
// until interrupted, so that finishing does not stop the server; a
// built-in that does not compile does. Interrupting it waits for the
// compilation in progress, if any.
func precompileActor(ctx context.Context, rt *host.Runtime, ex *host.Executor, log *slog.Logger) (execute func() error, interrupt func(error)) {
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var done atomic.Bool
	execute = func() error {
		err := precompileBuiltins(pctx, rt, ex, log)
		done.Store(true)
		if err != nil {
			return err
		}
		<-pctx.Done()
		return nil
	}
	interrupt = func(error) {
		if !done.Load() {
			log.Info("waiting for the plugin compilation in progress to finish")
		}
		cancel()
	}
	return execute, interrupt
}

// stopping reports whether ctx has ended: the server is shutting down, and
// work cut short by it is not a failure.
func stopping(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}
