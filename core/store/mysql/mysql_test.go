package mysql_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/mysql"
	"github.com/shiyu-coder/kronos/core/store/mysql/mysqltest"
	"github.com/shiyu-coder/kronos/core/store/storetest"
)

var quiet = slog.New(slog.DiscardHandler)

func TestConformance(t *testing.T) {
	mysqltest.Admin(t) // skip (or fail under CI) once, not per case
	storetest.Exercise(t.Context(), t, func(t *testing.T) store.Store { return mysqltest.Store(t) })
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dbURL := mysqltest.DatabaseURL(t)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s2, err := mysql.Open(t.Context(), mysql.Config{URL: dbURL, Logger: quiet})
			if err == nil {
				s2.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		name, url, wantErr         string
		wantAddr, wantUser, wantDB string
	}{
		{name: "full", url: "mysql://kronos:s3cret@db.internal:3307/kronos?tls=true", wantAddr: "db.internal:3307", wantUser: "kronos", wantDB: "kronos"},
		{name: "default port", url: "mysql://root@localhost/k", wantAddr: "localhost:3306", wantUser: "root", wantDB: "k"},
		{name: "no database", url: "mysql://root@localhost:3306", wantErr: "names no database"},
		{name: "wrong scheme", url: "postgres://root@localhost/k", wantErr: "is not a MySQL URL"},
		{name: "bad timeout", url: "mysql://root@localhost/k?timeout=soon", wantErr: "timeout"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := mysql.ParseURL(c.url)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want it to mention %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Addr != c.wantAddr || cfg.User != c.wantUser || cfg.DBName != c.wantDB || !cfg.ClientFoundRows {
				t.Fatalf("cfg = %+v", cfg)
			}
		})
	}
	if r := mysql.Redact("mysql://kronos:s3cret@db:3306/k"); strings.Contains(r, "s3cret") {
		t.Fatalf("Redact leaks: %s", r)
	}
	if _, err := url.Parse(mysql.Redact("mysql://kronos:s3cret@db:3306/k")); err != nil {
		t.Fatal(err)
	}
}

func TestOpenUnreachableNamesTheServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := mysql.Open(ctx, mysql.Config{URL: "mysql://root:hunter2@127.0.0.1:1/kronos?timeout=1s"})
	if err == nil {
		t.Fatal("open succeeded against a closed port")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error should name the server and hide the password: %v", err)
	}
}

// A plugin beyond the server's max_allowed_packet would be cut off by the
// server (error 1153 or a reset connection); the store refuses it first,
// saying what to raise.
func TestPluginBeyondMaxAllowedPacketIsRefused(t *testing.T) {
	admin := mysqltest.Admin(t)
	s := mysqltest.Store(t)
	var maxPacket int
	if err := admin.QueryRowContext(t.Context(), "SELECT @@global.max_allowed_packet").Scan(&maxPacket); err != nil {
		t.Fatal(err)
	}
	if maxPacket > 256<<20 {
		t.Skipf("max_allowed_packet is %d; too big to test cheaply", maxPacket)
	}
	wasm := make([]byte, maxPacket)
	sum := sha256.Sum256(wasm)
	p := core.Plugin{Namespace: core.DefaultNamespace, Name: "huge", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(wasm))}
	_, err := s.PluginPut(t.Context(), p, wasm)
	var fe *core.FieldError
	if !errors.As(err, &fe) || fe.Field != "size" || !strings.Contains(err.Error(), "raise") {
		t.Fatalf("error = %v, want a field error on size that says what to raise", err)
	}
	_, err = s.PluginGet(t.Context(), core.DefaultNamespace, "huge")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused plugin: get error = %v, want not found", err)
	}
}

func BenchmarkExecutionClaim(b *testing.B) {
	storetest.BenchmarkClaim(b.Context(), b, mysqltest.Store(b), 1, 100, 1000)
}
