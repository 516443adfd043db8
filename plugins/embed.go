// Package plugins embeds the built-in executor plugins into the kronos
// binary. Each built-in is a Go main package in a subdirectory (http/, mq/,
// script/), compiled to wasip1 by `just plugins` into dist/, which this
// package embeds. A binary built before `just plugins` embeds none, and the
// server refuses to start with a message naming the command.
package plugins

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed dist
var dist embed.FS

// Names lists the built-in executors, sorted: the order in which the server
// compiles them in the background at start-up.
var Names = []string{"http", "mq", "script"}

// BuildCommand is what builds the built-in plugins into dist/.
const BuildCommand = "just plugins"

// Builtins returns the embedded built-in plugins by name, and the names in
// Names that this binary lacks.
func Builtins() (found map[string][]byte, missing []string) {
	found = map[string][]byte{}
	entries, _ := fs.ReadDir(dist, "dist")
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok || e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(dist, "dist/"+e.Name())
		if err == nil && len(b) > 0 {
			found[name] = b
		}
	}
	for _, n := range Names {
		if _, ok := found[n]; !ok {
			missing = append(missing, n)
		}
	}
	return found, missing
}
