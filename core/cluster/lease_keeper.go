package cluster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-redsync/redsync/v4"
)

// Run drives the Leaser until ctx ends or Release is called, and returns
// nil then. It sends this node's heartbeats (running the Membership, which
// must not be run separately), and every TTL/5 reads the live members,
// computes the desired owner of each partition, acquires the desired
// partitions not held, hands off those held but no longer desired; it
// extends each lease TTL/3 after its last lock or extension. Lock calls run
// in the background on a bounded number of workers, at most one per
// partition at a time.
//
// When ctx ends, Run does not release anything: the leases stay valid
// until their deadlines and then lapse (their Lost channels close), and the
// locks and the heartbeat expire in Redis after TTL, exactly as if the node
// had died. For an immediate failover at shutdown, call Release once the
// engine has stopped. Run returns an error if it is already running.
func (l *Leaser) Run(ctx context.Context) error {
	if !l.runActive.CompareAndSwap(false, true) {
		return errors.New("cluster: Leaser.Run is already running")
	}
	defer l.runActive.Store(false)
	if !l.m.running.CompareAndSwap(false, true) {
		return errors.New("cluster: the Leaser's Membership is already running (Leaser.Run runs it; do not also call Membership.Run)")
	}
	defer l.m.running.Store(false)

	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return nil
	}
	l.looping = true
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.looping = false
		l.mu.Unlock()
		l.logNow()
	}()

	runCtx, stop := context.WithCancel(ctx)
	var hb sync.WaitGroup
	defer hb.Wait()
	defer l.jobs.Wait()
	defer stop()

	// The first heartbeat before the first tick, so that this node counts
	// itself live from the start.
	_ = l.m.heartbeat(runCtx)
	hb.Go(func() { l.m.loop(runCtx, l.m.interval()) })

	timer := l.cfg.Clock.NewTimer(0)
	defer timer.Stop()
	var nextRefresh time.Time
	for {
		select {
		case <-runCtx.Done():
			return nil
		case <-l.wake:
		case <-timer.C():
		}
		now := l.cfg.Clock.Now()
		ticked := !now.Before(nextRefresh)
		if ticked {
			l.refresh(runCtx)
			now = l.cfg.Clock.Now()
			nextRefresh = now.Add(l.tick)
		}
		next, released := l.step(runCtx, now)
		if released {
			return nil
		}
		if ticked {
			// Once per tick, not at every wake: the losses and
			// acquisitions of a tick make one line each.
			l.logNow()
		}
		wakeAt := nextRefresh
		if !next.IsZero() && next.Before(wakeAt) {
			wakeAt = next
		}
		timer.Reset(max(wakeAt.Sub(l.cfg.Clock.Now()), 0))
	}
}

// refresh reads the live members and recomputes which partitions this node
// should own. This node counts while it is healthy (its heartbeat is on a
// quorum), whether or not Redis lists it yet, and never while it is not.
// If the members cannot be read, the last set read stands.
func (l *Leaser) refresh(ctx context.Context) {
	members, err := l.m.Members(ctx)
	if err != nil {
		members = l.m.Live()
	}
	self := l.cfg.NodeID
	nodes := make([]string, 0, len(members)+1)
	for _, n := range members {
		if n.ID != self {
			nodes = append(nodes, n.ID)
		}
	}
	if l.m.Healthy() {
		nodes = append(nodes, self)
	}
	own := owners(l.cfg.Partitions, nodes)
	l.mu.Lock()
	defer l.mu.Unlock()
	for p, o := range own {
		l.desired[p] = o == self
	}
	l.members = len(nodes)
}

// step does what is due for each partition at now: acquire a desired
// partition not held, extend a lease, hand off a lease no longer desired,
// unlock an ended lease. It returns the earliest instant something else
// falls due (zero if none), and whether the Leaser was released.
func (l *Leaser) step(ctx context.Context, now time.Time) (next time.Time, released bool) {
	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return time.Time{}, true
	}
	due := func(at time.Time) bool {
		if !now.Before(at) {
			return true
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
		return false
	}
	changed := false
	for p := range l.slots {
		s := &l.slots[p]
		ls := s.lease
		switch {
		case ls == nil:
			if l.desired[p] && !s.busy && (s.retryAt.IsZero() || due(s.retryAt)) {
				l.submit(ctx, p, l.acquireSem, func(ctx context.Context) { l.acquire(ctx, p) })
			}
		case ls.gone.Load():
			if !s.busy && due(ls.unlockAt) {
				l.submit(ctx, p, l.maintainSem, func(ctx context.Context) { l.unlock(ctx, ls) })
			}
		case !l.desired[p]:
			// Graceful handoff: invalid from now, unlocked after the grace.
			ls.end()
			ls.unlockAt = now.Add(l.cfg.HandoffGrace)
			due(ls.unlockAt)
			l.rep.handedOff = append(l.rep.handedOff, p)
			l.handedOff++
			changed = true
		case !s.busy:
			if due(ls.extendAt) {
				l.submit(ctx, p, l.maintainSem, func(ctx context.Context) { l.extend(ctx, ls) })
			}
		}
	}
	if changed {
		l.signal()
	}
	l.mu.Unlock()
	return next, false
}

// submit runs job for partition p in the background once sem has room,
// marking the partition busy; the job clears the mark when it ends. The
// caller holds mu and has checked that the Leaser is not released.
func (l *Leaser) submit(ctx context.Context, p int, sem chan struct{}, job func(context.Context)) {
	l.slots[p].busy = true
	l.jobs.Add(1)
	go func() {
		defer l.jobs.Done()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			l.mu.Lock()
			l.slots[p].busy = false
			l.mu.Unlock()
			return
		}
		defer func() { <-sem }()
		job(ctx)
	}()
}

// acquire tries once to lock partition p and, on success, takes the next
// epoch from the store and installs the lease. The deadline counts from
// the instant before the lock call.
func (l *Leaser) acquire(ctx context.Context, p int) {
	mutex := l.rs.NewMutex(partitionKey(l.cfg.Prefix, p), l.opts...)
	before := l.cfg.Clock.Now()
	if err := mutex.TryLockContext(ctx); err != nil {
		l.mu.Lock()
		l.slots[p].busy = false
		if contended(err) {
			// Held elsewhere: try again shortly rather than at the next
			// tick, so that a handoff or an expiring lock is taken over
			// within acquireRetry, not within a tick (TTL/5).
			l.slots[p].retryAt = l.cfg.Clock.Now().Add(min(acquireRetry, l.tick))
		} else if ctx.Err() == nil {
			l.rep.acquireErrs++
			l.rep.lastErr = fmt.Errorf("locking partition %d: %w", p, err)
		}
		l.mu.Unlock()
		l.nudge() // the loop's next wake-up includes the retry
		return
	}
	ectx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout)
	epoch, err := l.cfg.Epochs.PartitionAcquire(ectx, p, l.cfg.NodeID)
	cancel()
	if err != nil {
		err = fmt.Errorf("taking the epoch of partition %d from the store: %w", p, err)
	}
	now := l.cfg.Clock.Now()
	deadline := before.Add(l.cfg.TTL - l.cfg.Drift)
	if err == nil && !now.Before(deadline) {
		err = fmt.Errorf("acquiring partition %d took %v, longer than its lease lasts", p, now.Sub(before))
	}

	l.mu.Lock()
	if err != nil || l.released {
		if err != nil && ctx.Err() == nil {
			l.rep.acquireErrs++
			l.rep.lastErr = err
		}
		l.mu.Unlock()
		_ = l.unlockMutex(context.WithoutCancel(ctx), mutex)
		l.mu.Lock()
		l.slots[p].busy = false
		l.mu.Unlock()
		return
	}
	ls := &lease{partition: p, epoch: epoch, mutex: mutex, lost: make(chan struct{}), extendAt: before.Add(l.extendEvery)}
	ls.deadline.Store(&deadline)
	ls.timer = l.cfg.Clock.AfterFunc(deadline.Sub(now), func() { l.expire(ls) })
	l.slots[p] = slot{lease: ls}
	l.rep.acquired = append(l.rep.acquired, p)
	l.acquired++
	l.signal()
	l.mu.Unlock()
}

// extend extends a lease once, on every server: where the lock is this
// node's its expiry is reset, and where it is missing (a server restarted
// empty) it is set again unless another node holds it there. On success
// the deadline counts from the instant before the call. If a majority of
// servers hold the lock for another node, the lease ends at once; on any
// other failure the extension is retried soon, and the lease lapses at its
// deadline if none succeeds.
func (l *Leaser) extend(ctx context.Context, ls *lease) {
	before := l.cfg.Clock.Now()
	cctx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout)
	ok, err := ls.mutex.ExtendContext(cctx)
	cancel()
	now := l.cfg.Clock.Now()

	l.mu.Lock()
	defer l.mu.Unlock()
	l.slots[ls.partition].busy = false
	if ls.gone.Load() {
		l.nudge() // the loop unlocks it
		return
	}
	if ok && !now.Before(ls.Deadline().Add(l.cfg.Drift)) {
		// It landed after the key may have expired in Redis (no earlier
		// than the deadline plus Drift): another node may have locked the
		// partition, fired and let go of it meanwhile, and the extension
		// set the key again. The lease cannot be trusted to have been
		// this node's throughout, so it ends as at its deadline; the node
		// acquires the partition afresh, under a new epoch.
		l.endLapsed(ls, now)
		return
	}
	if ok {
		if d := before.Add(l.cfg.TTL - l.cfg.Drift); now.Before(d) {
			// Also when the deadline passed before the call ended (an
			// extension slower than planned, or an expiry timer not run
			// yet): the key was this node's until now, so the same lease
			// goes on. The engine waits on a lease past its deadline
			// until it is extended or lost (engine.Lease.Valid).
			ls.setDeadline(d)
			ls.extendAt = before.Add(l.extendEvery)
			return
		}
		err = fmt.Errorf("the extension took %v, longer than the lease lasts", now.Sub(before))
	}
	if err == nil {
		err = redsync.ErrExtendFailed
	}
	if contended(err) {
		ls.end()
		ls.unlockAt = now
		l.rep.taken = append(l.rep.taken, ls.partition)
		l.lost++
		l.signal()
		l.nudge()
		return
	}
	if ctx.Err() == nil {
		l.rep.extendErrs++
		l.rep.lastErr = fmt.Errorf("extending the lease of partition %d: %w", ls.partition, err)
	}
	ls.extendAt = now.Add(l.retryEvery)
	l.nudge()
}

// expire runs at a lease's deadline: unless an extension moved the
// deadline, the lease is lost.
func (l *Leaser) expire(ls *lease) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls.gone.Load() {
		return
	}
	now := l.cfg.Clock.Now()
	if d := ls.Deadline().Sub(now); d > 0 {
		ls.timer.Reset(d)
		return
	}
	l.endLapsed(ls, now)
}

// endLapsed ends a lease that lapsed without a timely extension. The
// caller holds mu.
func (l *Leaser) endLapsed(ls *lease, now time.Time) {
	ls.end()
	ls.unlockAt = now
	l.rep.expired = append(l.rep.expired, ls.partition)
	l.lost++
	l.signal()
	l.nudge()
	if !l.looping && !l.flushPending {
		// Run has ended: log the losses once the others due about now
		// have joined them.
		l.flushPending = true
		l.cfg.Clock.AfterFunc(l.cfg.Drift, l.flush)
	}
}

// flush logs the report outside Run.
func (l *Leaser) flush() {
	l.mu.Lock()
	l.flushPending = false
	l.mu.Unlock()
	l.logNow()
}

// logNow logs what happened since the last report.
func (l *Leaser) logNow() {
	l.mu.Lock()
	r := l.takeReport(l.cfg.Clock.Now())
	l.mu.Unlock()
	if !r.empty() {
		l.logReport(r, l.heldCount())
	}
}

// unlock unlocks an ended lease's mutex and frees its partition.
func (l *Leaser) unlock(ctx context.Context, ls *lease) {
	_ = l.unlockMutex(context.WithoutCancel(ctx), ls.mutex)
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &l.slots[ls.partition]
	s.busy = false
	if s.lease == ls {
		s.lease = nil
	}
}

// unlockMutex unlocks m, bounded by CallTimeout. A lock that is already
// gone or another's is not an error: there is nothing to unlock.
func (l *Leaser) unlockMutex(ctx context.Context, m *redsync.Mutex) error {
	cctx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout)
	defer cancel()
	ok, err := m.UnlockContext(cctx)
	if ok || err == nil {
		return nil
	}
	var re *redsync.RedisError
	if !errors.As(err, &re) {
		return nil // expired or another's on a quorum: nothing of ours left
	}
	return err
}

// contended reports whether a lock call failed because the lock is
// another's (or, for an extension, gone) on a quorum of servers, as
// opposed to failing to reach them.
func contended(err error) bool {
	var re *redsync.RedisError
	if errors.As(err, &re) {
		return false
	}
	var taken *redsync.ErrTaken
	var nodeTaken *redsync.ErrNodeTaken
	return errors.As(err, &taken) || errors.As(err, &nodeTaken)
}

// lockValue returns the generator of lock values: the node ID, a colon and
// 16 random bytes in base64, so that an operator reading a partition's key
// sees who holds it.
func lockValue(nodeID string) func() (string, error) {
	return func() (string, error) {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return nodeID + ":" + base64.RawStdEncoding.EncodeToString(b), nil
	}
}
