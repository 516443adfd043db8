// Package redistest gives tests the machine's Redis: KRONOS_TEST_REDIS_URL,
// or redis://127.0.0.1:6379/0. Without one a test skips with a message,
// except under CI=true, where a missing service is a failure. Tests share
// the server, so each uses a key prefix of its own (Prefix).
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// URL returns the test Redis's URL once it answers a PING.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("KRONOS_TEST_REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("KRONOS_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s: %v (CI=true: a missing service is a failure)", u, err)
		}
		t.Skipf("no Redis at %s (%v); set KRONOS_TEST_REDIS_URL", u, err)
	}
	return u
}

// Client returns a client of the test Redis, closed with the test.
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	opt, err := redis.ParseURL(URL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix no other test uses, "kronos-test:<hex>:".
func Prefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "kronos-test:" + hex.EncodeToString(b) + ":"
}

// Server is a redis-server process of the test's own, for tests that kill
// and restart Redis: it can be killed and started again on its port, empty.
type Server struct {
	t    testing.TB
	bin  string
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
}

// StartServer starts a redis-server on a free loopback port, killed at
// cleanup. Without the binary the test skips, except under CI=true.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no redis-server binary (CI=true: a missing service is a failure): %v", err)
		}
		t.Skipf("no redis-server binary: %v", err)
	}
	l, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &Server{t: t, bin: bin, port: port}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is its redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Start starts the server (again, empty) and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	cmd := exec.CommandContext(context.Background(), s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.t.TempDir())
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server on port %d: %v", s.port, err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on port %d did not answer: %v", s.port, err)
		}
	}
}

// Kill kills the server, as a crash would; killing a dead one does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}
