package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/cluster"
	"github.com/shiyu-coder/kronos/core/engine"
)

// deadliner is what a lease of a cluster.Leaser has beyond engine.Lease.
type deadliner interface{ Deadline() time.Time }

func TestLeasersSplitThePartitions(t *testing.T) {
	t.Parallel()
	const partitions = 64
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	ep := newEpochs()
	logs := &logBuffer{}
	var nodes []*node
	for _, id := range []string{"n1", "n2", "n3"} {
		cfg := nodeConfig(id, prefix, partitions, ep, c)
		cfg.Logger = testLogger(logs)
		nodes = append(nodes, startNode(t, cfg))
	}
	x := watch(t, nodes...)

	eventually(t, func() bool { return settled(nodes, partitions) }, func() string { return assignment(nodes) })
	// The Leaser runs its Membership (it has, since it holds partitions).
	if err := nodes[0].l.Membership().Run(t.Context()); err == nil {
		t.Error("Membership.Run of a running Leaser's Membership succeeded, want an error")
	}
	for _, n := range nodes {
		st := n.l.Stats()
		if st.Held == 0 || st.Held > partitions/2 {
			t.Errorf("%s holds %d of %d partitions, want a rough third", n.id, st.Held, partitions)
		}
		if st.Partitions != partitions || n.l.Partitions() != partitions || st.Members != 3 || st.QuorumLost || n.l.Err() != nil {
			t.Errorf("%s: stats %+v, Err %v; want %d partitions, 3 members, quorum", n.id, st, n.l.Err(), partitions)
		}
	}
	// The heartbeat carries the count of leases held.
	eventually(t, func() bool {
		members, err := nodes[0].l.Membership().Members(t.Context())
		if err != nil || len(members) != 3 {
			return false
		}
		for i, m := range members {
			if m.PartitionsHeld != nodes[i].l.Stats().Held {
				return false
			}
		}
		return true
	}, func() string { return "heartbeats do not report the partitions held" })

	// Held leases stay valid across several TTLs: they are extended.
	before := nodes[0].l.Held()
	time.Sleep(3 * testTTL)
	for _, l := range before {
		if closed(l.Lost()) || !l.Valid(time.Now()) {
			t.Fatalf("partition %d lease lost while its owner ran: extensions failed", l.Partition())
		}
	}
	x.check()

	// Logs are one line per tick and kind of event, not per partition.
	out := logs.String()
	if !strings.Contains(out, "acquired partition leases") {
		t.Errorf("no acquisition logged:\n%s", out)
	}
	if lines := strings.Count(out, "acquired partition leases"); lines >= partitions {
		t.Errorf("%d acquisition log lines for %d partitions, want them aggregated per tick", lines, partitions)
	}
}

func TestLeaserJoinTakesAShareByHandoff(t *testing.T) {
	t.Parallel()
	const partitions = 64
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	ep := newEpochs()
	a := startNode(t, nodeConfig("a", prefix, partitions, ep, c))
	b := startNode(t, nodeConfig("b", prefix, partitions, ep, c))
	x := watch(t, a, b)
	eventually(t, func() bool { return settled([]*node{a, b}, partitions) }, func() string { return assignment([]*node{a, b}) })
	heldBefore := append(a.l.Held(), b.l.Held()...)
	handedOffBefore := a.l.Stats().HandedOff + b.l.Stats().HandedOff

	joiner := startNode(t, nodeConfig("c", prefix, partitions, ep, c))
	x.add(joiner)
	all := []*node{a, b, joiner}
	eventually(t, func() bool { return settled(all, partitions) }, func() string { return assignment(all) })
	if got := joiner.l.Stats().Held; got == 0 {
		t.Fatal("the node that joined holds nothing")
	}
	// What c took was handed off: the old leases ended, gracefully.
	handedOff := a.l.Stats().HandedOff + b.l.Stats().HandedOff - handedOffBefore
	if handedOff != uint64(joiner.l.Stats().Held) {
		t.Errorf("a and b handed off %d partitions, c holds %d; want equal", handedOff, joiner.l.Stats().Held)
	}
	if lost := a.l.Stats().Lost + b.l.Stats().Lost; lost != 0 {
		t.Errorf("a and b lost %d leases during the join, want handoffs only", lost)
	}
	mine := map[int]bool{}
	for _, p := range partitionsOf(joiner.l.Held()) {
		mine[p] = true
	}
	for _, l := range heldBefore {
		if mine[l.Partition()] && (!closed(l.Lost()) || l.Valid(time.Now())) {
			t.Errorf("partition %d went to c but its old lease is still valid", l.Partition())
		}
		if !mine[l.Partition()] && closed(l.Lost()) {
			t.Errorf("partition %d stayed with its owner but its lease ended", l.Partition())
		}
	}
	x.check()
}

func TestLeaserReleaseFailsOverAtOnce(t *testing.T) {
	t.Parallel()
	const partitions = 64
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	ep := newEpochs()
	nodes := []*node{
		startNode(t, nodeConfig("r1", prefix, partitions, ep, c)),
		startNode(t, nodeConfig("r2", prefix, partitions, ep, c)),
		startNode(t, nodeConfig("r3", prefix, partitions, ep, c)),
	}
	x := watch(t, nodes...)
	eventually(t, func() bool { return settled(nodes, partitions) }, func() string { return assignment(nodes) })

	leaving := nodes[2]
	held := leaving.l.Held()
	for {
		select {
		case <-leaving.l.Changes(): // drain: the next signal is Release's
			continue
		default:
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := leaving.l.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	select {
	case <-leaving.done: // Run returns after Release
	case <-time.After(settle):
		t.Fatal("Run did not return after Release")
	}
	if !closed(leaving.l.Changes()) {
		t.Error("Release did not signal Changes")
	}
	now := time.Now()
	for _, l := range held {
		if l.Valid(now) || !closed(l.Lost()) {
			t.Errorf("partition %d: lease still valid or not lost after Release", l.Partition())
		}
	}
	if got := leaving.l.Held(); len(got) != 0 {
		t.Errorf("Held after Release = %v, want none", partitionsOf(got))
	}
	if err := leaving.l.Release(ctx); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if closed(leaving.l.Changes()) {
		t.Error("a second Release signalled Changes")
	}
	// Its locks and heartbeat are gone at once.
	for _, l := range held {
		if n := c.Exists(ctx, fmt.Sprintf("%spartition:%d", prefix, l.Partition())).Val(); n != 0 {
			// The new owner may have locked it already: then it is not r3's.
			if v := c.Get(ctx, fmt.Sprintf("%spartition:%d", prefix, l.Partition())).Val(); strings.HasPrefix(v, "r3:") {
				t.Errorf("partition %d still locked by r3 after Release: %q", l.Partition(), v)
			}
		}
	}
	if n := c.Exists(ctx, prefix+"node:r3").Val(); n != 0 {
		t.Error("r3's heartbeat key survived Release")
	}

	// The others take its partitions within about a tick, long before
	// the locks would have expired.
	rest := nodes[:2]
	start := time.Now()
	eventually(t, func() bool { return settled(rest, partitions) }, func() string { return assignment(rest) })
	took := time.Since(start)
	t.Logf("the remaining nodes held every partition %v after Release", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("failover after Release took %v, want about a tick (%v); the locks expire only after %v", took, testTTL/5, testTTL)
	}
	x.check()
}

func TestLeaserDeathFailsOverAfterTTL(t *testing.T) {
	t.Parallel()
	const partitions = 64
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	ep := newEpochs()
	nodes := []*node{
		startNode(t, nodeConfig("d1", prefix, partitions, ep, c)),
		startNode(t, nodeConfig("d2", prefix, partitions, ep, c)),
		startNode(t, nodeConfig("d3", prefix, partitions, ep, c)),
	}
	x := watch(t, nodes...)
	eventually(t, func() bool { return settled(nodes, partitions) }, func() string { return assignment(nodes) })

	dead := nodes[2]
	held := dead.l.Held()
	if len(held) == 0 {
		t.Fatal("d3 holds nothing")
	}
	dead.kill() // no Release: its locks and heartbeat expire in Redis

	// Its own leases end at their deadlines, by its own clock.
	eventually(t, func() bool {
		for _, l := range held {
			if !closed(l.Lost()) {
				return false
			}
		}
		return true
	}, func() string { return "the dead node's leases never reported lost" })
	clk := clock.Real() // the Leaser's clock
	for _, l := range held {
		d := l.(deadliner).Deadline()
		if now := clk.Now(); now.Before(d) {
			t.Errorf("partition %d reported lost at %v, before its deadline %v", l.Partition(), now, d)
		}
		if l.Valid(d) || l.Valid(clk.Now()) {
			t.Errorf("partition %d: the dead node's lease is valid after its deadline", l.Partition())
		}
	}
	if got := dead.l.Held(); len(got) != 0 {
		t.Errorf("the dead node still reports %v held", partitionsOf(got))
	}
	if st := dead.l.Stats(); st.Lost != uint64(len(held)) {
		t.Errorf("the dead node counts %d leases lost, want %d", st.Lost, len(held))
	}

	rest := nodes[:2]
	eventually(t, func() bool { return settled(rest, partitions) }, func() string { return assignment(rest) })
	x.check()
}

func TestLeaserEpochsGrowWithEachAcquisition(t *testing.T) {
	t.Parallel()
	const partitions = 8
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	ep := newEpochs()
	first := startNode(t, nodeConfig("e1", prefix, partitions, ep, c))
	eventually(t, func() bool { return len(first.l.Held()) == partitions }, func() string { return assignment([]*node{first}) })
	epochOf := func(leases []engine.Lease) map[int]int64 {
		m := map[int]int64{}
		for _, l := range leases {
			m[l.Partition()] = l.Epoch()
		}
		return m
	}
	e1 := epochOf(first.l.Held())
	for p, e := range e1 {
		if got := ep.acquisitions(p); len(got) == 0 || got[len(got)-1] != e {
			t.Errorf("partition %d: lease epoch %d, the store handed out %v", p, e, got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := first.l.Release(ctx); err != nil {
		t.Fatal(err)
	}

	second := startNode(t, nodeConfig("e2", prefix, partitions, ep, c))
	eventually(t, func() bool { return len(second.l.Held()) == partitions }, func() string { return assignment([]*node{second}) })
	for p, e := range epochOf(second.l.Held()) {
		if e <= e1[p] {
			t.Errorf("partition %d: epoch %d after re-acquisition, want more than %d", p, e, e1[p])
		}
		if got := ep.acquisitions(p); !slices.IsSorted(got) || len(got) < 2 || got[len(got)-1] != e {
			t.Errorf("partition %d: store epochs %v, lease epoch %d; want increasing, ending with the lease's", p, got, e)
		}
	}
}

func TestLeaserQuorum(t *testing.T) {
	t.Parallel()
	const partitions = 8
	servers := []*redisServer{startRedisServer(t), startRedisServer(t), startRedisServer(t)}
	clients := make([]redis.UniversalClient, len(servers))
	for i, s := range servers {
		clients[i] = s.client()
	}
	prefix := testPrefix(t, clients...)
	n := startNode(t, nodeConfig("q", prefix, partitions, newEpochs(), clients...))
	eventually(t, func() bool { return len(n.l.Held()) == partitions }, func() string { return assignment([]*node{n}) })
	held := n.l.Held()
	survives := func(what string) {
		t.Helper()
		time.Sleep(2 * testTTL)
		now := time.Now()
		for _, l := range held {
			if closed(l.Lost()) || !l.Valid(now) {
				t.Fatalf("%s: partition %d lease lost", what, l.Partition())
			}
		}
		if n.l.QuorumLost() || n.l.Err() != nil {
			t.Fatalf("%s: QuorumLost %v, Err %v; want a quorum", what, n.l.QuorumLost(), n.l.Err())
		}
	}

	// One server of three down: a majority remains, leases are extended.
	servers[0].kill()
	survives("with server 0 of 3 down")

	// It comes back empty: extensions put the locks back on it, so that
	// the leases then survive the loss of another server.
	servers[0].start()
	eventually(t, func() bool {
		for p := range partitions {
			if v := clients[0].Get(t.Context(), fmt.Sprintf("%spartition:%d", prefix, p)).Val(); !strings.HasPrefix(v, "q:") {
				return false
			}
		}
		return true
	}, func() string { return "extensions did not put the locks back on the restarted server" })
	servers[1].kill()
	survives("with server 1 of 3 down after server 0 came back")

	// Two down: no extension can succeed; every lease lapses within the
	// TTL of its last extension.
	servers[0].kill()
	killed := time.Now()
	eventually(t, func() bool {
		for _, l := range held {
			if !closed(l.Lost()) {
				return false
			}
		}
		return true
	}, func() string { return "leases not lost with 2 of 3 servers down" })
	if took := time.Since(killed); took > testTTL+testTTL/2 {
		// A loose bound on purpose: the loss is due at the deadline, at
		// most a TTL after the last extension.
		t.Errorf("leases lost %v after the quorum went, want within about the TTL %v", took, testTTL)
	}
	for _, l := range held {
		if l.Valid(time.Now()) {
			t.Errorf("partition %d lease valid without a quorum", l.Partition())
		}
	}
	eventually(t, n.l.QuorumLost, func() string { return "QuorumLost false with 2 of 3 servers down" })
	if n.l.Err() == nil {
		t.Error("Err is nil with 2 of 3 servers down")
	}
	if got := n.l.Held(); len(got) != 0 {
		t.Errorf("Held without a quorum = %v, want none", partitionsOf(got))
	}

	// Back up (empty): the leases are acquired again, with new epochs.
	servers[0].start()
	servers[1].start()
	eventually(t, func() bool { return len(n.l.Held()) == partitions && !n.l.QuorumLost() }, func() string {
		return fmt.Sprintf("after the servers came back: %s QuorumLost %v", assignment([]*node{n}), n.l.QuorumLost())
	})
	for _, l := range n.l.Held() {
		if l.Epoch() < 2 {
			t.Errorf("partition %d re-acquired with epoch %d, want a new one", l.Partition(), l.Epoch())
		}
	}
}

// TestLeaserSlowStoreDoesNotHoldOthers gives the leaser a store whose
// epoch call hangs for two partitions: each hanging call is cut at
// CallTimeout, and the other partitions are acquired all the same.
func TestLeaserSlowStoreDoesNotHoldOthers(t *testing.T) {
	t.Parallel()
	const partitions = 16
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	ep := newEpochs()
	ep.block = func(ctx context.Context, p int) error {
		if p > 1 {
			return nil
		}
		<-ctx.Done()
		return ctx.Err()
	}
	cfg := nodeConfig("slow", prefix, partitions, ep, c)
	cfg.Workers = 2
	n := startNode(t, cfg)
	eventually(t, func() bool { return len(n.l.Held()) == partitions-2 }, func() string { return assignment([]*node{n}) })
	if got := partitionsOf(n.l.Held()); got[0] != 2 {
		t.Errorf("held %v, want 2-15 (0 and 1 cannot get an epoch)", got)
	}
	// A failed acquisition unlocks what it locked, even when it fails
	// because Run stops: once Run has returned, 0 and 1 are not locked.
	n.kill()
	for _, p := range []int{0, 1} {
		if v := c.Get(t.Context(), fmt.Sprintf("%spartition:%d", prefix, p)).Val(); v != "" {
			t.Errorf("partition %d is locked (%q) though no epoch was ever given for it", p, v)
		}
	}
}

// TestLeaseDeadlineFollowsTheHoldersClock drives a Leaser by hand with a
// fake clock: the deadline is the instant before the lock call plus TTL
// minus Drift, an extension moves it, and the lease is lost exactly when
// the clock passes it.
func TestLeaseDeadlineFollowsTheHoldersClock(t *testing.T) {
	t.Parallel()
	const partitions = 4
	const ttl = 10 * time.Second // real Redis keys must outlive the test's steps
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	l, err := cluster.NewLeaser(cluster.LeaserConfig{
		Clients: []redis.UniversalClient{c}, Prefix: prefix, NodeID: "f", Partitions: partitions,
		TTL: ttl, Epochs: newEpochs(), Clock: clk, Logger: testLogger(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release(context.Background()) })
	ctx := t.Context()
	drift := ttl/50 + 5*time.Millisecond // the default

	l.StepForTest(ctx)
	held := l.Held()
	if len(held) != partitions {
		t.Fatalf("held %v after a step, want all %d", partitionsOf(held), partitions)
	}
	if !closed(l.Changes()) {
		t.Error("acquisitions did not signal Changes")
	}
	deadline := start.Add(ttl - drift)
	for _, ls := range held {
		if got := ls.(deadliner).Deadline(); !got.Equal(deadline) {
			t.Errorf("partition %d deadline %v, want start + TTL - Drift = %v", ls.Partition(), got, deadline)
		}
		if !ls.Valid(deadline.Add(-time.Nanosecond)) || ls.Valid(deadline) {
			t.Errorf("partition %d: Valid must hold just before the deadline and fail at it", ls.Partition())
		}
	}

	// An extension a third of the TTL later moves the deadline.
	clk.Advance(ttl / 3)
	l.StepForTest(ctx)
	extended := start.Add(ttl/3 + ttl - drift)
	for _, ls := range held {
		if got := ls.(deadliner).Deadline(); !got.Equal(extended) {
			t.Errorf("partition %d deadline %v after extension, want %v", ls.Partition(), got, extended)
		}
	}
	// The first deadline passes harmlessly ...
	clk.Set(deadline)
	for _, ls := range held {
		if closed(ls.Lost()) || !ls.Valid(clk.Now()) {
			t.Fatalf("partition %d lost at its old deadline despite the extension", ls.Partition())
		}
	}
	// ... the extended one, with no extension since, ends the leases.
	clk.Set(extended)
	for _, ls := range held {
		if !closed(ls.Lost()) || ls.Valid(clk.Now()) {
			t.Errorf("partition %d not lost at its deadline", ls.Partition())
		}
	}
	if got := l.Held(); len(got) != 0 {
		t.Errorf("Held after the deadline = %v, want none", partitionsOf(got))
	}
	if st := l.Stats(); st.Lost != partitions || st.Held != 0 {
		t.Errorf("stats %+v, want %d lost and none held", st, partitions)
	}
}

// starvedClock is a fake clock whose AfterFunc timers never run, as when
// the goroutine that would declare a lease lost at its deadline is not
// scheduled in time: only an extension decides the lease's fate.
type starvedClock struct{ *clock.Fake }

func (starvedClock) AfterFunc(time.Duration, func()) clock.Timer { return idleTimer{} }

type idleTimer struct{}

func (idleTimer) C() <-chan time.Time      { return nil }
func (idleTimer) Stop() bool               { return false }
func (idleTimer) Reset(time.Duration) bool { return false }

// TestLeaseExtendedPastItsDeadline: an extension that lands after the
// holder's deadline, while Redis still held the key for it (within Drift),
// keeps the same lease, which is valid again and was never lost; one that
// lands later, when the key may have expired and changed hands meanwhile,
// ends the lease even though Redis accepted it, and the partition is
// acquired again under a new epoch.
func TestLeaseExtendedPastItsDeadline(t *testing.T) {
	t.Parallel()
	const partitions = 2
	const ttl = 10 * time.Second // real Redis keys must outlive the test's steps
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := starvedClock{clock.NewFake(start)}
	l, err := cluster.NewLeaser(cluster.LeaserConfig{
		Clients: []redis.UniversalClient{c}, Prefix: prefix, NodeID: "f", Partitions: partitions,
		TTL: ttl, Epochs: newEpochs(), Clock: clk, Logger: testLogger(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release(context.Background()) })
	ctx := t.Context()
	drift := ttl/50 + 5*time.Millisecond // the default

	l.StepForTest(ctx)
	held := l.Held()
	if len(held) != partitions {
		t.Fatalf("held %v after a step, want all %d", partitionsOf(held), partitions)
	}
	// Past the deadline, within Drift: not valid, not lost either.
	clk.Set(held[0].(deadliner).Deadline().Add(drift / 2))
	for _, ls := range held {
		if ls.Valid(clk.Now()) || closed(ls.Lost()) {
			t.Fatalf("partition %d: valid %v, lost %v past its deadline with no expiry run; want neither", ls.Partition(), ls.Valid(clk.Now()), closed(ls.Lost()))
		}
	}
	l.StepForTest(ctx) // the extension lands
	for _, ls := range held {
		if !ls.Valid(clk.Now()) || closed(ls.Lost()) {
			t.Errorf("partition %d: an extension within Drift of the deadline did not keep the lease (valid %v, lost %v)", ls.Partition(), ls.Valid(clk.Now()), closed(ls.Lost()))
		}
	}
	if got := l.Held(); len(got) != partitions || got[0] != held[0] {
		t.Fatalf("Held after the late extension = %v; want the same leases", partitionsOf(got))
	}

	// Past the new deadline by more than Drift: the extension Redis
	// accepts ends the lease all the same.
	clk.Set(held[0].(deadliner).Deadline().Add(2 * drift))
	l.StepForTest(ctx)
	for _, ls := range held {
		if ls.Valid(clk.Now()) || !closed(ls.Lost()) {
			t.Errorf("partition %d: an extension landing %v past the deadline kept the lease; want it lost", ls.Partition(), 2*drift)
		}
	}
	if st := l.Stats(); st.Lost != partitions {
		t.Errorf("stats %+v, want %d lost", st, partitions)
	}
	// The node unlocks and acquires the partitions again, under new epochs.
	for range 3 {
		l.StepForTest(ctx)
	}
	again := l.Held()
	if len(again) != partitions {
		t.Fatalf("held %v after the loss, want all %d again", partitionsOf(again), partitions)
	}
	for i, ls := range again {
		if ls.Epoch() <= held[i].Epoch() {
			t.Errorf("partition %d acquired again at epoch %d, want more than %d", ls.Partition(), ls.Epoch(), held[i].Epoch())
		}
	}
}

func TestLeaserConfigErrors(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: sharedRedisAddr})
	defer c.Close()
	clients := []redis.UniversalClient{c}
	m, err := cluster.NewMembership(cluster.MembershipConfig{Clients: clients, NodeID: "m"})
	if err != nil {
		t.Fatal(err)
	}
	ep := newEpochs()
	for name, cfg := range map[string]cluster.LeaserConfig{
		"no epochs":             {Clients: clients, NodeID: "a"},
		"no clients":            {NodeID: "a", Epochs: ep},
		"no node ID":            {Clients: clients, Epochs: ep},
		"node ID differs":       {Membership: m, NodeID: "other", Epochs: ep},
		"prefix differs":        {Membership: m, Prefix: "x:", Epochs: ep},
		"drift too large":       {Clients: clients, NodeID: "a", Epochs: ep, TTL: time.Second, Drift: 600 * time.Millisecond},
		"call timeout too long": {Clients: clients, NodeID: "a", Epochs: ep, TTL: time.Second, CallTimeout: 500 * time.Millisecond},
		"negative TTL":          {Clients: clients, NodeID: "a", Epochs: ep, TTL: -1},
	} {
		if _, err := cluster.NewLeaser(cfg); err == nil {
			t.Errorf("%s: NewLeaser succeeded, want an error", name)
		}
	}
	l, err := cluster.NewLeaser(cluster.LeaserConfig{Membership: m, Epochs: ep})
	if err != nil {
		t.Fatalf("a Leaser from a Membership alone: %v", err)
	}
	if l.Partitions() != engine.DefaultPartitions || l.Membership() != m {
		t.Errorf("defaults: %d partitions, membership %p; want %d and %p", l.Partitions(), l.Membership(), engine.DefaultPartitions, m)
	}
}

func TestNewRedisClients(t *testing.T) {
	if _, err := cluster.NewRedisClients(nil); err == nil {
		t.Error("no URLs: want an error")
	}
	_, err := cluster.NewRedisClients([]string{"redis://127.0.0.1:6379", "http://user:s3cret@host"})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "#2") {
		t.Errorf("bad second URL: err %v, want one naming URL #2 without its password", err)
	}
	clients, err := cluster.NewRedisClients([]string{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6380"})
	if err != nil || len(clients) != 2 {
		t.Fatalf("NewRedisClients = %d clients, %v", len(clients), err)
	}
	for _, c := range clients {
		_ = c.Close()
	}
}
