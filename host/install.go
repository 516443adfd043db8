package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/shiyu-coder/kronos/core"
)

// PluginStore is where custom plugins are kept: the Store.
type PluginStore interface {
	PluginSource
	// PluginPut stores a plugin and its Wasm bytes, replacing one of the
	// same name.
	PluginPut(ctx context.Context, p core.Plugin, wasm []byte) (core.Plugin, error)
}

// InstallParams is one custom plugin upload.
type InstallParams struct {
	// Namespace receives the plugin. Required.
	Namespace string
	// Name is the executor type tasks will name. Required; built-in names
	// are reserved.
	Name string
	// Wasm is the module.
	Wasm []byte
	// Uploader is recorded with the plugin.
	Uploader string
	// MaxBytes is the namespace's plugin size limit. Defaults to
	// DefaultMaxModuleBytes.
	MaxBytes int
	// Function is the export the module must have: "execute" (the
	// default) for a Kronos plugin, or a plain Extism plugin's own.
	Function string
}

// Install validates an uploaded plugin, compiles it (so that its first
// fire pays no compile), reads its description and stores it. Nothing is
// stored unless every check passes. Errors are *ModuleError (the module),
// *core.ValidationError (the name) or the store's.
func (e *Executor) Install(ctx context.Context, p InstallParams) (core.Plugin, error) {
	store, ok := e.cfg.Plugins.(PluginStore)
	if !ok || store == nil {
		return core.Plugin{}, errors.New("install plugin: this executor has no plugin store")
	}
	what := fmt.Sprintf("plugin %q", p.Name)
	if fe := core.ValidateName("name", p.Name); fe != nil {
		return core.Plugin{}, &core.ValidationError{What: what, Fields: []*core.FieldError{fe}}
	}
	if _, builtin := e.cfg.Builtins[p.Name]; builtin {
		return core.Plugin{}, &core.ValidationError{What: what, Fields: []*core.FieldError{{
			Field: "name", Message: fmt.Sprintf("%q is a built-in executor; choose another name", p.Name),
		}}}
	}
	info, err := e.cfg.Runtime.Validate(ctx, p.Wasm, ValidateOptions{MaxBytes: p.MaxBytes, Function: p.Function})
	if err != nil {
		return core.Plugin{}, err
	}
	c, err := e.cfg.Runtime.Compile(ctx, p.Wasm, e.cfg.Limits.MemoryPages)
	if err != nil {
		return core.Plugin{}, &ModuleError{RejectCompile, err.Error()}
	}
	plugin := core.Plugin{Namespace: p.Namespace, Name: p.Name, SHA256: info.SHA256, Size: int64(info.Size), Uploader: p.Uploader}
	if info.Describes {
		se := e.schemaFor(ctx, c, p.Namespace)
		if se.err != nil {
			return core.Plugin{}, &ModuleError{RejectDescribe, "its describe export failed: " + se.err.Error()}
		}
		plugin.Version, plugin.Description, plugin.ConfigSchema = se.desc.Version, se.desc.Description, se.desc.ConfigSchema
	}
	return store.PluginPut(ctx, plugin, p.Wasm)
}

// PluginLister lists what custom plugins exist: the Store.
type PluginLister interface {
	NamespaceList(ctx context.Context) ([]core.Namespace, error)
	PluginList(ctx context.Context, namespace string) ([]core.Plugin, error)
}

// PrecompileStored compiles every custom plugin of every namespace, so that
// after a restart their first fires pay no compile (from the on-disk cache
// this is cheap). It returns how many it compiled and the plugins it could
// not, which stay usable later if they compile then.
func (e *Executor) PrecompileStored(ctx context.Context) (int, []error) {
	lister, ok := e.cfg.Plugins.(PluginLister)
	if !ok {
		return 0, nil
	}
	nss, err := lister.NamespaceList(ctx)
	if err != nil {
		return 0, []error{fmt.Errorf("list namespaces: %w", err)}
	}
	n := 0
	var errs []error
	for _, ns := range nss {
		ps, err := lister.PluginList(ctx, ns.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("list plugins of %q: %w", ns.Name, err))
			continue
		}
		pages := e.limitsFor(ns.Settings, core.Task{}).MemoryPages
		for _, p := range ps {
			if _, err := e.resolve(ctx, ns.Name, p.Name, pages); err != nil {
				errs = append(errs, fmt.Errorf("plugin %q of namespace %q: %w", p.Name, ns.Name, err))
				continue
			}
			n++
		}
	}
	return n, errs
}

// Builtin describes the built-in plugin called name: its version,
// description, config schema, digest and size (no namespace, no uploader).
// An unknown name is an error naming it.
func (e *Executor) Builtin(ctx context.Context, name string) (core.Plugin, error) {
	wasm, ok := e.cfg.Builtins[name]
	if !ok {
		return core.Plugin{}, fmt.Errorf("built-in plugin %q: %w", name, errNoBuiltin)
	}
	c, err := e.resolve(ctx, core.DefaultNamespace, name, e.cfg.Limits.MemoryPages)
	if err != nil {
		return core.Plugin{}, fmt.Errorf("built-in plugin %q: %w", name, err)
	}
	se := e.schemaFor(ctx, c, core.DefaultNamespace)
	if se.err != nil {
		return core.Plugin{}, fmt.Errorf("built-in plugin %q: describe: %w", name, se.err)
	}
	sum := sha256.Sum256(wasm)
	return core.Plugin{
		Name: name, Version: se.desc.Version, Description: se.desc.Description, ConfigSchema: se.desc.ConfigSchema,
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(wasm)),
	}, nil
}

// errNoBuiltin: Builtin was asked for a name that is not built in.
var errNoBuiltin = errors.New("no such built-in plugin")
