package cluster_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/core/cluster"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/internal/redistest"
)

// sharedRedisAddr is the machine's Redis, which the tests share with
// anything else: each test works under its own key prefix.
const sharedRedisAddr = "127.0.0.1:6379"

// Test timing: short, so that expiries happen within a test. Assertions
// never depend on these being met exactly; waits are generous bounds.
const (
	testTTL         = time.Second
	testCallTimeout = 250 * time.Millisecond
	testGrace       = 100 * time.Millisecond
	// settle bounds every "eventually": far above what any step needs.
	settle = 10 * time.Second
)

// TestMain quiets go-redis, which logs every failed dial to stderr (the
// quorum tests kill servers on purpose), unless KRONOS_TEST_LOG is set.
func TestMain(m *testing.M) {
	if os.Getenv("KRONOS_TEST_LOG") == "" {
		redis.SetLogger(quietRedis{})
	}
	os.Exit(m.Run())
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// missing fails the test under CI=true, where every service must be there,
// and skips it otherwise.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing service fails the test)", msg)
	}
	t.Skipf("%s; skipping (under CI=true this fails)", msg)
}

// sharedRedis returns a client of the machine's Redis, closed at cleanup.
func sharedRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: sharedRedisAddr, ContextTimeoutEnabled: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		missing(t, "no Redis at %s: %v (start it: redis-server --daemonize yes --port 6379 --save '' --appendonly no)", sharedRedisAddr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a key prefix of the test's own and deletes its keys
// from the clients at cleanup (after everything registered later, such as
// the leasers, has stopped).
func testPrefix(t *testing.T, clients ...redis.UniversalClient) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "kronos-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, c := range clients {
			iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			var keys []string
			for iter.Next(ctx) {
				keys = append(keys, iter.Val())
			}
			if len(keys) > 0 {
				_ = c.Del(ctx, keys...).Err() // a killed server may be gone
			}
		}
	})
	return prefix
}

// redisServer is a redis-server process of the test's own, for quorum
// tests: it can be killed and started again on the same port, empty.
type redisServer struct {
	*redistest.Server
	t *testing.T
}

// startRedisServer starts a redis-server on a free port, killed at
// cleanup.
func startRedisServer(t *testing.T) *redisServer {
	t.Helper()
	return &redisServer{Server: redistest.StartServer(t), t: t}
}

func (s *redisServer) addr() string { return s.Addr() }

// start starts the server again, empty, and waits until it answers.
func (s *redisServer) start() { s.Start() }

// kill kills the server, as a crash would.
func (s *redisServer) kill() { s.Kill() }

// client returns a client of the server, closed at cleanup.
func (s *redisServer) client() redis.UniversalClient {
	c := redis.NewClient(&redis.Options{Addr: s.addr(), ContextTimeoutEnabled: true})
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// epochs is the test's EpochSource: a counter per partition, as the store
// keeps, recording every epoch it handed out.
type epochs struct {
	mu    sync.Mutex
	last  map[int]int64
	given map[int][]int64 // per partition, in order
	// block, if set, is called first and may hold the call (a slow store).
	block func(ctx context.Context, p int) error
}

func newEpochs() *epochs { return &epochs{last: map[int]int64{}, given: map[int][]int64{}} }

func (e *epochs) PartitionAcquire(ctx context.Context, p int, holder string) (int64, error) {
	if e.block != nil {
		if err := e.block(ctx, p); err != nil {
			return 0, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.last[p]++
	e.given[p] = append(e.given[p], e.last[p])
	return e.last[p], nil
}

func (e *epochs) acquisitions(p int) []int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int64(nil), e.given[p]...)
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger discards logs unless KRONOS_TEST_LOG is set, or writes them
// to w if given.
func testLogger(w io.Writer) *slog.Logger {
	if w == nil {
		if os.Getenv("KRONOS_TEST_LOG") == "" {
			return slog.New(slog.DiscardHandler)
		}
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// node is a Leaser running in a test, with the means to stop it.
type node struct {
	id     string
	l      *cluster.Leaser
	cancel context.CancelFunc
	done   chan struct{}
}

// nodeConfig returns the test's usual Leaser configuration.
func nodeConfig(id, prefix string, partitions int, ep *epochs, clients ...redis.UniversalClient) cluster.LeaserConfig {
	return cluster.LeaserConfig{
		Clients: clients, Prefix: prefix, NodeID: id, Partitions: partitions,
		TTL: testTTL, CallTimeout: testCallTimeout, HandoffGrace: testGrace,
		Epochs: ep, Logger: testLogger(nil),
	}
}

// startNode runs a Leaser until the test ends (or stop or kill), then
// releases it.
func startNode(t *testing.T, cfg cluster.LeaserConfig) *node {
	t.Helper()
	l, err := cluster.NewLeaser(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{id: cfg.NodeID, l: l, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(n.done)
		if err := l.Run(ctx); err != nil {
			t.Errorf("node %s: Run: %v", n.id, err)
		}
	}()
	t.Cleanup(func() {
		n.kill()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = l.Release(ctx)
	})
	return n
}

// kill stops the node's Run without Release, as if it died, and waits
// for Run to return.
func (n *node) kill() {
	n.cancel()
	<-n.done
}

// partitionsOf returns the partitions of leases.
func partitionsOf(leases []engine.Lease) []int {
	out := make([]int, len(leases))
	for i, l := range leases {
		out[i] = l.Partition()
	}
	return out
}

// eventually polls cond until it holds or settle passes; then it fails the
// test with what describe says.
func eventually(t *testing.T, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(settle)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", settle, describe())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assignment describes who holds what, for failure messages.
func assignment(nodes []*node) string {
	s := ""
	for _, n := range nodes {
		s += fmt.Sprintf("%s holds %v; ", n.id, partitionsOf(n.l.Held()))
	}
	return s
}

// settled reports whether the nodes hold exactly the partitions that
// rendezvous hashing over their IDs gives them, every partition once.
func settled(nodes []*node, partitions int) bool {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.id
	}
	for _, n := range nodes {
		var want []int
		for p := range partitions {
			if cluster.Owner(p, ids) == n.id {
				want = append(want, p)
			}
		}
		got := partitionsOf(n.l.Held())
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return false
		}
	}
	return true
}

// exclusivity samples the leases of a changing set of nodes until stopped
// and records every moment two leases of one partition were both valid,
// and every reuse of an epoch for a partition.
type exclusivity struct {
	t       *testing.T
	mu      sync.Mutex
	nodes   []*node
	samples int
	errs    []string
	epochs  map[[2]int64]engine.Lease // (partition, epoch) → the lease first seen with it
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// watch starts sampling; the check runs at cleanup, or at check.
func watch(t *testing.T, nodes ...*node) *exclusivity {
	x := &exclusivity{t: t, nodes: nodes, epochs: map[[2]int64]engine.Lease{}, stop: make(chan struct{}), done: make(chan struct{})}
	go x.loop()
	t.Cleanup(func() { x.check() })
	return x
}

func (x *exclusivity) add(n *node) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.nodes = append(x.nodes, n)
}

func (x *exclusivity) loop() {
	defer close(x.done)
	for {
		select {
		case <-x.stop:
			return
		default:
		}
		x.sample()
		time.Sleep(time.Millisecond)
	}
}

// sample collects every node's leases first and only then reads the
// clock: every lease seen was acquired before now, so two of one
// partition valid at now were both held at now.
func (x *exclusivity) sample() {
	x.mu.Lock()
	nodes := append([]*node(nil), x.nodes...)
	x.mu.Unlock()
	type seen struct {
		node  string
		lease engine.Lease
	}
	var all []seen
	for _, n := range nodes {
		for _, l := range n.l.Held() {
			all = append(all, seen{n.id, l})
		}
	}
	now := time.Now()
	valid := map[int]string{}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.samples++
	for _, s := range all {
		key := [2]int64{int64(s.lease.Partition()), s.lease.Epoch()}
		if first, ok := x.epochs[key]; ok && first != s.lease {
			x.errs = append(x.errs, fmt.Sprintf("partition %d: epoch %d given to two leases", s.lease.Partition(), s.lease.Epoch()))
		} else if !ok {
			x.epochs[key] = s.lease
		}
		if !s.lease.Valid(now) {
			continue
		}
		if other, ok := valid[s.lease.Partition()]; ok && len(x.errs) < 20 {
			x.errs = append(x.errs, fmt.Sprintf("at %v partition %d valid on %s and %s", now.Format(time.StampMicro), s.lease.Partition(), other, s.node))
		}
		valid[s.lease.Partition()] = s.node
	}
}

// minSamples is the fewest samples an exclusivity check must have taken.
const minSamples = 100

// check stops sampling (once) and fails the test on any violation.
func (x *exclusivity) check() {
	x.t.Helper()
	x.once.Do(x.report)
}

func (x *exclusivity) report() {
	x.t.Helper()
	// A scenario that settles fast on a loaded machine may end before the
	// sampler had many turns: it samples on (the state after the scenario
	// must be exclusive too) until it has its minimum, for up to 5 s.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		x.mu.Lock()
		enough := x.samples >= minSamples
		x.mu.Unlock()
		if enough {
			break
		}
	}
	close(x.stop)
	<-x.done
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range x.errs {
		x.t.Error(e)
	}
	if x.samples < minSamples {
		x.t.Errorf("only %d samples of the leases; the exclusivity check saw too little", x.samples)
	}
	x.t.Logf("exclusivity: %d samples, %d violations", x.samples, len(x.errs))
}

// closed reports whether c is closed, without blocking.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
