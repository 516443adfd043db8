// Package mysqltest gives tests a MySQL (or MariaDB) database of their own:
// created on the server that KRONOS_TEST_MYSQL_URL names (root on the local
// server when unset) and dropped when the test ends, so that tests run in
// parallel and leave nothing behind. Without a server a test skips with a
// message, except under CI=true, where it fails.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shiyu-coder/kronos/core/store/mysql"
)

// ServerURL is the MySQL server the tests use, without a database.
func ServerURL() string {
	if u := os.Getenv("KRONOS_TEST_MYSQL_URL"); u != "" {
		return strings.TrimRight(u, "/")
	}
	return "mysql://root@127.0.0.1:3306"
}

// Admin connects to the server's mysql database, or skips the test when
// there is no server outside CI. The connection closes with the test.
func Admin(t testing.TB) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseURL(ServerURL() + "/mysql")
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
			t.Fatalf("MySQL at %s is required under CI=true: %v", mysql.Redact(ServerURL()), err)
		}
		t.Skipf("no MySQL at %s (set KRONOS_TEST_MYSQL_URL): %v", mysql.Redact(ServerURL()), err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// DatabaseURL creates an empty database for the test and returns its URL;
// the database is dropped when the test ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	admin := Admin(t)
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
	return ServerURL() + "/" + name
}

// Store opens a migrated store on a database of the test's own.
func Store(t testing.TB) *mysql.Store {
	t.Helper()
	s, err := mysql.Open(t.Context(), mysql.Config{URL: DatabaseURL(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
