package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shiyu-coder/kronos/internal/brokertest"
	"github.com/shiyu-coder/kronos/internal/redistest"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// The mq commands against a server and the machine's Redis and NATS:
// connections are created, listed, read, refused when invalid, tested by
// publishing a message that arrives, and deleted; a broker that is not
// there is an ok:false test and exit code 1.
func TestMQCLI(t *testing.T) {
	t.Parallel()
	rdb := redistest.Client(t)
	redisURL := redistest.URL(t)
	natsURL := brokertest.NATS(t)
	prefix := redistest.Prefix()
	stream := prefix + "mq-test"
	t.Cleanup(func() { _ = rdb.Del(context.WithoutCancel(t.Context()), stream).Err() })
	subject := strings.NewReplacer(":", ".").Replace(strings.TrimSuffix(prefix, ":")) + ".mq-test"

	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json", "--allow-private-networks")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	s := "--server=" + base

	out := cli(t, "mq", "create", "cache", "--url", redisURL, "--max-len", "100", "--timeout", "3s", "--description", "test redis", s)
	if !strings.Contains(out, "cache") || !strings.Contains(out, "redis") {
		t.Fatalf("create printed %q", out)
	}
	cli(t, "mq", "create", "bus", "--url", natsURL, s)
	var list struct {
		Connections []struct {
			Name, Broker, Timeout string
			MaxLen                int64 `json:"max_len"`
		}
	}
	decodeJSON(t, cli(t, "mq", "list", "-o", "json", s), &list)
	if len(list.Connections) != 2 || list.Connections[0].Name != "bus" || list.Connections[0].Broker != "nats" ||
		list.Connections[1].Broker != "redis" || list.Connections[1].MaxLen != 100 || list.Connections[1].Timeout != "3s" {
		t.Fatalf("list %+v", list)
	}
	if out := cli(t, "mq", "get", "cache", "-o", "yaml", s); !strings.Contains(out, "description: test redis") {
		t.Fatalf("get printed %q", out)
	}

	// Refused settings name their field, with exit code 5.
	for _, args := range [][]string{
		{"--url", "redis://user:pw@127.0.0.1:6379"},
		{"--url", natsURL, "--password-secret", "absent"},
		{"--url", natsURL, "--max-len", "5"},
	} {
		r := runCLI(t, "", append([]string{"mq", "create", "bad", s}, args...)...)
		if r.code != exitInvalid {
			t.Errorf("create %v: exit %d, stderr %s", args, r.code, r.stderr)
		}
	}
	if r := runCLI(t, "", "mq", "create", "bad", "--url", natsURL, "--password-secret", "absent", s); !strings.Contains(r.stderr, "body.password_secret") ||
		!strings.Contains(r.stderr, "kronos secrets set absent") {
		t.Errorf("a missing secret: %s", r.stderr)
	}
	if r := runCLI(t, "", "mq", "create", "bad", s); r.code != exitUsage {
		t.Errorf("create without --url: exit %d", r.code)
	}

	// Redis: the message is in the stream, with its header and key.
	if out := cli(t, "mq", "test", "cache", s); !strings.Contains(out, "true") {
		t.Fatalf("connect-only test printed %q", out)
	}
	var res struct {
		OK     bool `json:"ok"`
		Broker string
		ID     string
	}
	decodeJSON(t, cli(t, "mq", "test", "cache", "--topic", stream, "--payload", "hello redis", "--header", "trace=abc", "--key", "k1", "-o", "json", s), &res)
	if !res.OK || res.Broker != "redis" || res.ID == "" {
		t.Fatalf("redis test %+v", res)
	}
	entries, err := rdb.XRange(t.Context(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].ID != res.ID || entries[0].Values["payload"] != "hello redis" ||
		entries[0].Values["h:trace"] != "abc" || entries[0].Values["key"] != "k1" {
		t.Fatalf("stream holds %+v, want the message %s", entries, res.ID)
	}

	// NATS: a subscriber receives it.
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	sub, err := nc.SubscribeSync(subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	decodeJSON(t, cli(t, "mq", "test", "bus", "--topic", subject, "--payload", "hello nats", "--header", "trace=def", "-o", "json", s), &res)
	if !res.OK || res.Broker != "nats" {
		t.Fatalf("nats test %+v", res)
	}
	msg, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("the NATS message did not arrive: %v", err)
	}
	if string(msg.Data) != "hello nats" || msg.Header.Get("trace") != "def" {
		t.Fatalf("NATS received %q with headers %v", msg.Data, msg.Header)
	}

	// A broker that is not there: ok false, kind connect, exit code 1.
	cli(t, "mq", "create", "dead", "--url", "redis://"+closedPort(t), "--timeout", "2s", s)
	r := runCLI(t, "", "mq", "test", "dead", "--topic", stream, "-o", "json", s)
	var failed struct {
		OK    bool `json:"ok"`
		Error struct{ Kind, Message string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &failed); err != nil {
		t.Fatalf("test of a closed port printed %q: %v", r.stdout, err)
	}
	if r.code != exitFailure || failed.OK || failed.Error.Kind != "connect" || !strings.Contains(r.stderr, "connect") {
		t.Fatalf("test of a closed port: exit %d, %+v, stderr %s", r.code, failed, r.stderr)
	}
	if r := runCLI(t, "", "mq", "test", "nope", s); r.code != exitNotFound {
		t.Errorf("test of an unknown connection: exit %d", r.code)
	}
	if r := runCLI(t, "", "mq", "test", "cache", "--header", "novalue", s); r.code != exitUsage {
		t.Errorf("a header without '=': exit %d", r.code)
	}

	for _, name := range []string{"cache", "bus", "dead"} {
		if out := cli(t, "mq", "delete", name, s); !strings.Contains(out, "deleted") {
			t.Errorf("delete printed %q", out)
		}
	}
	if r := runCLI(t, "", "mq", "delete", "cache", s); r.code != exitNotFound {
		t.Errorf("second delete: exit %d", r.code)
	}
	if n, err := rdb.XLen(t.Context(), stream).Result(); err != nil || n != 1 {
		t.Errorf("the stream holds %d entries (%v): the closed-port test published?", n, err)
	}
}
