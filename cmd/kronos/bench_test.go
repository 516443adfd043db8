package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core/store/mysql"
)

// runBenchCmd runs kronos bench with tiny numbers and checks the report's
// structure and that tasks fired; it asserts nothing about timing.
func runBenchCmd(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"bench", "--tasks", "20", "--duration", "3s"}, args...)
	if code := execute(t.Context(), args, &out, &errOut); code != 0 {
		t.Fatalf("kronos %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	report := out.String()
	for _, line := range []string{
		"tasks ", "store ", "executor ", "engine ", "duration ", "fires ", "window ",
		"fires in window ", "fires/s sustained ", "fire lag ", "where the time goes",
		"claim batch (ExecutionClaim) ", "record batch (ExecutionUpdateMany) ", "log lines (LogAppend) ",
		"executor call (window) ", "first fire of each instant (window) ", "spread of an instant's fires ", "lag at worker slot (window) ", "lag at executor call (window) ",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line)).MatchString(report) {
			t.Errorf("the report has no line starting %q:\n%s", line, report)
		}
	}
	if strings.Contains(report, "failed fires") {
		t.Errorf("some fires failed:\n%s", report)
	}
	m := regexp.MustCompile(`(?m)^fires +(\d+) in all`).FindStringSubmatch(report)
	if m == nil {
		t.Fatalf("no fire count in the report:\n%s", report)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Errorf("nothing fired:\n%s", report)
	}
	return report
}

func TestBenchSQLite(t *testing.T) {
	t.Parallel()
	for _, executor := range []string{"go", "wasm"} {
		t.Run(executor, func(t *testing.T) {
			t.Parallel()
			report := runBenchCmd(t, "--executor", executor)
			if !strings.Contains(report, "sqlite") {
				t.Errorf("the report does not name the sqlite store:\n%s", report)
			}
		})
	}
}

func TestBenchMySQL(t *testing.T) {
	t.Parallel()
	server := os.Getenv("KRONOS_TEST_MYSQL_URL")
	if server == "" {
		server = "mysql://root@127.0.0.1:3306"
	}
	server = strings.TrimRight(server, "/")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	// Reaching the server is the check: bench makes its own database.
	_, _, cleanup, err := openBenchMySQL(ctx, server, slog.New(slog.DiscardHandler))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MySQL at %s is required under CI=true: %v", mysql.Redact(server), err)
		}
		t.Skipf("no MySQL at %s (set KRONOS_TEST_MYSQL_URL): %v", mysql.Redact(server), err)
	}
	if err := cleanup(); err != nil {
		t.Fatal(err)
	}
	report := runBenchCmd(t, "--store", server, "--executor", "wasm")
	if !strings.Contains(report, "kronos_bench_") {
		t.Errorf("the report does not name the bench database:\n%s", report)
	}
}

func TestBenchFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bench", "--tasks", "0"},
		{"bench", "--duration", "1s"},
		{"bench", "--executor", "lua"},
		{"bench", "--executor", "go", "--plugin", "x.wasm"},
		{"bench", "--store", "postgres://x"},
	} {
		var out, errOut bytes.Buffer
		if code := execute(t.Context(), args, &out, &errOut); code != 2 {
			t.Errorf("kronos %s: exit %d, want 2 (stderr: %s)", strings.Join(args, " "), code, errOut.String())
		}
	}
}
