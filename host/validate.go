package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// DefaultMaxModuleBytes is the largest module Validate accepts by default
// (32 MiB: a Go plugin is a few MiB; a JavaScript engine about 20).
const DefaultMaxModuleBytes = 32 << 20

// wasmMagic starts every WebAssembly binary module, with version 1.
var wasmMagic = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// ModuleRejection is the reason an upload was refused.
type ModuleRejection string

// Reasons a module is refused.
const (
	RejectEmpty         ModuleRejection = "empty"
	RejectTooLarge      ModuleRejection = "too_large"
	RejectNotWasm       ModuleRejection = "not_wasm"
	RejectCompile       ModuleRejection = "does_not_compile"
	RejectMissingExport ModuleRejection = "missing_export"
	RejectImport        ModuleRejection = "forbidden_import"
	RejectDescribe      ModuleRejection = "bad_describe"
)

// ModuleError says why a module was refused and what to do.
type ModuleError struct {
	Reason ModuleRejection
	Msg    string
}

// Error implements error.
func (e *ModuleError) Error() string { return "invalid plugin module: " + e.Msg }

// ValidateOptions tune Validate.
type ValidateOptions struct {
	// MaxBytes is the size limit. Defaults to DefaultMaxModuleBytes.
	MaxBytes int
	// Function is the export the module must have. Defaults to "execute"
	// (the Kronos contract); a plain Extism plugin names its own.
	Function string
}

// ModuleInfo describes a module that passed validation.
type ModuleInfo struct {
	// SHA256 is the hex digest of the module.
	SHA256 string
	// Size is its length in bytes.
	Size int
	// Exports lists its exported function names, sorted.
	Exports []string
	// Describes is true when it exports "describe".
	Describes bool
}

// allowedImportModules are the only modules a plugin may import from.
var allowedImportModules = []string{"wasi_snapshot_preview1", "extism:host/env", HostModule}

// Validate checks an uploaded module before it is stored: magic, size, that
// it compiles, that it exports the function the contract needs, and that
// it imports only from WASI preview 1, extism:host/env and the Kronos host
// module. It fails with a *ModuleError.
func (rt *Runtime) Validate(ctx context.Context, wasm []byte, opts ValidateOptions) (*ModuleInfo, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxModuleBytes
	}
	if opts.Function == "" {
		opts.Function = "execute"
	}
	switch {
	case len(wasm) == 0:
		return nil, &ModuleError{RejectEmpty, "the upload is empty: send the .wasm file as the request body"}
	case len(wasm) > opts.MaxBytes:
		return nil, &ModuleError{RejectTooLarge, fmt.Sprintf("the module is %d bytes; the limit is %d (raise the namespace's max plugin size)", len(wasm), opts.MaxBytes)}
	case len(wasm) < len(wasmMagic) || !bytes.Equal(wasm[:4], wasmMagic[:4]):
		return nil, &ModuleError{RejectNotWasm, "the file is not a WebAssembly module (it does not start with \\0asm); build it with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared, or your PDK's wasm target"}
	case !bytes.Equal(wasm[4:8], wasmMagic[4:]):
		return nil, &ModuleError{RejectNotWasm, fmt.Sprintf("the module is WebAssembly binary version %x, not 1 (components are not supported: build a core module)", wasm[4:8])}
	}
	if err := checkBounds(wasm); err != nil {
		return nil, &ModuleError{RejectCompile, "the module does not compile: it is malformed: " + err.Error()}
	}
	mod, err := rt.inspect.CompileModule(ctx, wasm)
	if err != nil {
		return nil, &ModuleError{RejectCompile, "the module does not compile: " + err.Error()}
	}
	defer mod.Close(ctx)

	for _, f := range mod.ImportedFunctions() {
		module, name, _ := f.Import()
		if err := checkImport(module, name); err != nil {
			return nil, err
		}
	}
	for _, m := range mod.ImportedMemories() {
		module, name, _ := m.Import()
		return nil, &ModuleError{RejectImport, fmt.Sprintf("the module imports memory %s.%s; a plugin must define its own memory", module, name)}
	}
	exports := mod.ExportedFunctions()
	info := &ModuleInfo{Size: len(wasm)}
	sum := sha256.Sum256(wasm)
	info.SHA256 = hex.EncodeToString(sum[:])
	for name := range exports {
		info.Exports = append(info.Exports, name)
	}
	slices.Sort(info.Exports)
	fn, ok := exports[opts.Function]
	if !ok {
		return nil, &ModuleError{RejectMissingExport, fmt.Sprintf("the module exports no function %q (it exports %s); a Kronos plugin exports \"execute\" (see sdk/CONTRACT.md), a plain Extism plugin must name its function in the task config", opts.Function, listOrNone(info.Exports))}
	}
	if err := checkSignature(opts.Function, fn); err != nil {
		return nil, err
	}
	if d, ok := exports["describe"]; ok {
		if err := checkSignature("describe", d); err != nil {
			return nil, err
		}
		info.Describes = true
	}
	return info, nil
}

func checkImport(module, name string) error {
	if !slices.Contains(allowedImportModules, module) {
		return &ModuleError{RejectImport, fmt.Sprintf("the module imports %s.%s; plugins may import only from %s", module, name, strings.Join(allowedImportModules, ", "))}
	}
	if module == HostModule && !slices.Contains(HostFunctions, name) {
		return &ModuleError{RejectImport, fmt.Sprintf("the module imports %s.%s, which this host does not provide (it provides %s)", module, name, strings.Join(HostFunctions, ", "))}
	}
	return nil
}

// checkSignature requires an Extism export: no parameters, at most one
// i32 result.
func checkSignature(name string, fn api.FunctionDefinition) error {
	res := fn.ResultTypes()
	if len(fn.ParamTypes()) != 0 || len(res) > 1 || len(res) == 1 && res[0] != api.ValueTypeI32 {
		return &ModuleError{RejectMissingExport, fmt.Sprintf("export %q has the wrong signature: an Extism export takes no parameters and returns an i32 (or nothing)", name)}
	}
	return nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no functions"
	}
	if len(names) > 8 {
		return strings.Join(names[:8], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}
