//go:build !wasip1

package plugins

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Names is sorted (the server compiles the built-ins in sorted order, and
// documents Names as that order), and each names a plugin directory.
func TestNamesAreSortedPluginDirectories(t *testing.T) {
	if !slices.IsSorted(Names) {
		t.Errorf("Names = %v, want it sorted", Names)
	}
	for _, name := range Names {
		if _, err := os.Stat(filepath.Join(name, "exports_wasip1.go")); err != nil {
			t.Errorf("built-in %q: %v", name, err)
		}
	}
}
