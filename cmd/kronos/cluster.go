package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core/cluster"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
)

// Clock skew bounds of cluster mode: past skewWarn the node warns, past
// skewRefuse it refuses to start, or stops if it drifts there while
// running (its leases are then released and other nodes fire its
// partitions). Each node fires its partitions' instants by its own clock,
// so skew moves fires early or late by that much; the leases themselves
// are reckoned in durations on the holder's clock and do not depend on it.
const (
	skewWarn       = 500 * time.Millisecond
	skewRefuse     = 5 * time.Second
	skewCheckEvery = 30 * time.Second
)

// clusterNode is what cluster mode adds to a node: the Redis clients, the
// membership, the leaser.
type clusterNode struct {
	clients    []redis.UniversalClient
	membership *cluster.Membership
	leaser     *cluster.Leaser
	partitions int
}

// startCluster connects to Redis, fixes the cluster's partition count in
// the store, and prepares this node's membership and leaser (Run starts
// them).
func startCluster(ctx context.Context, cfg Config, st store.Store, nodeID, addr string, started time.Time, running func() int, log *slog.Logger) (*clusterNode, error) {
	clients, err := cluster.NewRedisClients(cfg.Redis)
	if err != nil {
		return nil, err
	}
	n := &clusterNode{clients: clients}
	if err := n.checkSkew(ctx, st, log, true); err != nil {
		n.close()
		return nil, err
	}
	if n.partitions, err = st.PartitionsInit(ctx, cfg.Partitions); err != nil {
		n.close()
		return nil, fmt.Errorf("cluster: fix the partition count in the store: %w", err)
	}
	if n.partitions != cfg.Partitions {
		log.Warn("the cluster was created with another partition count; using the cluster's", "cluster", n.partitions, "flag", cfg.Partitions)
	}
	n.membership, err = cluster.NewMembership(cluster.MembershipConfig{
		Clients: clients, Prefix: cfg.RedisPrefix, NodeID: nodeID, Addr: addr, Version: version,
		StartedAt: started, TTL: cfg.LeaseTTL, Running: running, Logger: log,
	})
	if err != nil {
		n.close()
		return nil, err
	}
	n.leaser, err = cluster.NewLeaser(cluster.LeaserConfig{
		Clients: clients, Prefix: cfg.RedisPrefix, NodeID: nodeID, Partitions: n.partitions, TTL: cfg.LeaseTTL,
		Epochs: st, Membership: n.membership, Logger: log,
	})
	if err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

func (n *clusterNode) close() {
	for _, c := range n.clients {
		_ = c.Close()
	}
}

// ready fails while this node is not a healthy member: Redis down or its
// quorum lost (its leases lapse within the TTL, so it fires nothing).
func (n *clusterNode) ready() error {
	if err := n.membership.Err(); err != nil {
		return fmt.Errorf("cluster membership: %w", err)
	}
	return nil
}

// Nodes lists the live nodes for the API.
func (n *clusterNode) Nodes(ctx context.Context) ([]api.ClusterNode, error) {
	members, err := n.membership.Members(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]api.ClusterNode, len(members))
	for i, m := range members {
		out[i] = api.ClusterNode{
			ID: m.ID, Address: m.Addr, Version: m.Version, StartedAt: m.StartedAt, HeartbeatAt: m.HeartbeatAt,
			Partitions: m.PartitionsHeld, Running: m.Running,
		}
	}
	return out, nil
}

// errSkew stops a node whose clock drifted too far from the cluster's.
var errSkew = errors.New("clock skew")

// checkSkew compares this node's clock with the store's and each Redis
// server's (half the round trip allowed for), warns past skewWarn and
// fails past skewRefuse.
func (n *clusterNode) checkSkew(ctx context.Context, st store.Store, log *slog.Logger, atStart bool) error {
	type reading struct {
		what string
		skew time.Duration
	}
	var readings []reading
	measure := func(what string, read func(context.Context) (time.Time, error)) {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		before := time.Now()
		theirs, err := read(cctx)
		after := time.Now()
		if err != nil {
			log.Warn("read a clock for the skew check", "of", what, "err", err)
			return
		}
		mid := before.Add(after.Sub(before) / 2)
		readings = append(readings, reading{what, mid.Sub(theirs)})
	}
	measure("the store", st.ServerTime)
	for i, c := range n.clients {
		measure("redis #"+strconv.Itoa(i+1), func(ctx context.Context) (time.Time, error) { return c.Time(ctx).Result() })
	}
	for _, r := range readings {
		abs := r.skew.Abs()
		switch {
		case abs > skewRefuse:
			return fmt.Errorf("%w: this node's clock is %s off %s, past the %s this node accepts: fix its time (NTP) and start it again",
				errSkew, r.skew.Round(time.Millisecond), r.what, skewRefuse)
		case abs > skewWarn:
			log.Warn("this node's clock is off; its fires will be off by as much", "of", r.what, "skew", r.skew.Round(time.Millisecond), "warn_past", skewWarn)
		case atStart:
			log.Debug("clock skew checked", "of", r.what, "skew", r.skew.Round(time.Millisecond))
		}
	}
	return nil
}

// watchSkew checks the skew every skewCheckEvery until ctx ends, and
// returns an error (stopping the node) once it is past skewRefuse.
func (n *clusterNode) watchSkew(ctx context.Context, st store.Store, log *slog.Logger) error {
	t := time.NewTicker(skewCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := n.checkSkew(ctx, st, log, false); err != nil {
				return err
			}
		}
	}
}

// advertiseAddr is the API URL this node shows to the others:
// --advertise-addr, else http(s)://<hostname>:<port>.
func advertiseAddr(cfg Config, ln net.Addr, tls bool) string {
	if cfg.AdvertiseAddr != "" {
		return cfg.AdvertiseAddr
	}
	_, port, _ := net.SplitHostPort(ln.String())
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// redisLogger sends go-redis's own messages (a failed dial, a pool
// event) to the node's log at debug: the cluster logs what they mean.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...))
}

// sweepEvery is how often, in lease TTLs, a node looks for executions
// left running by nodes that are gone.
const sweepEvery = 2

// sweepOrphans settles, every sweepEvery TTLs, the executions still
// running on nodes that are no longer live (they died, or were paused past
// their TTL) in the partitions this node holds: the engine records them
// interrupted and retries them by their tasks' retry policies
// (engine.SweepGone).
func (n *clusterNode) sweepOrphans(ctx context.Context, eng *engine.Engine, ttl time.Duration, log *slog.Logger) error {
	t := time.NewTicker(sweepEvery * ttl)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		members, err := n.membership.Members(ctx)
		if err != nil {
			continue // no quorum: the live set is unknown
		}
		live := map[string]bool{}
		for _, m := range members {
			live[m.ID] = true
		}
		swept, err := eng.SweepGone(ctx, func(node string) bool { return live[node] }, time.Now().Add(-sweepEvery*ttl))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("look for executions left running by nodes that are gone", "err", err)
		case swept > 0:
			log.Info("recorded executions left running by nodes that are gone as interrupted", "count", swept)
		}
	}
}
