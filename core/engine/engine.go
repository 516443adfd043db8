package engine

import (
	"cmp"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/schedule"
	"github.com/shiyu-coder/kronos/core/store"
)

// Engine defaults.
const (
	// DefaultClaimAhead is how long before its instant an execution is
	// claimed, so that at the instant only in-memory dispatch remains.
	DefaultClaimAhead = 2 * time.Second
	// DefaultClaimBatch is the most executions one claim inserts.
	DefaultClaimBatch = 1000
	// DefaultRetryDelay is how long the loop waits after a failed claim.
	DefaultRetryDelay = time.Second
	// DefaultShutdownGrace is how long running executions may finish at
	// shutdown.
	DefaultShutdownGrace = 10 * time.Second
	// recordTimeout bounds the store writes that record a result.
	recordTimeout = 30 * time.Second
	// maxLogLines caps the lines kept per execution; the rest are counted.
	maxLogLines = 10000
)

// Config configures an Engine.
type Config struct {
	// Store keeps tasks and executions. Required.
	Store store.Store
	// Executor runs executions. Required.
	Executor core.Executor
	// Leaser says which partitions this node fires. Required.
	Leaser Leaser
	// Clock is the time source. Defaults to clock.Real().
	Clock clock.Clock
	// NodeID is recorded on the executions this node claims and runs.
	NodeID string
	// ClaimAhead defaults to DefaultClaimAhead.
	ClaimAhead time.Duration
	// ClaimBatch defaults to DefaultClaimBatch.
	ClaimBatch int
	// Workers bounds the executions running at once on this node.
	// Defaults to 16 per CPU.
	Workers int
	// NamespaceWorkers bounds the executions of one namespace running at
	// once on this node, so that one tenant cannot take every worker.
	// Defaults to three quarters of Workers (at least 1); set it to
	// Workers for a node that serves one tenant. When workers are scarce,
	// namespaces with executions waiting take turns.
	NamespaceWorkers int
	// Metrics, if set, registers the engine's Prometheus metrics.
	Metrics prometheus.Registerer
	// ShutdownGrace is how long running executions may finish after Run's
	// context ends; then they are canceled and recorded as interrupted.
	// Defaults to DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Fenced makes claims check each lease's epoch in the store (cluster
	// mode): the executions of a partition are claimed only while their
	// fencing token is the partition's current epoch there
	// (store.Store.ExecutionClaimFenced), so a node that lost a lease
	// without knowing it (a pause past the TTL) is refused by the
	// database. Embedded mode, with one node on a locked data dir, does not
	// need it. Defaults to false.
	Fenced bool
}

// Engine fires the tasks of the partitions this node holds. Run drives it
// with the clock; Claim and Dispatch are its two steps, exported so that
// tests (and benchmarks) can drive it at exact instants. See the package
// documentation for what it guarantees.
type Engine struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	queue  *Queue            // each task's next unclaimed instant
	ready  readyHeap         // claimed executions waiting for their instant
	tasks  map[string]*entry // by task ID
	leases map[int]Lease     // by partition
	// adoptErr is the last rebalance's failure, retried by Run.
	adoptErr error
	// unacked are the executions of a claim that failed, retried first.
	unacked []core.Execution
	// handedOff holds the tasks dropped because their partition went to
	// another node: their executions claimed here and not started are
	// left pending for the new owner, which adopts them.
	handedOff map[string]bool
	// leftPending holds the executions this node claimed and then left
	// pending because its lease ended before their instant, by ID, with
	// their instant. Should the node get the partition back, it adopts
	// them at once: they never started, so they cannot be results still
	// on their way to the store (see orphans).
	leftPending map[string]time.Time
	// running holds each execution running here, by ID and by task.
	running map[string]*runningExec
	byTask  map[string]map[string]*runningExec
	// stopping is set by shutdown; no execution starts after it.
	stopping bool
	// backlog holds, per task, executions waiting for the task to have
	// nothing running here: late runs of missed instants (catch_up), oldest
	// first, and retries that came due while another execution of a forbid
	// or replace task ran.
	backlog map[string][]ready
	// fresh holds the IDs this engine claimed before recover ran, so that
	// recover never mistakes them for a previous run's; recovered ends it.
	fresh     map[string]bool
	recovered bool
	// quotas holds the quotas of each namespace that has any, as last
	// heard from Upsert, Trigger or UpdateNamespace (quota.go).
	quotas map[string]*nsQuota
	// stale holds, per partition, the highest epoch the store refused as
	// a fence (Config.Fenced; fence.go): claims under it or an older one
	// are dropped without asking the store again.
	stale map[int]int64

	wake    chan struct{}
	pool    *pool[job]
	metrics *metrics
	writer  *writer
	wg      sync.WaitGroup
	runCtx  context.Context
	stopRun context.CancelFunc
}

// entry is what the engine keeps of one task.
type entry struct {
	task     core.Task
	settings core.NamespaceSettings
	sched    *schedule.Schedule
	lease    Lease
}

// New returns an Engine. ctx carries values (not cancellation) to the
// engine's background work: recording results must outlive shutdown.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Executor == nil || cfg.Leaser == nil {
		return nil, errors.New("engine: Store, Executor and Leaser are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.ClaimAhead <= 0 {
		cfg.ClaimAhead = DefaultClaimAhead
	}
	if cfg.ClaimBatch <= 0 {
		cfg.ClaimBatch = DefaultClaimBatch
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16 * runtime.GOMAXPROCS(0)
	}
	if cfg.NamespaceWorkers <= 0 {
		cfg.NamespaceWorkers = max(1, cfg.Workers-cfg.Workers/4)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	base := context.WithoutCancel(ctx)
	runCtx, stop := context.WithCancel(base)
	e := &Engine{
		cfg:         cfg,
		log:         cfg.Logger,
		queue:       NewQueue(0),
		tasks:       map[string]*entry{},
		leases:      map[int]Lease{},
		running:     map[string]*runningExec{},
		byTask:      map[string]map[string]*runningExec{},
		fresh:       map[string]bool{},
		wake:        make(chan struct{}, 1),
		backlog:     map[string][]ready{},
		quotas:      map[string]*nsQuota{},
		stale:       map[int]int64{},
		handedOff:   map[string]bool{},
		leftPending: map[string]time.Time{},
		writer:      newWriter(base, cfg.Store, cfg.Logger),
		runCtx:      runCtx,
		stopRun:     stop,
	}
	for _, l := range cfg.Leaser.Held() {
		e.leases[l.Partition()] = l
	}
	e.pool = newPool(cfg.Workers, cfg.NamespaceWorkers, e.run)
	m, err := newMetrics(cfg.Metrics, e)
	if err != nil {
		return nil, err
	}
	e.metrics = m
	return e, nil
}

// claim inserts executions through the store's fence, with IDs chosen here
// so that recover can tell them from a previous run's.
func (e *Engine) claim(ctx context.Context, xs []core.Execution) ([]core.Execution, error) {
	e.mu.Lock()
	for i := range xs {
		if xs[i].ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				e.mu.Unlock()
				return nil, fmt.Errorf("engine: execution id: %w", err)
			}
			xs[i].ID = id.String()
		}
		if !e.recovered {
			e.fresh[xs[i].ID] = true
		}
	}
	e.mu.Unlock()
	if e.cfg.Fenced {
		return e.claimFenced(ctx, xs)
	}
	return e.cfg.Store.ExecutionClaim(ctx, xs)
}

// Upsert tells the engine a task was created or changed: from now on it
// fires on the new schedule. Instants already claimed still fire.
func (e *Engine) Upsert(t core.Task, settings core.NamespaceSettings) {
	e.upsertFrom(t, settings, e.cfg.Clock.Now())
}

// upsertFrom queues the task's first instant at or after from. Load passes
// the instant it started at, the end of the range its misfire handling
// covers, so that an instant passing while a long load runs is claimed
// late rather than lost.
func (e *Engine) upsertFrom(t core.Task, settings core.NamespaceSettings, from time.Time) {
	sched, err := t.ParseSchedule()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setQuotasLocked(t.Namespace, settings.Quotas)
	lease := e.leases[PartitionOf(t.ID, e.cfg.Leaser.Partitions())]
	if err != nil || lease == nil {
		delete(e.tasks, t.ID)
		e.queue.Remove(t.ID)
		if err != nil {
			e.log.Warn("task has an invalid schedule; it will not fire", "task", t.Name, "namespace", t.Namespace, "err", err)
		}
		return
	}
	en := &entry{task: t, settings: settings, sched: sched, lease: lease}
	e.tasks[t.ID] = en
	// The instant at from itself still fires: it has not been claimed yet.
	if next := en.next(from.Add(-time.Nanosecond)); next.IsZero() {
		e.queue.Remove(t.ID)
	} else {
		e.queue.Upsert(t.ID, next)
	}
	e.signal()
}

// Remove tells the engine a task was deleted.
func (e *Engine) Remove(taskID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.tasks, taskID)
	e.queue.Remove(taskID)
	e.signal()
}

// next returns the task's first fire instant after `after`, within its
// window, or zero.
func (en *entry) next(after time.Time) time.Time {
	return en.task.NextFire(en.sched, after)
}

func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Claim claims every instant up to now plus the claim lead (at most one
// batch) and returns when the next claim is due. Claimed executions wait
// in memory for Dispatch.
func (e *Engine) Claim(ctx context.Context, now time.Time) (time.Time, error) {
	e.mu.Lock()
	until := now.Add(e.cfg.ClaimAhead)
	// A claim that failed may have been committed without its
	// acknowledgement reaching this node (a connection cut at commit): it
	// is retried with the same IDs, so that rows already stored are
	// recognised as this claim's instead of as another claimant's.
	var claims, unsure []core.Execution
	for _, x := range e.unacked {
		en := e.tasks[x.TaskID]
		switch {
		case en == nil || ended(en.lease):
			// Dropped or lost: the partition's next owner settles the
			// instant from what the store holds. Should that be this
			// node, a row the claim did commit is its own and recent,
			// which adoption would take for a result still on its way:
			// it is remembered as left pending (it never started).
			e.leftPending[x.ID] = x.ScheduledAt
		case en.lease.Valid(x.ScheduledAt):
			claims = append(claims, x)
		default:
			unsure = append(unsure, x) // kept until the lease is extended or lost
		}
	}
	e.unacked = unsure
	var deferred []Entry
	// A task due several times within the lead comes back to the queue at
	// its next instant, so pop until nothing is due or the batch is full.
	for len(claims) < e.cfg.ClaimBatch {
		due := e.queue.PopDue(until, e.cfg.ClaimBatch-len(claims))
		if len(due) == 0 {
			break
		}
		for _, d := range due {
			en := e.tasks[d.TaskID]
			if en == nil {
				continue
			}
			if next := en.next(d.At); !next.IsZero() {
				e.queue.Upsert(d.TaskID, next)
			}
			if !en.lease.Valid(d.At) {
				if !ended(en.lease) {
					// Not yet known to be held at that instant — or, past
					// its deadline, not known to be held at all — but not
					// lost either: an extension under way may still make
					// it valid, and then the instant is claimed (late, if
					// it passed meanwhile). Only a lease that ended leaves
					// the instant to the partition's next owner, which
					// settles it from the last instant claimed.
					deferred = append(deferred, d)
				}
				continue
			}
			claims = append(claims, core.Execution{
				Namespace: en.task.Namespace, TaskID: en.task.ID, TaskName: en.task.Name,
				ScheduledAt: d.At, Trigger: core.TriggerSchedule, Attempt: 1,
				Node: e.cfg.NodeID, Status: core.StatusPending, FencingToken: en.lease.Epoch(),
			})
		}
	}
	// Each task resumes at its earliest deferred instant (a task may have
	// had several within the lead).
	earliestDeferred := map[string]time.Time{}
	for _, d := range deferred {
		if at, ok := earliestDeferred[d.TaskID]; !ok || d.At.Before(at) {
			earliestDeferred[d.TaskID] = d.At
		}
	}
	for id, at := range earliestDeferred {
		e.queue.Upsert(id, at)
	}
	e.mu.Unlock()

	began := time.Now() //nolint:forbidigo // a duration for the metric, not an instant of the schedule
	claimed, err := e.claim(ctx, claims)
	if len(claims) > 0 {
		e.metrics.claim.Observe(time.Since(began).Seconds())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.unacked = append(e.unacked, claims...) // retried as they are, IDs included
		return now.Add(DefaultRetryDelay), fmt.Errorf("engine: claim %d executions: %w", len(claims), err)
	}
	for _, x := range claimed {
		heap.Push(&e.ready, ready{x: x, at: x.ScheduledAt})
	}
	next := e.nextClaimLocked(now)
	if (len(deferred) > 0 || len(e.unacked) > 0) && !next.After(now) {
		next = now.Add(deferredRetry)
	}
	return next, nil
}

// ended reports whether the lease is over for good (lost, handed off or
// released). A lease whose Valid is false is not always over: its holder
// may have an extension under way that lands after the deadline it
// reckoned, and the same lease is valid again (cluster.Leaser keeps a
// lease its extension kept in Redis). Until it ends, the engine waits on
// it rather than leave its instants to a next owner that does not come.
func ended(l Lease) bool {
	select {
	case <-l.Lost():
		return true
	default:
		return false
	}
}

// deferredRetry is how soon Claim looks again at instants it deferred
// because the lease was not yet known to last until them.
const deferredRetry = 100 * time.Millisecond

func (e *Engine) nextClaimLocked(now time.Time) time.Time {
	_, at, ok := e.queue.Peek()
	if !ok {
		return time.Time{}
	}
	if next := at.Add(-e.cfg.ClaimAhead); next.After(now) {
		return next
	}
	return now
}

// dispatchChunk is how many executions Dispatch starts per hold of the
// engine's lock: the workers that finish executions meanwhile need it too.
const dispatchChunk = 256

// Dispatch starts every claimed execution whose instant has come, and
// returns the instant of the next one (zero if none waits).
func (e *Engine) Dispatch(now time.Time) time.Time {
	for {
		jobs, next, more := e.dueJobs(now)
		// Hand them to the pool outside the lock, so that the workers
		// start on the first while the rest are handed over.
		for _, j := range jobs {
			e.pool.submit(j.x.Namespace, j)
		}
		if !more {
			return next
		}
	}
}

// dueJobs takes up to dispatchChunk executions due at now, applies the
// concurrency policy and registers those to run. It reports the next
// instant waiting and whether more are due now.
func (e *Engine) dueJobs(now time.Time) (jobs []job, next time.Time, more bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(jobs) < dispatchChunk && !e.stopping && len(e.ready) > 0 && !e.ready[0].at.After(now) {
		r := *heap.Pop(&e.ready).(*ready)
		x, en := r.x, e.tasks[r.x.TaskID]
		if en == nil {
			en = r.en // a retry of a task run by Trigger
		}
		if en == nil && e.handedOff[x.TaskID] {
			e.leftPending[x.ID] = x.ScheduledAt // its partition's new owner adopts the execution
			continue
		}
		if en == nil {
			e.skipLocked(x, "the task was deleted before its instant")
			continue
		}
		if en.lease != nil && !en.lease.Valid(now) {
			if !ended(en.lease) {
				// Past the lease's deadline but not lost: wait for the
				// extension that keeps it or for the loss.
				if !r.waited {
					e.log.Debug("lease past its deadline at the instant, not extended yet; the execution waits for the extension or the loss", "task", x.TaskName, "scheduled_at", x.ScheduledAt)
				}
				r.at, r.waited = now.Add(deferredRetry), true
				heap.Push(&e.ready, r) // after now: not popped again in this loop
				continue
			}
			e.log.Warn("lease lost before the instant; leaving the execution to the partition's next owner", "task", x.TaskName, "scheduled_at", x.ScheduledAt)
			e.leftPending[x.ID] = x.ScheduledAt
			continue
		}
		// The concurrency policy, for executions of the task running on
		// this node. A retry or a late run of a missed instant is never
		// skipped or made to replace anything: under forbid and replace
		// it waits in the task's backlog until nothing of the task runs.
		others := e.byTask[x.TaskID]
		policy := en.task.Concurrency
		if len(others) > 0 && policy != core.ConcurrencyAllow && policy != "" {
			if x.Attempt > 1 || x.Trigger == core.TriggerCatchUp {
				e.backlog[x.TaskID] = append(e.backlog[x.TaskID], r)
				continue
			}
			if policy == core.ConcurrencyForbid {
				e.skipLocked(x, "forbid: an earlier execution of the task was still running")
				continue
			}
		}
		// The namespace's per-minute quota counts what starts: an
		// instant the policy skipped does not count, and one the quota
		// refuses replaces nothing.
		if reason := e.takeRateLocked(x.Namespace, now); reason != "" {
			e.skipLocked(x, reason)
			continue
		}
		if len(others) > 0 && policy == core.ConcurrencyReplace {
			for _, r := range others {
				r.replacedBy = x.ScheduledAt
				r.cancel()
			}
		}
		jobs = append(jobs, e.registerLocked(x, *en))
	}
	if len(e.ready) == 0 {
		return jobs, time.Time{}, false
	}
	next = e.ready[0].at
	return jobs, next, !e.stopping && !next.After(now)
}

// Wait blocks until every started execution has been recorded.
func (e *Engine) Wait() { e.wg.Wait() }

// Run loads the tasks and fires them until ctx ends; then it stops
// claiming, cancels running executions (which are recorded as
// interrupted) and waits for them to be recorded.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.Load(ctx); err != nil {
		e.shutdown()
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	timer := e.cfg.Clock.NewTimer(time.Hour)
	defer timer.Stop()
	var retryAdopt <-chan time.Time
	for {
		if e.adoptFailed() {
			retryAdopt = time.After(time.Second) //nolint:forbidigo // a retry pause, not an instant of the schedule
		} else {
			retryAdopt = nil
		}
		// Dispatch first: what is due now must not wait behind a claim.
		now := e.cfg.Clock.Now()
		e.Dispatch(now)
		nextClaim, err := e.Claim(ctx, now)
		if err != nil && ctx.Err() == nil {
			e.log.Error("claim failed; retrying", "err", err)
		}
		now = e.cfg.Clock.Now()
		nextDispatch := e.Dispatch(now)
		wakeAt := earliest(nextClaim, nextDispatch)
		d := time.Hour
		if !wakeAt.IsZero() {
			d = wakeAt.Sub(now)
		}
		timer.Reset(max(d, 0))
		select {
		case <-ctx.Done():
			e.shutdown()
			return nil
		case <-timer.C():
		case <-e.wake:
		case <-e.cfg.Leaser.Changes():
			e.adopt(ctx)
		case <-retryAdopt:
			e.adopt(ctx)
		}
	}
}

// shutdown lets running executions finish for the grace period, then
// cancels the rest (recorded as interrupted) and waits for their records.
// Executions claimed but not started stay pending.
func (e *Engine) shutdown() {
	e.mu.Lock()
	e.stopping = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.Wait()
		close(done)
	}()
	grace := e.cfg.Clock.NewTimer(e.cfg.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C():
		e.log.Warn("executions outlived the shutdown grace period; canceling them", "grace", e.cfg.ShutdownGrace)
	}
	e.stopRun()
	// Executions' contexts are not children of runCtx (see
	// registerLocked): cancel each.
	e.mu.Lock()
	for _, r := range e.running {
		r.cancel()
	}
	e.mu.Unlock()
	<-done
}

// Cancel cancels a running execution of this node: the executor's context
// ends and the execution is recorded as canceled. It reports whether the
// execution was running here.
func (e *Engine) Cancel(executionID string) bool {
	e.mu.Lock()
	r, ok := e.running[executionID]
	e.mu.Unlock()
	if ok {
		r.cancel()
	}
	return ok
}

// Trigger runs a task now, outside its schedule, with an optional config
// that replaces the task's for this run. The execution is claimed as a
// manual trigger (it never takes a scheduled instant's key) and started at
// once; Trigger returns it as claimed. Beyond the namespace's per-minute
// quota nothing is claimed, and the error wraps store.ErrQuotaExceeded.
func (e *Engine) Trigger(ctx context.Context, t core.Task, settings core.NamespaceSettings, config json.RawMessage) (core.Execution, error) {
	if len(config) > 0 {
		t.Config = config
	}
	var claimed []core.Execution
	var err error
	at := e.cfg.Clock.Now()
	e.mu.Lock()
	e.setQuotasLocked(t.Namespace, settings.Quotas)
	refused := e.takeRateLocked(t.Namespace, at)
	e.mu.Unlock()
	if refused != "" {
		return core.Execution{}, fmt.Errorf("engine: trigger %q: %s: %w", t.Name, refused, store.ErrQuotaExceeded)
	}
	// Two triggers of one task in the same millisecond share a key: take
	// the next millisecond.
	for range 10 {
		claimed, err = e.claim(ctx, []core.Execution{{
			Namespace: t.Namespace, TaskID: t.ID, TaskName: t.Name, ScheduledAt: at,
			Trigger: core.TriggerManual, Attempt: 1, Node: e.cfg.NodeID, Status: core.StatusPending,
		}})
		if err != nil || len(claimed) == 1 {
			break
		}
		at = at.Add(time.Millisecond)
	}
	if err != nil {
		return core.Execution{}, fmt.Errorf("engine: trigger %q: %w", t.Name, err)
	}
	if len(claimed) != 1 {
		return core.Execution{}, fmt.Errorf("engine: trigger %q: no free instant in 10 ms; try again", t.Name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping {
		// Claimed but not started: it stays pending, like the instants
		// claimed ahead at shutdown.
		return claimed[0], errors.New("engine: the node is shutting down; the triggered execution stays pending")
	}
	e.startLocked(claimed[0], entry{task: t, settings: settings})
	return claimed[0], nil
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}

// runningExec is an execution running on this node.
type runningExec struct {
	cancel context.CancelFunc
	logs   *logBuffer
	// replacedBy is the instant of the execution that replaced this one
	// (concurrency: replace); zero otherwise. Guarded by Engine.mu.
	replacedBy time.Time
}

// job is an execution handed to the worker pool.
type job struct {
	ctx context.Context
	x   core.Execution
	en  entry
	r   *runningExec
}

// startLocked registers an execution as running and hands it to the
// worker pool. e.mu must be held.
func (e *Engine) startLocked(x core.Execution, en entry) {
	e.pool.submit(x.Namespace, e.registerLocked(x, en))
}

// registerLocked registers an execution as running (for Cancel and the
// concurrency policy) and returns its job for the pool. e.mu must be held.
func (e *Engine) registerLocked(x core.Execution, en entry) job {
	// Not a child of runCtx, whose one mutex every start and end would
	// then take (a convoy at 10,000 fires a second); shutdown cancels the
	// running ones itself. The values of runCtx still flow.
	ctx, cancel := context.WithCancel(context.WithoutCancel(e.runCtx))
	r := &runningExec{cancel: cancel, logs: &logBuffer{execution: x.ID, clock: e.cfg.Clock}}
	e.running[x.ID] = r
	if e.byTask[x.TaskID] == nil {
		e.byTask[x.TaskID] = map[string]*runningExec{}
	}
	e.byTask[x.TaskID][x.ID] = r
	e.wg.Add(1)
	return job{ctx: ctx, x: x, en: en, r: r}
}

// skipLocked records a claimed execution as skipped, with the reason, and
// does not run it. e.mu must be held.
func (e *Engine) skipLocked(x core.Execution, reason string) {
	now := e.cfg.Clock.Now()
	executor := ""
	if en := e.tasks[x.TaskID]; en != nil {
		executor = en.task.Executor
	}
	e.metrics.recorded(x.Namespace, executor, core.StatusSkipped, 1)
	e.wg.Add(1)
	e.writer.send(write{update: store.ExecutionUpdateParams{
		ID: x.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusSkipped,
		FinishedAt: now, Reason: reason,
	}, after: e.wg.Done})
}

// run executes one execution on a pool worker and hands how it ended to
// the writer, which commits results in groups; the worker does not wait
// for the commit. What follows the commit (metrics, a retry) runs then.
func (e *Engine) run(j job) {
	ctx, x, en, r := j.ctx, j.x, j.en, j.r
	var res core.ExecuteResult
	var started, finished time.Time
	var lines []core.LogLine
	if err := ctx.Err(); err != nil {
		// Canceled, replaced or shut down while waiting for a worker: it
		// never started.
		res = core.ExecuteResult{Status: core.StatusCanceled, Error: err.Error()}
		finished = e.cfg.Clock.Now()
		r.logs.end()
	} else {
		started = e.cfg.Clock.Now()
		e.metrics.started(x, started)
		x.Status, x.StartedAt, x.Node = core.StatusRunning, started, e.cfg.NodeID
		e.writer.send(write{update: store.ExecutionUpdateParams{
			ID: x.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusRunning, Node: e.cfg.NodeID, StartedAt: started,
		}})
		res = e.cfg.Executor.Execute(ctx, core.ExecuteRequest{Task: en.task, Settings: en.settings, Execution: x, Log: r.logs.add})
		finished = e.cfg.Clock.Now()
		lines = r.logs.end()
	}

	status, errMsg := res.Status, res.Error
	switch {
	case e.runCtx.Err() != nil && (status == core.StatusCanceled || status == core.StatusFailed):
		status, errMsg = core.StatusInterrupted, "the node shut down while the execution ran"
	case ctx.Err() != nil && (status == core.StatusCanceled || status == core.StatusFailed):
		status, errMsg = core.StatusCanceled, "canceled on request"
		e.mu.Lock()
		if !r.replacedBy.IsZero() {
			errMsg = "replaced by the execution of " + r.replacedBy.Format(time.RFC3339Nano) + " (concurrency: replace)"
		}
		e.mu.Unlock()
	case !status.Final():
		status, errMsg = core.StatusFailed, fmt.Sprintf("the executor returned status %q", res.Status)
	}
	r.cancel()
	e.finished(x)
	retry := false
	switch status {
	case core.StatusFailed, core.StatusTimedOut, core.StatusInterrupted:
		retry = x.Attempt < en.task.Retry.MaxAttempts
	}
	// From pending too: the start may not have been recorded (it lost a
	// race with a cancel, or its write failed); the result carries the
	// start time.
	e.writer.send(write{
		update: store.ExecutionUpdateParams{
			ID: x.ID, From: []core.ExecutionStatus{core.StatusPending, core.StatusRunning}, Status: status,
			Node: e.cfg.NodeID, StartedAt: started, FinishedAt: finished, Output: res.Output, Error: errMsg,
		},
		lines: lines,
		after: func() {
			e.metrics.ended(x, en.task.Executor, status, started, finished)
			if !retry {
				e.wg.Done()
				return
			}
			// Claiming the retry calls the store: not on the writer's
			// goroutine.
			go func() {
				defer e.wg.Done()
				e.retry(ctx, x, en, finished)
			}()
		},
	})
}

// finished forgets a running execution and, if the task has nothing else
// running here, starts the next late run in its catch-up backlog.
func (e *Engine) finished(x core.Execution) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.running, x.ID)
	if m := e.byTask[x.TaskID]; m != nil {
		delete(m, x.ID)
		if len(m) == 0 {
			delete(e.byTask, x.TaskID)
		}
	}
	if q := e.backlog[x.TaskID]; len(q) > 0 && len(e.byTask[x.TaskID]) == 0 {
		next := q[0]
		next.at = e.cfg.Clock.Now()
		heap.Push(&e.ready, next)
		if len(q) == 1 {
			delete(e.backlog, x.TaskID)
		} else {
			e.backlog[x.TaskID] = q[1:]
		}
		e.signal()
	}
}

// retry claims the next attempt of a failed, timed-out or interrupted
// execution and queues it to start after the task's backoff. The attempt
// keeps the instant (the fence key includes the attempt) and links to the
// first attempt. During shutdown the attempt is claimed but not queued:
// it stays pending, and the next start of this node runs it.
func (e *Engine) retry(ctx context.Context, x core.Execution, en entry, failedAt time.Time) {
	// The execution's context may be canceled (shutdown, cancel): the
	// retry is claimed all the same.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	next := e.underLease(nextAttempt(x, e.cfg.NodeID))
	claimed, err := e.claim(ctx, []core.Execution{next})
	if err != nil {
		e.log.Error("claim a retry", "task", x.TaskName, "attempt", next.Attempt, "err", err)
		return
	}
	if len(claimed) == 0 {
		return // another owner claimed this attempt already
	}
	delay := en.task.Retry.Backoff(next.Attempt, rand.Float64()) //nolint:gosec // jitter needs no cryptographic randomness
	e.mu.Lock()
	if !e.stopping {
		heap.Push(&e.ready, ready{x: claimed[0], at: failedAt.Add(delay), en: &en})
	}
	e.mu.Unlock()
	e.signal()
}

// logBuffer collects an execution's log lines until it ends, and lets
// followers read them as they come (LogsSince).
type logBuffer struct {
	execution string
	clock     clock.Clock
	mu        sync.Mutex
	lines     []core.LogLine
	dropped   int
	// changed, when a follower waits, is closed at the next line or at
	// the end; nil while nobody waits, so that logging costs no channel.
	changed chan struct{}
	ended   bool
}

func (b *logBuffer) add(level, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) >= maxLogLines {
		b.dropped++
		return
	}
	b.lines = append(b.lines, core.LogLine{
		ExecutionID: b.execution, Seq: int64(len(b.lines) + 1), Time: b.clock.Now(), Level: level, Message: msg,
	})
	b.wakeLocked()
}

func (b *logBuffer) wakeLocked() {
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
}

// end returns every line, with a note of those dropped, and wakes the
// followers for the last time.
func (b *logBuffer) end() []core.LogLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := b.lines
	if b.dropped > 0 {
		lines = append(lines, core.LogLine{
			ExecutionID: b.execution, Seq: int64(len(lines) + 1), Time: b.clock.Now(), Level: "warn",
			Message: fmt.Sprintf("%d more log lines were dropped (the engine keeps %d per execution)", b.dropped, maxLogLines),
		})
	}
	b.ended = true
	b.wakeLocked()
	return lines
}

// since returns the lines after seq and a channel closed when there are
// more or the execution ends; ended reports that no more will come here.
func (b *logBuffer) since(seq int64) (lines []core.LogLine, changed <-chan struct{}, ended bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if seq < int64(len(b.lines)) {
		lines = slices.Clone(b.lines[max(seq, 0):])
	}
	if b.ended {
		return lines, nil, true
	}
	if b.changed == nil {
		b.changed = make(chan struct{})
	}
	return lines, b.changed, false
}

// LogsSince returns the log lines after seq of an execution running on
// this node, and a channel closed when more come or the execution ends.
// ok is false when the execution does not run here (it ended, waits in no
// queue of this node, or runs on another node): its lines are then in the
// store, or on their way there with its result.
func (e *Engine) LogsSince(executionID string, seq int64) (lines []core.LogLine, changed <-chan struct{}, ok bool) {
	e.mu.Lock()
	r := e.running[executionID]
	e.mu.Unlock()
	if r == nil {
		return nil, nil, false
	}
	lines, changed, ended := r.logs.since(seq)
	return lines, changed, !ended
}

// ready is a claimed execution waiting to start at its time: its instant,
// or a retry's backoff.
type ready struct {
	x  core.Execution
	at time.Time
	// en is the task as it was, for a retry; nil means the current one.
	en *entry
	// waited is set once the execution has waited at its instant for a
	// lease past its deadline (dueJobs), so that it is logged once.
	waited bool
}

// readyHeap orders claimed executions by start time, then task ID. It
// holds pointers, so that a sift moves words, not executions.
type readyHeap []*ready

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	if c := h[i].at.Compare(h[j].at); c != 0 {
		return c < 0
	}
	return cmp.Less(h[i].x.TaskID, h[j].x.TaskID)
}
func (h readyHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any) {
	r := x.(ready)
	*h = append(*h, &r)
}

func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

// Stats is what the engine is doing, for the node's status.
type Stats struct {
	// Partitions is how many partitions this node holds.
	Partitions int
	// Tasks is how many tasks it queues for their next instant.
	Tasks int
	// Claimed is how many executions wait for their instant or backoff.
	Claimed int
	// Running is how many executions hold a worker.
	Running int
	// Waiting is how many executions wait for a worker.
	Waiting int
}

// Stats returns what the engine is doing now.
func (e *Engine) Stats() Stats {
	busy, waiting := e.pool.stats()
	e.mu.Lock()
	defer e.mu.Unlock()
	return Stats{Partitions: len(e.leases), Tasks: e.queue.Len(), Claimed: len(e.ready), Running: busy, Waiting: waiting}
}
