package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redsync/redsync/v4"
	redsyncredis "github.com/go-redsync/redsync/v4/redis"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
)

// Leaser defaults.
const (
	// DefaultHandoffGrace is how long a partition handed off to a node that
	// joined stays locked after its lease became invalid, so that the
	// engine finishes what it was claiming before the new owner starts.
	DefaultHandoffGrace = time.Second
	// DefaultWorkers bounds the lock calls in flight at once, for
	// acquisitions and, separately, for extensions and unlocks. A call
	// lasts as long as the slowest Redis answers (up to CallTimeout when
	// one is unreachable), so the workers must extend every lease within
	// TTL/3 even then: 256 partitions × TTL/10 / 32 workers = 0.8 TTL
	// worst case, well within the TTL though above TTL/3; extensions then
	// run late but before the deadline.
	DefaultWorkers = 32
	// acquireRetry is how soon a partition this node should own, found
	// locked by another node, is tried again (at most a tick).
	acquireRetry = 250 * time.Millisecond
)

// EpochSource hands out fencing tokens: the store's partition epochs.
// store.Store implements it.
type EpochSource interface {
	// PartitionAcquire records holder as the partition's holder and
	// returns the partition's new epoch, greater than every epoch it
	// returned before for the partition, on any node.
	PartitionAcquire(ctx context.Context, partition int, holder string) (int64, error)
}

// LeaserConfig configures a Leaser.
type LeaserConfig struct {
	// Clients are the Redis servers, one client per independent server
	// (see NewRedisClients). Each partition's lock is a redsync mutex over
	// all of them, held when a majority took it (Redlock). Defaults to the
	// Membership's clients.
	Clients []redis.UniversalClient
	// Prefix begins every key. Defaults to the Membership's prefix, or
	// DefaultPrefix.
	Prefix string
	// NodeID names this node. Defaults to the Membership's node ID;
	// required without a Membership.
	NodeID string
	// Partitions is the number of partitions, the same on every node.
	// Defaults to engine.DefaultPartitions.
	Partitions int
	// TTL is how long a partition lock lasts in Redis without being
	// extended. Leases are extended every TTL/3, and the desired owners
	// recomputed every TTL/5. Defaults to DefaultTTL.
	TTL time.Duration
	// Drift is subtracted from each lease's deadline to allow for the
	// clocks of this node and the Redis servers running at different
	// rates, as Redlock does. Defaults to 2% of TTL plus 5ms.
	Drift time.Duration
	// HandoffGrace is how long a partition that another node should now
	// own stays locked after its lease became invalid, before it is
	// unlocked for the new owner. Defaults to DefaultHandoffGrace.
	HandoffGrace time.Duration
	// CallTimeout bounds each lock, extend and unlock call (all servers
	// at once) and each call to Epochs. Defaults to TTL/10.
	CallTimeout time.Duration
	// Workers bounds the acquisitions in flight at once, and separately
	// the extensions and unlocks, so that many partitions do not wait
	// one behind another on a slow server. Defaults to DefaultWorkers.
	Workers int
	// Epochs gives each acquisition its fencing token. Required.
	Epochs EpochSource
	// Membership tells which nodes are live. Run runs its heartbeats.
	// Defaults to a Membership built from Clients, Prefix, NodeID, TTL,
	// CallTimeout, Clock and Logger (with no Addr or Version).
	Membership *Membership
	// Clock reckons lease deadlines and paces the loop. Defaults to
	// clock.Real().
	Clock clock.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// LeaserStats is a snapshot of a Leaser, for metrics and the UI.
type LeaserStats struct {
	// Partitions is the number of partitions of the cluster.
	Partitions int
	// Held is the number of valid leases held now.
	Held int
	// Releasing is the number of partitions whose lease ended (handed
	// off, lost or released) and whose lock is not yet unlocked.
	Releasing int
	// Members is the number of live nodes at the last look, this one
	// included while it is healthy.
	Members int
	// Acquired, HandedOff and Lost count leases since the start: taken,
	// given to a new owner, and lost without being given up.
	Acquired, HandedOff, Lost uint64
	// QuorumLost is Leaser.QuorumLost.
	QuorumLost bool
}

// Leaser is the engine.Leaser of cluster mode: it holds the leases of the
// partitions that rendezvous hashing gives this node among the live ones,
// each a redsync mutex in Redis that it keeps extending. See the package
// documentation for the protocol.
//
// Run drives it; the engine reads Held and Changes; Release gives
// everything up at shutdown. All methods are safe for concurrent use.
type Leaser struct {
	cfg  LeaserConfig
	log  *slog.Logger
	m    *Membership
	rs   *redsync.Redsync
	opts []redsync.Option

	tick        time.Duration // how often the desired owners are recomputed
	extendEvery time.Duration // how long after a lock or extension to extend again
	retryEvery  time.Duration // how long after a failed extension to retry

	acquireSem  chan struct{} // bounds acquisitions in flight
	maintainSem chan struct{} // bounds extensions and unlocks in flight
	jobs        sync.WaitGroup
	wake        chan struct{} // nudges Run's loop
	changes     chan struct{}
	runActive   atomic.Bool

	mu           sync.Mutex
	slots        []slot // by partition
	desired      []bool // by partition: this node should own it
	members      int
	released     bool
	looping      bool // Run's loop is running, and logs the report
	flushPending bool // a report flush is armed (while not looping)
	rep          report
	lastErrLog   time.Time
	acquired     uint64
	handedOff    uint64
	lost         uint64
}

// slot is what the Leaser keeps of one partition.
type slot struct {
	// lease is the current holding: valid, or ended and waiting to be
	// unlocked. nil when the partition is neither held nor locked.
	lease *lease
	// busy is set while a job (acquire, extend, unlock) runs for the
	// partition; one at a time, so that a redsync.Mutex, which is not safe
	// for concurrent use, has one user.
	busy bool
	// retryAt, after an acquisition found the partition locked by another
	// node, is when to try again: sooner than the next tick, since the
	// holder may be handing it over or its lock about to expire.
	retryAt time.Time
}

// NewLeaser returns a Leaser holding nothing. It does not touch Redis:
// call Run.
func NewLeaser(cfg LeaserConfig) (*Leaser, error) {
	if cfg.Epochs == nil {
		return nil, errors.New("cluster: LeaserConfig.Epochs is nil (pass the store: it hands out the partition epochs that fence executions)")
	}
	if cfg.TTL < 0 || cfg.Drift < 0 || cfg.HandoffGrace < 0 || cfg.CallTimeout < 0 || cfg.Workers < 0 || cfg.Partitions < 0 {
		return nil, errors.New("cluster: LeaserConfig durations and counts must not be negative (leave a field zero for its default)")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = cfg.TTL / 10
	}
	if m := cfg.Membership; m != nil {
		switch {
		case cfg.NodeID == "":
			cfg.NodeID = m.cfg.NodeID
		case cfg.NodeID != m.cfg.NodeID:
			return nil, fmt.Errorf("cluster: LeaserConfig.NodeID %q differs from its Membership's %q (leave it empty to use the Membership's)", cfg.NodeID, m.cfg.NodeID)
		}
		switch {
		case cfg.Prefix == "":
			cfg.Prefix = m.cfg.Prefix
		case cfg.Prefix != m.cfg.Prefix:
			return nil, fmt.Errorf("cluster: LeaserConfig.Prefix %q differs from its Membership's %q (leave it empty to use the Membership's)", cfg.Prefix, m.cfg.Prefix)
		}
		if len(cfg.Clients) == 0 {
			cfg.Clients = m.cfg.Clients
		}
	}
	if len(cfg.Clients) == 0 {
		return nil, errors.New("cluster: LeaserConfig.Clients is empty (give one client per Redis server; see NewRedisClients)")
	}
	if cfg.NodeID == "" {
		return nil, errors.New("cluster: LeaserConfig.NodeID is empty (every node needs a unique ID)")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = engine.DefaultPartitions
	}
	if cfg.Drift == 0 {
		cfg.Drift = cfg.TTL/50 + 5*time.Millisecond
	}
	if cfg.HandoffGrace == 0 {
		cfg.HandoffGrace = DefaultHandoffGrace
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Drift >= cfg.TTL/2 {
		return nil, fmt.Errorf("cluster: LeaserConfig.Drift %v must be less than half the TTL %v (the default is 2%% of TTL + 5ms)", cfg.Drift, cfg.TTL)
	}
	if cfg.CallTimeout > cfg.TTL/3 {
		return nil, fmt.Errorf("cluster: LeaserConfig.CallTimeout %v must be at most TTL/3 = %v, so that an extension ends before the next is due (the default is TTL/10)", cfg.CallTimeout, cfg.TTL/3)
	}
	if cfg.Membership == nil {
		m, err := NewMembership(MembershipConfig{
			Clients: cfg.Clients, Prefix: cfg.Prefix, NodeID: cfg.NodeID, TTL: cfg.TTL,
			CallTimeout: cfg.CallTimeout, Clock: cfg.Clock, Logger: cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		cfg.Membership = m
	}
	cfg.Clients = slices.Clone(cfg.Clients)

	pools := make([]redsyncredis.Pool, len(cfg.Clients))
	for i, c := range cfg.Clients {
		pools[i] = goredis.NewPool(c)
	}
	l := &Leaser{
		cfg: cfg,
		log: cfg.Logger.With("component", "leaser", "node", cfg.NodeID),
		m:   cfg.Membership,
		rs:  redsync.New(pools...),
		opts: []redsync.Option{
			redsync.WithExpiry(cfg.TTL),
			redsync.WithTries(1), // never redsync's retry loop: the next tick retries
			// redsync bounds each phase of a lock call (lock, and the
			// unlock after a failed lock) by TTL × this factor.
			redsync.WithTimeoutFactor(float64(cfg.CallTimeout) / float64(cfg.TTL)),
			redsync.WithDriftFactor(float64(cfg.Drift) / float64(cfg.TTL)),
			// An extension also re-creates the lock on a server that lost
			// it (restarted empty) if nobody else holds it there, so that
			// the lock gets back onto every server that is up.
			redsync.WithSetNXOnExtend(),
			// Not WithFailFast: it returns at a bare majority and cancels
			// the calls still in flight, so locks would sit on a bare
			// majority and the loss of one more server would lose them.
			// Waiting for every server costs at most CallTimeout.
			redsync.WithGenValueFunc(lockValue(cfg.NodeID)),
		},
		tick:        cfg.TTL / 5,
		extendEvery: cfg.TTL / 3,
		retryEvery:  cfg.TTL / 10,
		acquireSem:  make(chan struct{}, cfg.Workers),
		maintainSem: make(chan struct{}, cfg.Workers),
		wake:        make(chan struct{}, 1),
		changes:     make(chan struct{}, 1),
		slots:       make([]slot, cfg.Partitions),
		desired:     make([]bool, cfg.Partitions),
	}
	l.m.setHeld(l.heldCount)
	return l, nil
}

// Partitions returns the number of partitions.
func (l *Leaser) Partitions() int { return l.cfg.Partitions }

// Held returns the leases valid now, ordered by partition.
func (l *Leaser) Held() []engine.Lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Clock.Now()
	var out []engine.Lease
	for _, s := range l.slots {
		if s.lease != nil && s.lease.Valid(now) {
			out = append(out, s.lease)
		}
	}
	return out
}

// Changes returns the channel that signals a change of the held set: an
// acquisition, a handoff, a loss, or Release.
func (l *Leaser) Changes() <-chan struct{} { return l.changes }

// Membership returns the Membership the Leaser uses.
func (l *Leaser) Membership() *Membership { return l.m }

// QuorumLost reports whether this node's last heartbeat reached fewer than
// a majority of the Redis servers (see Membership.QuorumLost). While it is
// true no lease can be extended, so every lease lapses, and the engine
// stops firing, within the TTL.
func (l *Leaser) QuorumLost() bool { return l.m.QuorumLost() }

// Err returns nil while this node is a healthy member of the cluster, and
// otherwise why not (see Membership.Err). A readiness check fails on it.
func (l *Leaser) Err() error { return l.m.Err() }

// Stats returns a snapshot of the Leaser.
func (l *Leaser) Stats() LeaserStats {
	l.mu.Lock()
	st := LeaserStats{
		Partitions: l.cfg.Partitions, Members: l.members,
		Acquired: l.acquired, HandedOff: l.handedOff, Lost: l.lost,
	}
	now := l.cfg.Clock.Now()
	for _, s := range l.slots {
		switch {
		case s.lease == nil:
		case s.lease.Valid(now):
			st.Held++
		default:
			st.Releasing++
		}
	}
	l.mu.Unlock()
	st.QuorumLost = l.m.QuorumLost()
	return st
}

// heldCount is the number of valid leases, for the heartbeat and the log.
func (l *Leaser) heldCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Clock.Now()
	n := 0
	for _, s := range l.slots {
		if s.lease != nil && s.lease.Valid(now) {
			n++
		}
	}
	return n
}

// Release gives up every lease at once: each becomes invalid and its Lost
// channel closes, Changes signals, then (after the lock calls in flight
// end) every partition lock is unlocked so that the new owners take the
// partitions at their next tick instead of after TTL. It also stops the
// heartbeats and deletes this node's heartbeat (Membership.Leave), and
// makes Run return. The Leaser acquires nothing afterwards. Call it on
// shutdown after the engine has stopped firing. ctx bounds the wait; a
// lock not unlocked then expires after TTL. Calling it again does nothing.
func (l *Leaser) Release(ctx context.Context) error {
	l.mu.Lock()
	first := !l.released
	l.released = true
	ended := 0
	for _, s := range l.slots {
		if s.lease != nil && s.lease.end() {
			ended++
		}
	}
	if ended > 0 {
		l.signal()
	}
	l.mu.Unlock()
	l.nudge()

	// Wait for the jobs in flight (each bounded by CallTimeout), so that
	// every mutex is free to unlock.
	done := make(chan struct{})
	go func() {
		l.jobs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}

	l.mu.Lock()
	var unlock []*lease
	for p := range l.slots {
		s := &l.slots[p]
		if s.lease != nil && !s.busy {
			unlock = append(unlock, s.lease)
			s.lease = nil
		}
	}
	l.mu.Unlock()

	var failed []int
	var errs []error
	var fmu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, l.cfg.Workers)
	for _, ls := range unlock {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := l.unlockMutex(ctx, ls.mutex); err != nil {
				fmu.Lock()
				failed = append(failed, ls.partition)
				errs = append(errs, err)
				fmu.Unlock()
			}
		})
	}
	wg.Wait()
	leaveErr := l.m.Leave(ctx)

	if first || len(unlock) > 0 {
		l.log.Info("released partition leases", "count", len(unlock), "unlock_failures", len(failed))
	}
	var err error
	if len(failed) > 0 {
		err = fmt.Errorf("cluster: releasing: could not unlock partitions %s (they fail over when their locks expire, within %v): %w",
			formatPartitions(failed), l.cfg.TTL, errors.Join(errs...))
	}
	return errors.Join(err, leaveErr)
}

// signal tells the consumer of Changes without blocking; a signal already
// waiting stands for this one too.
func (l *Leaser) signal() {
	select {
	case l.changes <- struct{}{}:
	default:
	}
}

// nudge wakes Run's loop early.
func (l *Leaser) nudge() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

var _ engine.Leaser = (*Leaser)(nil)
