package storeurl

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tgt, err := Parse("", dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(t.Context(), tgt, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if st.Driver() != SQLite {
		t.Errorf("Driver() = %q, want %q", st.Driver(), SQLite)
	}
	if err := st.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if tgt.Path != filepath.Join(dir, EmbeddedFile) {
		t.Errorf("Path = %q", tgt.Path)
	}
}

func TestOpenSQLiteMissingDir(t *testing.T) {
	t.Parallel()
	tgt, err := Parse("sqlite://"+filepath.Join(t.TempDir(), "missing", "k.db"), "/data")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), tgt, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "does not exist; create it") {
		t.Fatalf("got %v, want an error saying the directory is missing", err)
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	errRefused := errors.New("connection refused")
	tests := []struct {
		url, msg string
	}{
		{"mysql://u:hunter2@h/db", "dial mysql://u:hunter2@h/db"},
		{"mysql://u:p%40ss%2Fw@h/db", "dsn u:p@ss/w@tcp(h)/db"},
		{"mysql://u:p%40ss%2Fw@h/db", "url mysql://u:p%40ss%2Fw@h/db"},
		{"mysql://u:p%40ss%2Fw@h/db", "url mysql://u:p%40ss%2fw@h/db"},
	}
	for _, tt := range tests {
		err := scrub(fmt.Errorf("%s: %w", tt.msg, errRefused), tt.url)
		for _, secret := range []string{"hunter2", "p@ss", "p%40ss"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("scrub(%q) = %q still shows the password", tt.msg, err)
			}
		}
		if !errors.Is(err, errRefused) {
			t.Errorf("scrub(%q) lost the wrapped error", tt.msg)
		}
	}
	plain := errors.New("no password here")
	if got := scrub(plain, "mysql://u@h/db"); got != plain { //nolint:errorlint // Identity is the point.
		t.Errorf("scrub changed an error without a password: %v", got)
	}
}
