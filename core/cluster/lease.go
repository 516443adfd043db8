package cluster

import (
	"sync/atomic"
	"time"

	"github.com/go-redsync/redsync/v4"

	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
)

// lease is one holding of a partition by a Leaser: an engine.Lease.
//
// Its deadline is reckoned on the holder's own clock: the instant taken just
// before the lock (or extension) call that succeeded, plus TTL, minus
// Drift. Redis started the key's expiry no earlier than that instant, so
// the key outlives the deadline by at least Drift (less the difference in
// clock rates), and no other node can lock the partition while Valid says
// true.
type lease struct {
	partition int
	epoch     int64
	mutex     *redsync.Mutex // used by one job at a time (slot.busy)

	deadline atomic.Pointer[time.Time]
	gone     atomic.Bool // lost, handed off or released: Valid is false
	lost     chan struct{}

	// Guarded by the Leaser's mu.
	extendAt time.Time   // when to extend next
	unlockAt time.Time   // once gone: when to unlock the mutex
	timer    clock.Timer // fires at the deadline to declare the loss
}

// Partition returns the partition held.
func (ls *lease) Partition() int { return ls.partition }

// Epoch returns the fencing token of this holding, from the store.
func (ls *lease) Epoch() int64 { return ls.epoch }

// Valid reports whether the holding lasts until at: false once the lease
// is lost, handed off or released, and for every at at or after its
// deadline.
func (ls *lease) Valid(at time.Time) bool {
	return !ls.gone.Load() && at.Before(*ls.deadline.Load())
}

// Lost returns a channel closed when the lease is lost, handed off or
// released.
func (ls *lease) Lost() <-chan struct{} { return ls.lost }

// Deadline returns the instant the lease lapses unless extended.
func (ls *lease) Deadline() time.Time { return *ls.deadline.Load() }

// setDeadline moves the deadline to d if that is later.
func (ls *lease) setDeadline(d time.Time) {
	if cur := ls.deadline.Load(); cur == nil || d.After(*cur) {
		ls.deadline.Store(&d)
	}
}

// end makes the lease invalid and closes Lost. It reports false if the
// lease had already ended. The caller holds the Leaser's mu.
func (ls *lease) end() bool {
	if ls.gone.Swap(true) {
		return false
	}
	close(ls.lost)
	if ls.timer != nil {
		ls.timer.Stop()
	}
	return true
}

var _ engine.Lease = (*lease)(nil)
