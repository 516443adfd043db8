// Package redistest gives tests the machine's Redis: KRONOS_TEST_REDIS_URL,
// or redis://127.0.0.1:6379/0. Without one a test skips with a message,
// except under CI=true, where a missing service is a failure. Tests share
// the server, so each uses a key prefix of its own (Prefix).
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
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
