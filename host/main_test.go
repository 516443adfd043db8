package host_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
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
	wasm, err := buildPlugin("host/testdata/fixture", "host/testdata/fixture")
	if err != nil {
		fmt.Fprintln(os.Stderr, "build test plugin:", err)
		os.Exit(1)
	}
	fixtureWasm = wasm
	if httpWasm, err = buildPlugin("plugins/http", "plugins/http", "sdk"); err != nil {
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

// buildPlugin builds the Go plugin in pkg (relative to the module root),
// caching the result under a hash of the .go files below srcDirs, go.sum
// and the Go version.
func buildPlugin(pkg string, srcDirs ...string) ([]byte, error) {
	h := sha256.New()
	files := []string{filepath.Join("..", "go.sum")}
	for _, dir := range srcDirs {
		err := filepath.WalkDir(filepath.Join("..", dir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		h.Write([]byte(f))
		h.Write(b)
	}
	h.Write([]byte(runtime.Version()))
	cacheRoot, err := os.UserCacheDir()
	if err != nil {
		cacheRoot = os.TempDir()
	}
	cacheDir := filepath.Join(cacheRoot, "kronos-test-wasm")
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, err
	}
	out := filepath.Join(cacheDir, filepath.Base(pkg)+"-"+hex.EncodeToString(h.Sum(nil)[:8])+".wasm")
	if b, err := os.ReadFile(out); err == nil {
		return b, nil
	}
	tmp := out + ".tmp" + strconv.Itoa(os.Getpid())
	cmd := exec.Command("go", "build", "-trimpath", "-buildmode=c-shared", "-o", tmp, "./"+pkg)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}
