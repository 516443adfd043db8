package main

import (
	"log/slog"
	"os"
	"path/filepath"
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

// The compilation cache: the user's by default, created 0700; the data
// dir's for a user without a cache directory; memory for "off", or when
// the default cannot be written; an explicit directory that cannot be
// written is an error naming the flag. (Not parallel: it sets HOME.)
func TestWasmCacheDir(t *testing.T) {
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "data")
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, flag, xdg, home string
		env                   []string
		want                  string // "" for memory
		err                   string
	}{
		{name: "default", xdg: filepath.Join(tmp, "xdg"), want: filepath.Join(tmp, "xdg", "kronos", "wasm-cache")},
		{name: "no user cache dir", want: filepath.Join(dataDir, "wasm-cache")},
		{name: "default cannot be written", xdg: file},
		{name: "flag", flag: filepath.Join(tmp, "mine"), xdg: file, want: filepath.Join(tmp, "mine")},
		{name: "environment", env: []string{"KRONOS_WASM_CACHE_DIR=" + filepath.Join(tmp, "env")}, want: filepath.Join(tmp, "env")},
		{name: "off", flag: "off", xdg: filepath.Join(tmp, "xdg")},
		{name: "flag cannot be written", flag: filepath.Join(file, "sub"), err: "--wasm-cache-dir " + filepath.Join(file, "sub")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", tc.xdg)
			t.Setenv("HOME", tc.home)
			args := []string{"--data-dir", dataDir}
			if tc.flag != "" {
				args = append(args, "--wasm-cache-dir", tc.flag)
			}
			cfg, err := load(t, args, tc.env, "")
			if err != nil {
				t.Fatal(err)
			}
			var logs strings.Builder
			dir, err := wasmCache(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), `"off"`) {
					t.Fatalf("error = %v, want one with %q and the way out", err, tc.err)
				}
				return
			}
			if err != nil || dir != tc.want {
				t.Fatalf("dir = %q, %v; want %q", dir, err, tc.want)
			}
			if dir == "" {
				if tc.flag != "off" && !strings.Contains(logs.String(), "level=WARN") {
					t.Errorf("no warning when falling back to memory: %q", logs.String())
				}
				return
			}
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("cache dir: %v, %v; want mode 0700", fi, err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("the write check left %v behind", entries)
			}
		})
	}
}
