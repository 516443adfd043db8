package host_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/host"
)

// tinyModule exports memory and an execute that returns 0: the smallest
// module Validate accepts, a good seed for mutations.
var tinyModule = []byte{
	0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00,
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
	0x03, 0x02, 0x01, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x01,
	0x07, 0x14, 0x02,
	0x07, 'e', 'x', 'e', 'c', 'u', 't', 'e', 0x00, 0x00,
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b,
}

// FuzzValidate feeds the upload validator malformed modules: it must
// never panic, refuse with a *ModuleError that gives a reason, and accept
// only modules that export execute.
func FuzzValidate(f *testing.F) {
	rt, err := host.NewRuntime(context.Background(), host.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = rt.Close(context.Background()) })
	f.Add(tinyModule)
	f.Add(tinyModule[:8])
	f.Add([]byte("\x00asm\x02\x00\x00\x00"))
	f.Add([]byte("not wasm"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, wasm []byte) {
		info, err := rt.Validate(t.Context(), wasm, host.ValidateOptions{MaxBytes: 1 << 16})
		if err != nil {
			var me *host.ModuleError
			if !errors.As(err, &me) || me.Msg == "" {
				t.Fatalf("refused without a reason: %v", err)
			}
			return
		}
		if !slices.Contains(info.Exports, "execute") {
			t.Fatalf("accepted a module without execute: %+v", info)
		}
	})
}

// Modules of a few bytes whose length prefixes claim billions of entries
// are refused with the reason, before the decoder allocates what they
// claim (which killed the node: out of memory).
func TestValidateRefusesAllocationBombs(t *testing.T) {
	rt, err := host.NewRuntime(t.Context(), host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	header := "\x00asm\x01\x00\x00\x00"
	for name, c := range map[string]struct{ module, want string }{
		"a billion types":        {header + "\x01\x05\xff\xff\xff\xff\x07", "claims 2147483647 entries"},
		"a billion imports":      {header + "\x02\x05\x80\x80\x80\x80\x04", "claims 1073741824 entries"},
		"a huge import name":     {header + "\x02\x07\x01\xff\xff\xff\xff\x07\x00", "claims 2147483647 bytes"},
		"a section past the end": {header + "\x01\x7f\x00", "claims 127 bytes but 1 remain"},
		"a billion locals":       {header + "\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f\x0b", "more than 65536 locals"},
	} {
		_, err := rt.Validate(t.Context(), []byte(c.module), host.ValidateOptions{})
		var me *host.ModuleError
		if !errors.As(err, &me) || !strings.Contains(me.Msg, c.want) {
			t.Errorf("%s: %v, want a refusal saying %q", name, err, c.want)
		}
	}
}

func TestValidateRefusesElementBombs(t *testing.T) {
	rt, err := host.NewRuntime(t.Context(), host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	// One passive element segment (flags 1, funcref) claiming 2^31 entries.
	module := "\x00asm\x01\x00\x00\x00" + "\x09\x08\x01\x01\x00\xff\xff\xff\xff\x07"
	_, err = rt.Validate(t.Context(), []byte(module), host.ValidateOptions{})
	var me *host.ModuleError
	if !errors.As(err, &me) || !strings.Contains(me.Msg, "claims 2147483647 entries") {
		t.Fatalf("%v, want a refusal of the element count", err)
	}
}
