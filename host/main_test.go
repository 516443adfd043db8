package host_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/shiyu-coder/kronos/internal/wasmtest"
)

// fixtureWasm holds the test plugin built from testdata/fixture.
var fixtureWasm []byte

// httpWasm holds the built-in HTTP plugin built from plugins/http.
var httpWasm []byte

// cacheDir is the compilation cache the tests share, so that only the
// first compile of the fixture is cold.
var cacheDir string

// TestMain builds the fixture plugin once, into a cache keyed by the hash
// of its source and of the Go version, so that repeated runs skip the build.
func TestMain(m *testing.M) {
	wasm, err := wasmtest.Build("..", "host/testdata/fixture", "host/testdata/fixture")
	if err != nil {
		fmt.Fprintln(os.Stderr, "build test plugin:", err)
		os.Exit(1)
	}
	fixtureWasm = wasm
	if httpWasm, err = wasmtest.Build("..", "plugins/http", "plugins/http", "sdk"); err != nil {
		fmt.Fprintln(os.Stderr, "build the http plugin:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "kronos-host-test-cache")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
