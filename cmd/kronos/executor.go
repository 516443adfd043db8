package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/plugins"
)

// wasmCacheDir is the compilation cache's directory inside the data dir.
const wasmCacheDir = "wasm-cache"

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

// startExecutor makes the Wasm runtime and the executor, and compiles the
// built-in plugins so that the first fire pays no compile.
func startExecutor(ctx context.Context, cfg Config, builtins map[string][]byte, st store.Store, vault host.SecretResolver, log *slog.Logger) (*host.Runtime, *host.Executor, error) {
	rt, err := host.NewRuntime(ctx, host.Config{
		CacheDir: filepath.Join(cfg.DataDir, wasmCacheDir),
		KV:       host.StoreKV{Store: st},
		Logger:   log,
	})
	if err != nil {
		return nil, nil, err
	}
	ex := host.NewExecutor(host.ExecutorConfig{
		Runtime:  rt,
		Builtins: builtins,
		Plugins:  st,
		Limits:   host.Limits{Network: host.NetworkPolicy{AllowPrivate: cfg.AllowPrivateNetworks}},
		Secrets:  vault,
	})
	if err := ex.Precompile(ctx); err != nil {
		_ = rt.Close(context.WithoutCancel(ctx))
		return nil, nil, fmt.Errorf("prepare built-in plugins: %w", err)
	}
	n, errs := ex.PrecompileStored(ctx)
	for _, err := range errs {
		log.Warn("a stored plugin does not compile; its tasks will fail until it is replaced", "err", err)
	}
	if n > 0 {
		log.Info("stored plugins compiled", "count", n)
	}
	return rt, ex, nil
}
