package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
	"github.com/shiyu-coder/kronos/core/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Exercise(t.Context(), t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kronos.db")
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.NamespaceCreate(t.Context(), nsNamed("kept")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(t.Context(), sqlite.Config{Path: path})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.NamespaceGet(t.Context(), "kept"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestOpenRefusesUnwritablePath(t *testing.T) {
	_, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "missing-dir", "kronos.db")})
	if err == nil {
		t.Fatal("open in a missing directory succeeded")
	}
}

func BenchmarkExecutionClaim(b *testing.B) {
	s, err := sqlite.Open(b.Context(), sqlite.Config{Path: filepath.Join(b.TempDir(), "kronos.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchmarkClaim(b.Context(), b, s, 1, 100, 1000)
}
