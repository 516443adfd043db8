package datadir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/cmd/kronos/internal/datadir"
)

func TestNodeIDGeneratedOnceThenReused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	id, created, err := datadir.NodeID(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("first NodeID: created = false, want true")
	}
	if err := datadir.CheckNodeID(id); err != nil {
		t.Errorf("generated ID is invalid: %v", err)
	}
	again, created, err := datadir.NodeID(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again != id || created {
		t.Errorf("second NodeID = %q, created %v; want %q reused", again, created, id)
	}
}

func TestNodeIDInvalidFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, datadir.NodeIDFile), []byte("bad id!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := datadir.NodeID(dir)
	if err == nil || !strings.Contains(err.Error(), "delete the file") {
		t.Fatalf("got %v, want an error that says how to fix the file", err)
	}
}

func TestCheckNodeID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id string
		ok bool
	}{
		{"web-1-3f9a0c", true},
		{"node_2.eu", true},
		{"A", true},
		{"", false},
		{"-leading-dash", false},
		{"has space", false},
		{"slash/es", false},
		{"ünïcode", false},
		{strings.Repeat("a", datadir.MaxNodeIDLen), true},
		{strings.Repeat("a", datadir.MaxNodeIDLen+1), false},
	}
	for _, tt := range tests {
		if err := datadir.CheckNodeID(tt.id); (err == nil) != tt.ok {
			t.Errorf("CheckNodeID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
	}
}
