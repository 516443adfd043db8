package main

import (
	"strings"
	"testing"
)

func TestBinaryWithoutBuiltinPluginsRefusesToStart(t *testing.T) {
	t.Parallel()
	_, err := checkBuiltins(map[string][]byte{}, []string{"http"})
	if err == nil || !strings.Contains(err.Error(), "just plugins") || !strings.Contains(err.Error(), "(http)") {
		t.Fatalf("error = %v, want one naming the missing plugin and `just plugins`", err)
	}
	found, err := checkBuiltins(map[string][]byte{"http": {0}}, nil)
	if err != nil || len(found) != 1 {
		t.Fatalf("complete set: %v, %v", found, err)
	}
}

func TestThisBinaryEmbedsTheBuiltinPlugins(t *testing.T) {
	t.Parallel()
	if _, err := builtinPlugins(); err != nil {
		t.Fatalf("%v\n(`just test` runs `just plugins` first; plain `go test` needs it once)", err)
	}
}
