package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/core/cluster"
)

// memberIDs returns the IDs of nodes.
func memberIDs(nodes []cluster.NodeInfo) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.ID
	}
	return out
}

// runMembership runs m until the returned stop is called (or cleanup).
func runMembership(t *testing.T, m *cluster.Membership) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Run(ctx); err != nil {
			t.Errorf("Membership.Run: %v", err)
		}
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

func TestMembershipHeartbeatsAndLeaves(t *testing.T) {
	t.Parallel()
	c := sharedRedis(t)
	prefix := testPrefix(t, c)
	ctx := t.Context()
	newMember := func(id string, running int) *cluster.Membership {
		m, err := cluster.NewMembership(cluster.MembershipConfig{
			Clients: []redis.UniversalClient{c}, Prefix: prefix, NodeID: id,
			Addr: id + ".example:8080", Version: "v1.2.3", TTL: testTTL,
			Running: func() int { return running }, Logger: testLogger(nil),
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := newMember("a", 3), newMember("b", 0)
	if err := a.Err(); !errors.Is(err, cluster.ErrNotJoined) {
		t.Fatalf("Err before the first heartbeat = %v, want ErrNotJoined", err)
	}
	runMembership(t, a)
	stopB := runMembership(t, b)

	var members []cluster.NodeInfo
	eventually(t, func() bool {
		var err error
		members, err = a.Members(ctx)
		return err == nil && fmt.Sprint(memberIDs(members)) == "[a b]"
	}, func() string { return fmt.Sprintf("members %v, want [a b]", memberIDs(members)) })
	info := members[0]
	if info.Addr != "a.example:8080" || info.Version != "v1.2.3" || info.Running != 3 || info.StartedAt.IsZero() || info.HeartbeatAt.IsZero() {
		t.Errorf("a's NodeInfo = %+v, want its address, version, 3 running and times", info)
	}
	if got := memberIDs(a.Live()); fmt.Sprint(got) != "[a b]" {
		t.Errorf("Live after Members = %v, want [a b]", got)
	}
	if err := a.Err(); err != nil || a.QuorumLost() || !a.Healthy() {
		t.Errorf("a: Err %v, QuorumLost %v, Healthy %v; want nil, false, true", err, a.QuorumLost(), a.Healthy())
	}
	raw, err := c.Get(ctx, prefix+"node:a").Bytes()
	if err != nil {
		t.Fatalf("reading the heartbeat key %snode:a: %v", prefix, err)
	}
	var decoded cluster.NodeInfo
	if err := json.Unmarshal(raw, &decoded); err != nil || decoded.ID != "a" {
		t.Fatalf("the heartbeat key holds %s (%v), want NodeInfo JSON of a", raw, err)
	}
	if ttl := c.PTTL(ctx, prefix+"node:a").Val(); ttl <= 0 || ttl > testTTL {
		t.Errorf("heartbeat key TTL = %v, want within (0, %v]", ttl, testTTL)
	}

	// Leave: gone at once, for the others too.
	if err := a.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Leave(ctx); err != nil {
		t.Fatalf("second Leave: %v", err)
	}
	if err := a.Err(); !errors.Is(err, cluster.ErrLeft) {
		t.Errorf("Err after Leave = %v, want ErrLeft", err)
	}
	members, err = b.Members(ctx)
	if err != nil || fmt.Sprint(memberIDs(members)) != "[b]" {
		t.Fatalf("members after a left = %v (%v), want [b]", memberIDs(members), err)
	}

	// Death: b stops heartbeating; its key expires after TTL and the
	// index forgets it.
	stopB()
	eventually(t, func() bool {
		members, err = a.Members(ctx)
		return err == nil && len(members) == 0 && c.ZCard(ctx, prefix+"nodes").Val() == 0
	}, func() string {
		return fmt.Sprintf("members %v and index size %d after b stopped, want none", memberIDs(members), c.ZCard(ctx, prefix+"nodes").Val())
	})
}

func TestMembershipNeedsMajority(t *testing.T) {
	t.Parallel()
	servers := []*redisServer{startRedisServer(t), startRedisServer(t), startRedisServer(t)}
	clients := make([]redis.UniversalClient, len(servers))
	for i, s := range servers {
		clients[i] = s.client()
	}
	prefix := testPrefix(t, clients...)
	ctx := t.Context()
	m, err := cluster.NewMembership(cluster.MembershipConfig{
		Clients: clients, Prefix: prefix, NodeID: "self", TTL: testTTL, CallTimeout: testCallTimeout, Logger: testLogger(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	runMembership(t, m)

	// A node whose heartbeat is on one server of three is not live; on
	// two, it is.
	ghost, _ := json.Marshal(cluster.NodeInfo{ID: "ghost", HeartbeatAt: time.Now()})
	plant := func(c redis.UniversalClient) {
		t.Helper()
		if err := c.Set(ctx, prefix+"node:ghost", ghost, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.ZAdd(ctx, prefix+"nodes", redis.Z{Score: float64(time.Now().UnixMilli()), Member: "ghost"}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	plant(clients[0])
	var members []cluster.NodeInfo
	eventually(t, func() bool {
		members, err = m.Members(ctx)
		return err == nil && fmt.Sprint(memberIDs(members)) == "[self]"
	}, func() string {
		return fmt.Sprintf("members %v (%v), want [self] (ghost is on 1 of 3)", memberIDs(members), err)
	})
	plant(clients[1])
	if members, err = m.Members(ctx); err != nil || fmt.Sprint(memberIDs(members)) != "[ghost self]" {
		t.Fatalf("members %v (%v), want [ghost self] (ghost is on 2 of 3)", memberIDs(members), err)
	}

	// One server down: still a majority.
	servers[0].kill()
	if members, err = m.Members(ctx); err != nil || fmt.Sprint(memberIDs(members)) != "[self]" {
		t.Fatalf("with 1 of 3 servers down: members %v (%v), want [self] (ghost is left on 1 of 2)", memberIDs(members), err)
	}
	// Two down: no majority; Members fails, and the heartbeat says so.
	servers[1].kill()
	if _, err := m.Members(ctx); err == nil {
		t.Fatal("Members with 2 of 3 servers down succeeded, want an error")
	}
	if got := memberIDs(m.Live()); fmt.Sprint(got) != "[self]" {
		t.Errorf("Live after a failed Members = %v, want the last set read, [self]", got)
	}
	eventually(t, m.QuorumLost, func() string { return "QuorumLost stayed false with 2 of 3 servers down" })
	if m.Err() == nil {
		t.Error("Err is nil with the quorum lost")
	}
	servers[0].start()
	eventually(t, func() bool { return !m.QuorumLost() && m.Err() == nil }, func() string {
		return fmt.Sprintf("quorum not regained with 2 of 3 servers up: %v", m.Err())
	})
}

func TestMembershipConfigErrors(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: sharedRedisAddr})
	defer c.Close()
	for name, cfg := range map[string]cluster.MembershipConfig{
		"no clients":   {NodeID: "a"},
		"no node ID":   {Clients: []redis.UniversalClient{c}},
		"negative TTL": {Clients: []redis.UniversalClient{c}, NodeID: "a", TTL: -time.Second},
	} {
		if _, err := cluster.NewMembership(cfg); err == nil {
			t.Errorf("%s: NewMembership succeeded, want an error", name)
		}
	}
}
