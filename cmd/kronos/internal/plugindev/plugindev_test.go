package plugindev

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFindKronos(t *testing.T) {
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	if got := FindKronos("templates/go"); got != root {
		t.Errorf("FindKronos(templates/go) = %q, want %q", got, root)
	}
	if got := FindKronos(t.TempDir()); got != "" {
		t.Errorf("FindKronos(a temp dir) = %q, want none", got)
	}
}

func TestInitGoWithoutKronosNeedsARelease(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := Init(InitParams{Name: "p", Dir: dir}); err == nil {
		t.Fatal("a development build without --kronos wrote a skeleton")
	}
	if _, err := Init(InitParams{Name: "p", Dir: dir, Version: "v1.2.3"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "module p\n\ngo " + GoVersion + "\n\nrequire " + KronosModule + " v1.2.3\n"; string(b) != want {
		t.Errorf("go.mod = %q, want %q", b, want)
	}
}

func TestMemoryKV(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kv := &MemoryKV{now: func() time.Time { return now }}
	if err := kv.Set(ctx, "a", "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := kv.Get(ctx, "a", "k"); !ok || string(v) != "v" {
		t.Errorf("get = %q %v", v, ok)
	}
	if _, ok, _ := kv.Get(ctx, "b", "k"); ok {
		t.Error("namespaces share keys")
	}
	now = now.Add(time.Minute)
	if _, ok, _ := kv.Get(ctx, "a", "k"); ok {
		t.Error("an expired key is found")
	}
	_ = kv.Set(ctx, "a", "k", []byte("w"), 0)
	_ = kv.Delete(ctx, "a", "k")
	if _, ok, _ := kv.Get(ctx, "a", "k"); ok {
		t.Error("a deleted key is found")
	}
}
