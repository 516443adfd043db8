package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Lease is this node's claim on one partition: while it is valid, this node
// alone fires the partition's tasks.
//
// A Lease stands for one holding. When a partition is lost and acquired
// again, the new holding is a new Lease with a higher epoch; a Lease never
// becomes valid again once it has been lost.
type Lease interface {
	// Partition returns the partition held, in [0, Leaser.Partitions()).
	Partition() int
	// Epoch returns the fencing token of this holding. It grows with every
	// acquisition of the partition, cluster-wide, and is stored on the
	// executions claimed under the lease (core.Execution.FencingToken).
	Epoch() int64
	// Valid reports whether the lease is held at instant at, by the
	// holder's own reckoning: its deadline minus an allowance for clock
	// drift, never the lock service's word. at may lie in the future: the
	// answer then says whether the holding lasts until then without being
	// renewed, which bounds how far ahead executions may be claimed. The
	// engine fires nothing of the partition while Valid(now) is false. at
	// comes from the same clock.Clock as the Leaser's.
	//
	// Valid(now) may turn true again until Lost is closed: a holder whose
	// extension lands after the deadline it reckoned keeps the same lease.
	// The engine therefore waits on such a lease, holding its instants,
	// and leaves them to the next owner only once Lost is closed.
	Valid(at time.Time) bool
	// Lost returns a channel that is closed when the lease is lost or
	// released. That is final: the lease is never valid again.
	Lost() <-chan struct{}
}

// Leaser hands this node its leases: the view of membership and ownership
// that the engine needs, and no more. Embedded mode uses a [LocalLeaser];
// cluster mode will implement it with node heartbeats, rendezvous hashing
// and one lock per partition, without the engine knowing which it has.
// Implementations are safe for concurrent use.
type Leaser interface {
	// Partitions returns the number of partitions tasks hash into (see
	// PartitionOf). It is fixed for the life of the Leaser and the same
	// on every node of a cluster.
	Partitions() int
	// Held returns the leases this node holds now, ordered by partition.
	// The slice is the caller's. A lease in it may be lost at any moment
	// after the call; check Valid before acting on it.
	Held() []Lease
	// Changes returns a channel that receives a value whenever the set
	// Held returns may have changed, including each loss. Signals are
	// coalesced: after each receive, call Held for the current set. There
	// is one channel, for one consumer.
	Changes() <-chan struct{}
	// Release gives up every lease this node holds, closing their Lost
	// channels, so that other nodes can take the partitions without
	// waiting for leases to expire. Call it on shutdown, after the engine
	// has stopped firing. It is safe to call more than once.
	Release(ctx context.Context) error
}

// LocalLeaserConfig configures a LocalLeaser.
type LocalLeaserConfig struct {
	// Partitions is the number of partitions. Defaults to
	// DefaultPartitions.
	Partitions int
	// Epoch is the epoch of each partition's first lease. Pass a counter
	// that the store increments at each start so that epochs also grow
	// across restarts. Defaults to 1.
	Epoch int64
}

// LocalLeaser is the Leaser of embedded mode: the only node holds every
// partition from the start, and its leases stay valid until Release.
//
// Revoke and Grant take partitions away and give them back, with the next
// epoch, as the membership of a cluster would. Embedded mode never calls
// them; they let tests of the engine exercise a handover on one node.
type LocalLeaser struct {
	mu      sync.Mutex
	held    []*localLease // indexed by partition; nil when not held
	epochs  []int64       // the epoch of each partition's latest lease
	changes chan struct{}
}

// NewLocalLeaser returns a LocalLeaser that holds every partition.
func NewLocalLeaser(cfg LocalLeaserConfig) *LocalLeaser {
	if cfg.Partitions <= 0 {
		cfg.Partitions = DefaultPartitions
	}
	if cfg.Epoch <= 0 {
		cfg.Epoch = 1
	}
	l := &LocalLeaser{
		held:    make([]*localLease, cfg.Partitions),
		epochs:  make([]int64, cfg.Partitions),
		changes: make(chan struct{}, 1),
	}
	for p := range l.held {
		l.epochs[p] = cfg.Epoch
		l.held[p] = newLocalLease(p, cfg.Epoch)
	}
	return l
}

// Partitions returns the number of partitions.
func (l *LocalLeaser) Partitions() int { return len(l.held) }

// Held returns the leases held, ordered by partition: all of them until
// Release or Revoke.
func (l *LocalLeaser) Held() []Lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Lease, 0, len(l.held))
	for _, lease := range l.held {
		if lease != nil {
			out = append(out, lease)
		}
	}
	return out
}

// Changes returns the channel that signals a change of the held set.
func (l *LocalLeaser) Changes() <-chan struct{} { return l.changes }

// Release gives up every lease. It never fails.
func (l *LocalLeaser) Release(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.revokeLocked(l.allPartitions())
	return nil
}

// Revoke takes the partitions away, as if another node had taken them:
// their leases are lost at once. Partitions not held are ignored. It panics
// on a partition out of range.
func (l *LocalLeaser) Revoke(partitions ...int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.check(partitions)
	l.revokeLocked(partitions)
}

// Grant acquires the partitions again, each with a new lease whose epoch
// is one more than its last. Partitions already held are ignored. It
// panics on a partition out of range.
func (l *LocalLeaser) Grant(partitions ...int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.check(partitions)
	changed := false
	for _, p := range partitions {
		if l.held[p] != nil {
			continue
		}
		l.epochs[p]++
		l.held[p] = newLocalLease(p, l.epochs[p])
		changed = true
	}
	if changed {
		l.signal()
	}
}

func (l *LocalLeaser) revokeLocked(partitions []int) {
	changed := false
	for _, p := range partitions {
		if lease := l.held[p]; lease != nil {
			lease.lose()
			l.held[p] = nil
			changed = true
		}
	}
	if changed {
		l.signal()
	}
}

func (l *LocalLeaser) allPartitions() []int {
	all := make([]int, len(l.held))
	for p := range all {
		all[p] = p
	}
	return all
}

func (l *LocalLeaser) check(partitions []int) {
	if i := slices.IndexFunc(partitions, func(p int) bool { return p < 0 || p >= len(l.held) }); i >= 0 {
		panic(fmt.Sprintf("engine: partition %d out of range [0, %d)", partitions[i], len(l.held)))
	}
}

// signal notifies the consumer of Changes without blocking; a signal
// already waiting stands for this one too.
func (l *LocalLeaser) signal() {
	select {
	case l.changes <- struct{}{}:
	default:
	}
}

// localLease is a Lease of a LocalLeaser.
type localLease struct {
	partition int
	epoch     int64
	lost      chan struct{}
	gone      atomic.Bool
}

func newLocalLease(partition int, epoch int64) *localLease {
	return &localLease{partition: partition, epoch: epoch, lost: make(chan struct{})}
}

func (l *localLease) Partition() int        { return l.partition }
func (l *localLease) Epoch() int64          { return l.epoch }
func (l *localLease) Valid(time.Time) bool  { return !l.gone.Load() }
func (l *localLease) Lost() <-chan struct{} { return l.lost }

// lose ends the holding. The caller holds the leaser's lock, so it runs
// once per lease.
func (l *localLease) lose() {
	l.gone.Store(true)
	close(l.lost)
}

var (
	_ Leaser = (*LocalLeaser)(nil)
	_ Lease  = (*localLease)(nil)
)
