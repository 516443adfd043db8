// Package wasmtest builds the Go plugins that tests run (for wasip1, with
// go build -buildmode=c-shared) into a cache shared by every test binary,
// keyed by a hash of the plugin's sources, go.sum and the Go version, so
// that only the first run after a change pays for the build.
package wasmtest

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
)

// CacheDir is where built plugins are kept; tests may keep other build
// products under it (wazero compilations).
func CacheDir() string {
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	return filepath.Join(root, "kronos-test-wasm")
}

// Build builds the Go plugin in pkg, a path from the module root, which
// is at moduleRoot (relative to the test's directory, e.g. ".."), and
// returns its bytes. The build is reused while no .go file below srcDirs
// (also from the module root), go.sum or the Go version changes.
func Build(moduleRoot, pkg string, srcDirs ...string) ([]byte, error) {
	h := sha256.New()
	files := []string{filepath.Join(moduleRoot, "go.sum")}
	for _, dir := range srcDirs {
		err := filepath.WalkDir(filepath.Join(moduleRoot, dir), func(path string, d fs.DirEntry, err error) error {
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
	dir := CacheDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	out := filepath.Join(dir, filepath.Base(pkg)+"-"+hex.EncodeToString(h.Sum(nil)[:8])+".wasm")
	if b, err := os.ReadFile(out); err == nil {
		return b, nil
	}
	tmp := out + ".tmp" + strconv.Itoa(os.Getpid())
	cmd := exec.Command("go", "build", "-trimpath", "-buildmode=c-shared", "-o", tmp, "./"+pkg) //nolint:noctx // a build step of a test binary's setup
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %w: %s", pkg, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}
