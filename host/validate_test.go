package host_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/host"
)

var header = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

func name(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func section(id byte, content []byte) []byte {
	return append([]byte{id, byte(len(content))}, content...)
}

// importing returns a module that imports one function () -> () from
// module.name and exports nothing.
func importing(module, fn string) []byte {
	types := section(1, []byte{0x01, 0x60, 0x00, 0x00})
	imp := []byte{0x01}
	imp = append(imp, name(module)...)
	imp = append(imp, name(fn)...)
	imp = append(imp, 0x00, 0x00)
	return bytes.Join([][]byte{header, types, section(2, imp)}, nil)
}

// exporting returns a module with one function of the given result types
// and params count 0, exported as fn.
func exporting(fn string, result ...byte) []byte {
	ft := append([]byte{0x01, 0x60, 0x00, byte(len(result))}, result...)
	funcs := section(3, []byte{0x01, 0x00})
	exp := append([]byte{0x01}, name(fn)...)
	exp = append(exp, 0x00, 0x00)
	body := []byte{0x00, 0x0b} // no locals; end
	switch {
	case len(result) == 1 && result[0] == 0x7f:
		body = []byte{0x00, 0x41, 0x00, 0x0b} // i32.const 0
	case len(result) == 1 && result[0] == 0x7e:
		body = []byte{0x00, 0x42, 0x00, 0x0b} // i64.const 0
	}
	code := section(10, append([]byte{0x01, byte(len(body))}, body...))
	return bytes.Join([][]byte{header, section(1, ft), funcs, section(7, exp), code}, nil)
}

func TestValidateRefusesEachReason(t *testing.T) {
	rt := newRuntime(t, nil)
	for _, c := range []struct {
		name     string
		wasm     []byte
		opts     host.ValidateOptions
		reason   host.ModuleRejection
		mentions string
	}{
		{"empty", nil, host.ValidateOptions{}, host.RejectEmpty, "empty"},
		{"too large", fixtureWasm, host.ValidateOptions{MaxBytes: 1024}, host.RejectTooLarge, "the limit is 1024"},
		{"not wasm", []byte("#!/bin/sh\necho hi\n"), host.ValidateOptions{}, host.RejectNotWasm, "not a WebAssembly module"},
		{"component, not core module", []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}, host.ValidateOptions{}, host.RejectNotWasm, "not 1"},
		{"does not compile", append(append([]byte{}, header...), 0x01, 0xff, 0xff), host.ValidateOptions{}, host.RejectCompile, "does not compile"},
		{"no execute export", exporting("run", 0x7f), host.ValidateOptions{}, host.RejectMissingExport, `no function "execute"`},
		{"execute with wrong signature", exporting("execute", 0x7e), host.ValidateOptions{}, host.RejectMissingExport, "wrong signature"},
		{"import from an unknown module", importing("env", "system"), host.ValidateOptions{}, host.RejectImport, "env.system"},
		{"unknown Kronos host function", importing(host.HostModule, "exec"), host.ValidateOptions{}, host.RejectImport, "does not provide"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := rt.Validate(t.Context(), c.wasm, c.opts)
			var me *host.ModuleError
			if !errors.As(err, &me) {
				t.Fatalf("error = %v, want a ModuleError", err)
			}
			if me.Reason != c.reason || !strings.Contains(me.Msg, c.mentions) {
				t.Fatalf("refused as %s: %q; want %s mentioning %q", me.Reason, me.Msg, c.reason, c.mentions)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	rt := newRuntime(t, nil)
	info, err := rt.Validate(t.Context(), fixtureWasm, host.ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !info.Describes || info.Size != len(fixtureWasm) || len(info.SHA256) != 64 {
		t.Fatalf("info = %+v", info)
	}
	// A plain Extism plugin names its own function.
	if _, err := rt.Validate(t.Context(), exporting("count_vowels", 0x7f), host.ValidateOptions{Function: "count_vowels"}); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{"wasi_snapshot_preview1", "extism:host/env"} {
		if _, err := rt.Validate(t.Context(), importingAndExecute(ok, "fd_write"), host.ValidateOptions{}); err != nil {
			t.Errorf("import from %s refused: %v", ok, err)
		}
	}
}

// importingAndExecute returns a module that imports module.fn () -> ()
// and exports a well-formed execute () -> i32.
func importingAndExecute(module, fn string) []byte {
	types := section(1, []byte{0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x7f})
	imp := []byte{0x01}
	imp = append(imp, name(module)...)
	imp = append(imp, name(fn)...)
	imp = append(imp, 0x00, 0x00)
	funcs := section(3, []byte{0x01, 0x01})
	exp := append([]byte{0x01}, name("execute")...)
	exp = append(exp, 0x00, 0x01)
	body := []byte{0x00, 0x41, 0x00, 0x0b}
	code := section(10, append([]byte{0x01, byte(len(body))}, body...))
	return bytes.Join([][]byte{header, types, section(2, imp), funcs, section(7, exp), code}, nil)
}
