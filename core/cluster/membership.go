package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/core/clock"
)

// DefaultTTL is how long a heartbeat keeps a node live, and how long a
// partition lease lasts without being extended, unless configured.
const DefaultTTL = 10 * time.Second

// The membership's errors.
var (
	// ErrNotJoined is what Membership.Err returns before the first
	// heartbeat round has ended.
	ErrNotJoined = errors.New("cluster: this node has not sent a heartbeat yet")
	// ErrLeft is what Membership.Err returns after Leave.
	ErrLeft = errors.New("cluster: this node has left the cluster")
)

// NodeInfo is what a node says of itself in each heartbeat, and what
// Members returns for each live node.
type NodeInfo struct {
	// ID names the node, unique in the cluster.
	ID string `json:"id"`
	// Addr is the node's advertised API address, if configured.
	Addr string `json:"addr,omitempty"`
	// Version is the version of the node's binary, if configured.
	Version string `json:"version,omitempty"`
	// StartedAt is when the node started.
	StartedAt time.Time `json:"started_at"`
	// HeartbeatAt is when the node sent this heartbeat, by its own clock.
	HeartbeatAt time.Time `json:"heartbeat_at"`
	// PartitionsHeld is the number of partition leases the node held then.
	PartitionsHeld int `json:"partitions_held"`
	// Running is the number of executions running on the node then.
	Running int `json:"running"`
}

// MembershipConfig configures a Membership.
type MembershipConfig struct {
	// Clients are the Redis servers, one client per independent server
	// (see NewRedisClients). A node is live when its heartbeat is on a
	// majority of them. Required.
	Clients []redis.UniversalClient
	// Prefix begins every key. Defaults to DefaultPrefix.
	Prefix string
	// NodeID names this node, unique in the cluster. Required.
	NodeID string
	// Addr is the advertised API address, shown to other nodes and the
	// UI. Defaults to none.
	Addr string
	// Version is the version of the binary. Defaults to none.
	Version string
	// StartedAt is when the node started. Defaults to the clock's Now when
	// NewMembership is called.
	StartedAt time.Time
	// TTL is how long one heartbeat keeps the node live; a heartbeat is
	// sent every TTL/5. Defaults to DefaultTTL.
	TTL time.Duration
	// CallTimeout bounds each round of Redis calls (all servers at once).
	// Defaults to TTL/10.
	CallTimeout time.Duration
	// Running reports the executions running on this node, for
	// NodeInfo.Running. Defaults to none (0).
	Running func() int
	// Clock is the time source. Defaults to clock.Real().
	Clock clock.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Membership tells the cluster that this node is alive, and tells this
// node which others are.
//
// Each heartbeat, every TTL/5, writes the node's NodeInfo as JSON to
// <prefix>node:<id> with an expiry of TTL, and adds the ID to the sorted
// set <prefix>nodes scored by the heartbeat's time, on every Redis server
// at once. A node is live while its key exists on a majority of the
// servers: liveness is Redis's expiry, so clock skew between nodes cannot
// make a node look dead. The sorted set is only the index that Members
// reads instead of SCANning the keyspace; Members drops from it the IDs
// whose key has expired and whose score is older than TTL.
//
// Run sends the heartbeats (a Leaser's Run does it for the Membership it
// uses); Leave stops them and deletes the key, so that the others see the
// node gone at once. All methods are safe for concurrent use.
type Membership struct {
	cfg    MembershipConfig
	log    *slog.Logger
	quorum int

	// held reports the partitions held, for NodeInfo.PartitionsHeld; the
	// Leaser using this Membership sets it.
	held    atomic.Pointer[func() int]
	running atomic.Bool // Run is running

	// hbMu serialises heartbeat rounds and Leave, so that no heartbeat
	// writes the key again after Leave deleted it.
	hbMu   sync.Mutex
	left   bool
	leftCh chan struct{} // closed by Leave

	mu       sync.Mutex
	live     []NodeInfo // as of the last Members that reached a quorum
	lastOK   time.Time  // start of the last heartbeat round that reached a quorum
	lastErr  error      // of the last round; nil if it reached a quorum
	rounds   int        // heartbeat rounds ended
	reported bool       // a lost quorum was logged and not yet its recovery
}

// NewMembership returns a Membership. It does not touch Redis: Run sends
// the first heartbeat.
func NewMembership(cfg MembershipConfig) (*Membership, error) {
	if len(cfg.Clients) == 0 {
		return nil, errors.New("cluster: MembershipConfig.Clients is empty (give one client per Redis server; see NewRedisClients)")
	}
	if cfg.NodeID == "" {
		return nil, errors.New("cluster: MembershipConfig.NodeID is empty (every node needs a unique ID)")
	}
	if cfg.TTL < 0 || cfg.CallTimeout < 0 {
		return nil, fmt.Errorf("cluster: MembershipConfig TTL %v and CallTimeout %v must not be negative", cfg.TTL, cfg.CallTimeout)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = cfg.TTL / 10
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StartedAt.IsZero() {
		cfg.StartedAt = cfg.Clock.Now()
	}
	cfg.Clients = slices.Clone(cfg.Clients)
	return &Membership{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "membership", "node", cfg.NodeID),
		quorum: quorumOf(len(cfg.Clients)),
		leftCh: make(chan struct{}),
	}, nil
}

// NodeID returns this node's ID.
func (m *Membership) NodeID() string { return m.cfg.NodeID }

// TTL returns how long one heartbeat keeps this node live.
func (m *Membership) TTL() time.Duration { return m.cfg.TTL }

// Run sends a heartbeat at once and then every TTL/5 until ctx ends or
// Leave is called; it returns nil then. A failed heartbeat is recorded (see
// Err) and retried at the next interval. It does not delete the node's key
// when ctx ends: the key expires after TTL, as a crashed node's would; call
// Leave for that. A Leaser runs its Membership itself: do not also call Run
// then. Run returns an error if it is already running.
func (m *Membership) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("cluster: Membership.Run is already running (a Leaser runs the Membership it is given; do not also run it)")
	}
	defer m.running.Store(false)
	m.loop(ctx, 0)
	return nil
}

// loop sends heartbeats, the first after first, until ctx ends or Leave.
func (m *Membership) loop(ctx context.Context, first time.Duration) {
	t := m.cfg.Clock.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.leftCh:
			return
		case <-t.C():
		}
		_ = m.heartbeat(ctx)
		t.Reset(m.interval())
	}
}

// interval is the time between heartbeats.
func (m *Membership) interval() time.Duration { return m.cfg.TTL / 5 }

// heartbeat sends one heartbeat to every server and records whether a
// quorum took it.
func (m *Membership) heartbeat(ctx context.Context) error {
	m.hbMu.Lock()
	defer m.hbMu.Unlock()
	if m.left {
		return ErrLeft
	}
	start := m.cfg.Clock.Now()
	info := NodeInfo{
		ID: m.cfg.NodeID, Addr: m.cfg.Addr, Version: m.cfg.Version,
		StartedAt: m.cfg.StartedAt, HeartbeatAt: start,
	}
	if held := m.held.Load(); held != nil {
		info.PartitionsHeld = (*held)()
	}
	if m.cfg.Running != nil {
		info.Running = m.cfg.Running()
	}
	data, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("cluster: encoding the heartbeat: %w", err)
	}
	key, index := nodeKey(m.cfg.Prefix, m.cfg.NodeID), nodesKey(m.cfg.Prefix)
	score := float64(start.UnixMilli())
	cctx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	defer cancel()
	errs := eachClient(cctx, m.cfg.Clients, func(ctx context.Context, _ int, c redis.UniversalClient) error {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, data, m.cfg.TTL)
			p.ZAdd(ctx, index, redis.Z{Score: score, Member: m.cfg.NodeID})
			return nil
		})
		return err
	})
	ok := succeeded(errs)
	if ok < m.quorum && ctx.Err() != nil {
		return ctx.Err() // stopping: not a verdict on Redis
	}
	if ok >= m.quorum {
		err = nil
	} else {
		err = fmt.Errorf("cluster: heartbeat reached %d of %d Redis servers, need %d: %w", ok, len(errs), m.quorum, errors.Join(errs...))
	}
	m.record(start, err)
	return err
}

// record ends a heartbeat round that began at start, logging when the
// quorum is lost or regained.
func (m *Membership) record(start time.Time, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rounds++
	m.lastErr = err
	if err == nil {
		m.lastOK = start
		if m.reported {
			m.reported = false
			m.log.Info("Redis quorum regained; heartbeats reach a majority again")
		}
		return
	}
	if !m.reported {
		m.reported = true
		m.log.Warn("Redis quorum lost: heartbeats do not reach a majority; partition leases lapse within the TTL unless it returns",
			"ttl", m.cfg.TTL, "err", err)
	}
}

// Healthy reports whether this node counts itself live: a heartbeat that
// began less than TTL ago reached a quorum (so its key still exists on a
// majority), and it has not left.
func (m *Membership) Healthy() bool {
	m.mu.Lock()
	lastOK := m.lastOK
	m.mu.Unlock()
	if lastOK.IsZero() || m.hasLeft() {
		return false
	}
	return m.cfg.Clock.Now().Before(lastOK.Add(m.cfg.TTL))
}

// QuorumLost reports whether the last heartbeat round reached fewer than a
// majority of the Redis servers. It is false before the first round ends.
// While it is true the node's partition leases cannot be extended, so they
// lapse, and firing stops, within the TTL.
func (m *Membership) QuorumLost() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rounds > 0 && m.lastErr != nil
}

// Err returns nil when the last heartbeat round reached a quorum of the
// Redis servers; otherwise why this node is not a healthy member:
// ErrNotJoined before the first round ends, ErrLeft after Leave, or the
// error of the last round. A readiness check can fail on it.
func (m *Membership) Err() error {
	if m.hasLeft() {
		return ErrLeft
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rounds == 0 {
		return ErrNotJoined
	}
	return m.lastErr
}

func (m *Membership) hasLeft() bool {
	select {
	case <-m.leftCh:
		return true
	default:
		return false
	}
}

// Leave stops the heartbeats and deletes this node's key and index entry
// from every server, so that the other nodes see it gone at their next
// look instead of after TTL. It returns an error if fewer than a quorum of
// servers took the deletion (the key then expires after TTL). It is safe
// to call more than once; later calls do nothing.
func (m *Membership) Leave(ctx context.Context) error {
	m.hbMu.Lock()
	defer m.hbMu.Unlock()
	if m.left {
		return nil
	}
	m.left = true
	close(m.leftCh)
	key, index := nodeKey(m.cfg.Prefix, m.cfg.NodeID), nodesKey(m.cfg.Prefix)
	cctx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	defer cancel()
	errs := eachClient(cctx, m.cfg.Clients, func(ctx context.Context, _ int, c redis.UniversalClient) error {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, key)
			p.ZRem(ctx, index, m.cfg.NodeID)
			return nil
		})
		return err
	})
	if ok := succeeded(errs); ok < m.quorum {
		return fmt.Errorf("cluster: leaving: deleted the heartbeat on %d of %d Redis servers (it expires after %v): %w", ok, len(errs), m.cfg.TTL, errors.Join(errs...))
	}
	return nil
}

// Members returns the live nodes, ordered by ID: those whose heartbeat key
// exists on a majority of the Redis servers, each with the NodeInfo of its
// latest heartbeat. It includes this node once its heartbeat has landed.
// It returns an error if fewer than a majority of the servers answered;
// the servers are asked at once, and CallTimeout bounds the wait.
func (m *Membership) Members(ctx context.Context) ([]NodeInfo, error) {
	cctx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	defer cancel()
	views := make([]map[string]NodeInfo, len(m.cfg.Clients))
	errs := eachClient(cctx, m.cfg.Clients, func(ctx context.Context, i int, c redis.UniversalClient) error {
		v, err := m.view(ctx, c)
		views[i] = v
		return err
	})
	if ok := succeeded(errs); ok < m.quorum {
		return nil, fmt.Errorf("cluster: listing members: %d of %d Redis servers answered, need %d: %w", ok, len(errs), m.quorum, errors.Join(errs...))
	}
	count := map[string]int{}
	latest := map[string]NodeInfo{}
	for i, v := range views {
		if errs[i] != nil {
			continue
		}
		for id, info := range v {
			count[id]++
			if old, ok := latest[id]; !ok || info.HeartbeatAt.After(old.HeartbeatAt) {
				latest[id] = info
			}
		}
	}
	live := make([]NodeInfo, 0, len(latest))
	for id, info := range latest {
		if count[id] >= m.quorum {
			live = append(live, info)
		}
	}
	slices.SortFunc(live, func(a, b NodeInfo) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	m.mu.Lock()
	m.live = live
	m.mu.Unlock()
	return slices.Clone(live), nil
}

// view reads one server's live nodes: the index, then each indexed node's
// key. Index entries whose key has expired and whose score is older than
// TTL are removed; the age check keeps a node that re-joined between the
// two reads (its score is fresh) in the index.
func (m *Membership) view(ctx context.Context, c redis.UniversalClient) (map[string]NodeInfo, error) {
	index := nodesKey(m.cfg.Prefix)
	entries, err := c.ZRangeWithScores(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[string]NodeInfo, len(entries))
	if len(entries) == 0 {
		return out, nil
	}
	gets := make([]*redis.StringCmd, len(entries))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range entries {
			gets[i] = p.Get(ctx, nodeKey(m.cfg.Prefix, fmt.Sprint(e.Member)))
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	staleBefore := float64(m.cfg.Clock.Now().Add(-m.cfg.TTL).UnixMilli())
	var stale []any
	for i, e := range entries {
		id := fmt.Sprint(e.Member)
		data, err := gets[i].Bytes()
		if errors.Is(err, redis.Nil) {
			if e.Score < staleBefore {
				stale = append(stale, id)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		var info NodeInfo
		if err := json.Unmarshal(data, &info); err != nil || info.ID != id {
			m.log.Warn("ignoring a malformed heartbeat", "key", nodeKey(m.cfg.Prefix, id), "err", err)
			continue
		}
		out[id] = info
	}
	if len(stale) > 0 {
		// Best effort: the next look tries again.
		_ = c.ZRem(ctx, index, stale...).Err()
	}
	return out, nil
}

// Live returns the live nodes found by the last Members call that reached
// a quorum, without asking Redis. A Leaser's Run calls Members every TTL/5.
func (m *Membership) Live() []NodeInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.live)
}

// setHeld makes held the source of NodeInfo.PartitionsHeld.
func (m *Membership) setHeld(held func() int) { m.held.Store(&held) }
