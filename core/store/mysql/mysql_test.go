package mysql_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/mysql"
	"github.com/shiyu-coder/kronos/core/store/storetest"
)

// serverURL is the MySQL server the tests use, without a database:
// KRONOS_TEST_MYSQL_URL, or root on the local MariaDB.
func serverURL() string {
	if u := os.Getenv("KRONOS_TEST_MYSQL_URL"); u != "" {
		return strings.TrimRight(u, "/")
	}
	return "mysql://root@127.0.0.1:3306"
}

// adminDB connects to the server, or skips the test when it is absent
// outside CI. Under CI=true a missing server fails the test.
func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseURL(serverURL() + "/mysql")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 3 * time.Second
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("MySQL at %s is required under CI=true: %v", mysql.Redact(serverURL()), err)
		}
		t.Skipf("no MySQL at %s (set KRONOS_TEST_MYSQL_URL): %v", mysql.Redact(serverURL()), err)
	}
	return db
}

// freshStore creates a database of its own for one test and drops it after.
func freshStore(t testing.TB, admin *sql.DB) store.Store {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "kronos_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	s, err := mysql.Open(t.Context(), mysql.Config{URL: serverURL() + "/" + name, Logger: quiet})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var quiet = slog.New(slog.DiscardHandler)

func TestConformance(t *testing.T) {
	admin := adminDB(t)
	t.Cleanup(func() { admin.Close() })
	storetest.Exercise(t.Context(), t, func(t *testing.T) store.Store { return freshStore(t, admin) })
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	admin := adminDB(t)
	t.Cleanup(func() { admin.Close() })
	s := freshStore(t, admin)
	dbURL := serverURL() + "/" + dbName(t, s)
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

func dbName(t *testing.T, s store.Store) string {
	t.Helper()
	var name string
	if err := s.(*mysql.Store).DB().QueryRowContext(t.Context(), "SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
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
	admin := adminDB(t)
	t.Cleanup(func() { admin.Close() })
	s := freshStore(t, admin)
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
	admin := adminDB(b)
	b.Cleanup(func() { admin.Close() })
	storetest.BenchmarkClaim(b.Context(), b, freshStore(b, admin), 1, 100, 1000)
}
