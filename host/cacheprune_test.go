package host_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/host"
)

// PruneCache deletes the cache entries unused for the given time, and the
// version directories it empties, and nothing that is not laid out as a
// wazero cache entry; a compile after the prune fills the cache again.
func TestPruneCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	rt, err := host.NewRuntime(t.Context(), host.Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(t.Context())
	if _, err := rt.Compile(t.Context(), exporting("execute", 0x7f), 0); err != nil {
		t.Fatal(err)
	}
	versions, err := filepath.Glob(filepath.Join(dir, "wazero-*"))
	if err != nil || len(versions) != 1 {
		t.Fatalf("cache layout: %v, %v; want one wazero-* directory", versions, err)
	}
	current := versions[0]
	fresh, _ := os.ReadDir(current)
	if len(fresh) == 0 {
		t.Fatal("the compile left no cache entry")
	}

	now := time.Now()
	old := now.Add(-40 * 24 * time.Hour)
	entry := strings.Repeat("ab", 32)
	write := func(path string, size int, at time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	// An older build's entry beside the fresh one, an older wazero
	// version's directory, and files no wazero wrote.
	write(filepath.Join(current, entry), 1000, old)
	write(filepath.Join(dir, "wazero-v1.8.0-amd64-linux", entry), 500, old)
	write(filepath.Join(dir, "wazero-v1.8.0-amd64-linux", strings.Repeat("cd", 32)), 300, old)
	notes := filepath.Join(dir, "notes.txt")
	write(notes, 10, old)
	stray := filepath.Join(current, "not-an-entry")
	write(stray, 10, old)
	// Read recently, written long ago: in use.
	used := filepath.Join(current, strings.Repeat("ef", 32))
	write(used, 20, old)
	if err := os.Chtimes(used, now.Add(-time.Hour), old); err != nil {
		t.Fatal(err)
	}

	st, err := rt.PruneCache(now, host.DefaultCacheUnusedFor)
	if err != nil {
		t.Fatal(err)
	}
	if st.Removed != 3 || st.Freed != 1800 {
		t.Errorf("removed %d entries of %d bytes; want the 3 old ones, 1800 bytes", st.Removed, st.Freed)
	}
	if st.Kept != len(fresh)+1 {
		t.Errorf("kept %d entries; want the %d fresh ones and the one read recently", st.Kept, len(fresh))
	}
	for _, gone := range []string{filepath.Join(current, entry), filepath.Join(dir, "wazero-v1.8.0-amd64-linux")} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", gone, err)
		}
	}
	for _, kept := range append([]string{notes, stray, used}, filepath.Join(current, fresh[0].Name())) {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s was removed: %v", kept, err)
		}
	}

	// A prune with nothing old is a no-op, and one without a cache does nothing.
	if st, err := rt.PruneCache(now, host.DefaultCacheUnusedFor); err != nil || st.Removed != 0 {
		t.Errorf("a second prune: %+v, %v; want nothing removed", st, err)
	}
	mem, err := host.NewRuntime(t.Context(), host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close(t.Context())
	if st, err := mem.PruneCache(now, 0); err != nil || st != (host.CachePruneStats{}) {
		t.Errorf("prune without a cache dir: %+v, %v", st, err)
	}
}
