package engine

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// maxMissedRecorded bounds the missed instants of one task that a start
// records one by one: the latest ones, or more if the task's catch-up
// bound is higher (every instant that runs late has its own execution).
// Earlier ones are recorded as one skipped execution that names the
// range. Each record costs tens of microseconds on the embedded store, so
// the bound is what keeps a start after a long outage of many
// second-level tasks in seconds rather than minutes.
const maxMissedRecorded = 100

// claimChunk bounds the executions one claim carries during recovery.
const recoverChunk = 5000

// Load reads every task of the partitions this node holds and queues its
// next instant from now on; then it settles what the downtime left behind
// (see recover).
func (e *Engine) Load(ctx context.Context) error {
	now := e.cfg.Clock.Now()
	nss, err := e.cfg.Store.NamespaceList(ctx)
	if err != nil {
		return fmt.Errorf("engine: load namespaces: %w", err)
	}
	since, err := e.queueTasks(ctx, nss, now, func(string) bool { return true })
	if err != nil {
		return fmt.Errorf("engine: load: %w", err)
	}
	return e.recover(ctx, nss, now, since)
}

// recover settles what a previous run of this node (same node ID) left,
// and the instants nobody fired while it was down:
//
//   - an execution left running was cut off: it is recorded interrupted,
//     and its next attempt is claimed if the task's retry policy allows;
//   - an execution claimed ahead for an instant still to come is adopted
//     and fires at its instant; a pending retry or manual run starts now;
//   - a scheduled instant that passed while the node was down, whether it
//     was claimed before the stop or never, is a misfire, settled by the
//     task's misfire policy (see misfire).
//
// Nothing is left pending, and no instant is dropped without a record.
func (e *Engine) recover(ctx context.Context, nss []core.Namespace, now time.Time, since map[string]time.Time) error {
	var updates []store.ExecutionUpdateParams
	var adopted []ready
	var interrupted []core.Execution
	missedRows := map[string][]core.Execution{}
	for _, ns := range nss {
		cursor := ""
		for {
			page, err := e.cfg.Store.ExecutionList(ctx, store.ExecutionListParams{
				Namespace: ns.Name, Statuses: []core.ExecutionStatus{core.StatusPending, core.StatusRunning},
				Cursor: cursor, Limit: store.MaxPageSize,
			})
			if err != nil {
				return fmt.Errorf("engine: recover executions of %q: %w", ns.Name, err)
			}
			for _, x := range page.Executions {
				e.mu.Lock()
				mine := e.fresh[x.ID]
				e.mu.Unlock()
				if x.Node != e.cfg.NodeID || mine {
					continue
				}
				switch {
				case x.Status == core.StatusRunning:
					updates = append(updates, store.ExecutionUpdateParams{
						ID: x.ID, From: []core.ExecutionStatus{core.StatusRunning}, Status: core.StatusInterrupted,
						FinishedAt: now, Error: "the node stopped while the execution ran", Reason: "node restarted",
					})
					interrupted = append(interrupted, x)
				case x.ScheduledAt.After(now):
					adopted = append(adopted, ready{x: x, at: x.ScheduledAt})
				case x.Attempt > 1 || x.Trigger == core.TriggerManual:
					adopted = append(adopted, ready{x: x, at: now})
				default:
					missedRows[x.TaskID] = append(missedRows[x.TaskID], x)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	if len(updates) > 0 {
		if _, err := e.cfg.Store.ExecutionUpdateMany(ctx, updates); err != nil {
			return fmt.Errorf("engine: record %d executions interrupted by the stop: %w", len(updates), err)
		}
		e.log.Info("recorded executions cut off by the previous stop as interrupted", "count", len(updates))
	}
	for _, x := range interrupted {
		if r, ok := e.retryAfterStop(ctx, x, now); ok {
			adopted = append(adopted, r)
		}
	}

	tasks := e.entries(since)
	var m misfires
	for id, en := range tasks {
		rows := missedRows[id]
		delete(missedRows, id)
		m.settle(en, rows, since[id], now)
	}
	// Missed rows of tasks this node no longer fires (deleted, or moved
	// to another partition) are recorded skipped.
	for _, rows := range missedRows {
		for _, x := range rows {
			m.updates = append(m.updates, skipRow(x, now, "missed: the node was down at the instant, and the task is gone"))
		}
	}
	if err := e.applyMisfires(ctx, &m, now); err != nil {
		return err
	}

	e.mu.Lock()
	for _, r := range adopted {
		heap.Push(&e.ready, r)
	}
	for _, r := range m.run {
		heap.Push(&e.ready, r)
	}
	for id, xs := range m.backlog {
		e.backlog[id] = append(e.backlog[id], xs...)
	}
	e.recovered, e.fresh = true, nil
	e.mu.Unlock()
	e.signal()
	return nil
}

// retryAfterStop claims the next attempt of an execution the stop cut off,
// if its task's retry policy allows one, to start after the backoff.
func (e *Engine) retryAfterStop(ctx context.Context, x core.Execution, now time.Time) (ready, bool) {
	e.mu.Lock()
	en := e.tasks[x.TaskID]
	e.mu.Unlock()
	if en == nil || x.Attempt >= en.task.Retry.MaxAttempts {
		return ready{}, false
	}
	next := e.underLease(nextAttempt(x, e.cfg.NodeID))
	claimed, err := e.claim(ctx, []core.Execution{next})
	if err != nil || len(claimed) == 0 {
		if err != nil {
			e.log.Error("claim the retry of an interrupted execution", "task", x.TaskName, "attempt", next.Attempt, "err", err)
		}
		return ready{}, false
	}
	delay := en.task.Retry.Backoff(next.Attempt, rand.Float64()) //nolint:gosec // jitter needs no cryptographic randomness
	return ready{x: claimed[0], at: now.Add(delay)}, true
}

// nextAttempt is the execution that retries x: the same instant, the next
// attempt, linked to the first.
func nextAttempt(x core.Execution, node string) core.Execution {
	first := x.FirstExecutionID
	if first == "" {
		first = x.ID
	}
	return core.Execution{
		Namespace: x.Namespace, TaskID: x.TaskID, TaskName: x.TaskName, ScheduledAt: x.ScheduledAt,
		Trigger: x.Trigger, Attempt: x.Attempt + 1, FirstExecutionID: first,
		Node: node, Status: core.StatusPending, FencingToken: x.FencingToken,
	}
}

func skipRow(x core.Execution, now time.Time, reason string) store.ExecutionUpdateParams {
	return store.ExecutionUpdateParams{
		ID: x.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusSkipped,
		FinishedAt: now, Reason: reason,
	}
}

// misfires collects what the misfire policies decided, to apply in
// batches.
type misfires struct {
	// updates settle missed executions claimed before the stop.
	updates []store.ExecutionUpdateParams
	// records are missed instants nobody claimed, recorded skipped.
	records []core.Execution
	// runs are missed instants to run late: claimed pending (unless
	// claimed already, in which case ID is set), oldest first per task.
	runs []core.Execution
	// run and backlog are filled by applyMisfires: each task's first late
	// run goes to the ready heap, the rest wait their turn.
	run     []ready
	backlog map[string][]ready
}

// settle applies one task's misfire policy to its missed instants: rows
// claimed before the stop whose instant passed, and the instants after
// since that nobody claimed.
func (m *misfires) settle(en entry, rows []core.Execution, since, now time.Time) {
	slices.SortFunc(rows, func(a, b core.Execution) int { return a.ScheduledAt.Compare(b.ScheduledAt) })
	limit := maxMissedRecorded
	if t := en.task; t.Misfire == core.MisfireCatchUp {
		limit = max(limit, t.CatchUpLimit)
	}
	tail, omitted := en.missed(since, now, limit)
	if len(rows) == 0 && len(tail) == 0 {
		return
	}
	t := en.task
	base := core.Execution{
		Namespace: t.Namespace, TaskID: t.ID, TaskName: t.Name, Attempt: 1,
		Node: "", Status: core.StatusSkipped, FencingToken: en.lease.Epoch(),
	}
	if !omitted.first.IsZero() {
		x := base
		x.ScheduledAt, x.Trigger = omitted.first, core.TriggerSchedule
		count := "more than " + strconv.Itoa(limit)
		if omitted.count > 0 {
			count = strconv.Itoa(omitted.count)
		}
		x.Reason = fmt.Sprintf("misfire: %s instants from %s to %s were missed while no node ran the task; this record stands for all of them",
			count, omitted.first.Format(time.RFC3339), omitted.last.Format(time.RFC3339))
		m.records = append(m.records, x)
	}

	// All missed instants, oldest first: rows first (their instants are at
	// or before since), then the unclaimed ones.
	type missed struct {
		at  time.Time
		row *core.Execution
	}
	all := make([]missed, 0, len(rows)+len(tail))
	for i := range rows {
		all = append(all, missed{at: rows[i].ScheduledAt, row: &rows[i]})
	}
	for _, at := range tail {
		all = append(all, missed{at: at})
	}
	runs := 0
	var why string
	switch t.Misfire {
	case core.MisfireSkip:
		why = "misfire (skip): missed while no node ran the task"
	case core.MisfireCatchUp:
		runs = t.CatchUpLimit
		if runs <= 0 {
			runs = core.DefaultCatchUpLimit
		}
		why = fmt.Sprintf("misfire (catch_up): missed while no node ran the task, beyond the catch-up bound of %d", runs)
	default: // run_once
		runs = 1
		why = "misfire (run_once): missed while no node ran the task; the latest missed instant ran instead"
	}
	cut := max(len(all)-runs, 0)
	for i, ms := range all {
		if i < cut {
			if ms.row != nil {
				m.updates = append(m.updates, skipRow(*ms.row, now, why))
			} else {
				x := base
				x.ScheduledAt, x.Trigger, x.Reason = ms.at, core.TriggerSchedule, why
				x.FinishedAt = now
				m.records = append(m.records, x)
			}
			continue
		}
		if ms.row != nil {
			m.runs = append(m.runs, *ms.row)
			continue
		}
		x := base
		x.ScheduledAt, x.Trigger, x.Status = ms.at, core.TriggerCatchUp, core.StatusPending
		m.runs = append(m.runs, x)
	}
}

// applyMisfires writes what settle decided and queues the late runs: each
// task's oldest goes to the ready heap at now, the others wait in its
// backlog and start one after another.
func (e *Engine) applyMisfires(ctx context.Context, m *misfires, now time.Time) error {
	for i := range m.records {
		m.records[i].Node = e.cfg.NodeID
		m.records[i].FinishedAt = now
	}
	for start := 0; start < len(m.records); start += recoverChunk {
		if _, err := e.claim(ctx, m.records[start:min(start+recoverChunk, len(m.records))]); err != nil {
			return fmt.Errorf("engine: record missed instants: %w", err)
		}
	}
	if len(m.updates) > 0 {
		if _, err := e.cfg.Store.ExecutionUpdateMany(ctx, m.updates); err != nil {
			return fmt.Errorf("engine: record missed instants: %w", err)
		}
	}
	var fresh []core.Execution
	wasFresh := map[string]bool{}
	for i := range m.runs {
		if m.runs[i].ID != "" {
			continue // claimed before the stop
		}
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("engine: execution id: %w", err)
		}
		m.runs[i].ID, m.runs[i].Node = id.String(), e.cfg.NodeID
		fresh = append(fresh, m.runs[i])
		wasFresh[m.runs[i].ID] = true
	}
	inserted := map[string]bool{}
	for start := 0; start < len(fresh); start += recoverChunk {
		got, err := e.claim(ctx, fresh[start:min(start+recoverChunk, len(fresh))])
		if err != nil {
			return fmt.Errorf("engine: claim missed instants to run late: %w", err)
		}
		for _, x := range got {
			inserted[x.ID] = true
		}
	}
	m.backlog = map[string][]ready{}
	queued := map[string]bool{}
	for _, x := range m.runs {
		if wasFresh[x.ID] && !inserted[x.ID] {
			continue // claimed by someone else meanwhile
		}
		if !queued[x.TaskID] {
			queued[x.TaskID] = true
			m.run = append(m.run, ready{x: x, at: now})
			continue
		}
		m.backlog[x.TaskID] = append(m.backlog[x.TaskID], ready{x: x})
	}
	if n := len(m.records) + len(m.updates); n > 0 || len(m.runs) > 0 {
		e.log.Info("settled instants missed while the node was down", "recorded_skipped", n, "run_late", len(m.runs))
	}
	return nil
}

// omission describes missed instants too old to record one by one.
type omission struct {
	first, last time.Time
	// count is how many, or 0 when not counted.
	count int
}

// missed returns the task's instants after since and before now, at most
// limit of them, the latest; omitted describes the earlier ones, if any.
//
// It looks back from now in windows that double (1s, 2s, 4s…) until one
// holds limit instants or reaches since, so the work is about twice the
// instants returned however long the downtime was, instead of one Next
// per instant since the stop (a second-level task down for a week would
// be 604,800).
func (en *entry) missed(since, now time.Time, limit int) (tail []time.Time, omitted omission) {
	if since.IsZero() || !since.Before(now) {
		return nil, omission{}
	}
	gap := now.Sub(since) // saturates rather than overflows
	for w := time.Second; ; w = double(w, gap) {
		reached := w >= gap
		start := now.Add(-w)
		if reached {
			start = since
		}
		last := lastInstants(en, start, now, limit)
		if !reached && last.total < limit {
			continue
		}
		tail = last.ordered()
		if reached && last.total <= limit {
			return tail, omission{}
		}
		omitted.first = en.next(since)
		if !omitted.first.Before(tail[0]) {
			return tail, omission{} // the window held exactly the missed instants
		}
		if reached {
			omitted.count = last.total - limit
		}
		omitted.last = en.instantBefore(omitted.first, tail[0])
		return tail, omitted
	}
}

// instantBefore returns the task's last instant before at and not before
// floor, itself an instant before at; it looks back in doubling windows.
func (en *entry) instantBefore(floor, at time.Time) time.Time {
	gap := at.Sub(floor)
	for w := time.Second; ; w = double(w, gap) {
		start := at.Add(-w)
		if w >= gap {
			start = floor.Add(-time.Nanosecond)
		}
		if r := lastInstants(en, start, at, 1); r.total > 0 {
			return r.buf[0]
		}
		if w >= gap {
			return floor
		}
	}
}

// double returns twice w, but at most limit, without overflowing.
func double(w, limit time.Duration) time.Duration {
	if w >= limit/2 {
		return limit
	}
	return 2 * w
}

// instantRing keeps the last instants seen, up to its size.
type instantRing struct {
	buf   []time.Time
	size  int
	total int
}

// lastInstants returns the task's last limit instants after start and
// before end, and how many there are in all.
func lastInstants(en *entry, start, end time.Time, limit int) instantRing {
	r := instantRing{size: limit}
	for at := en.next(start); !at.IsZero() && at.Before(end); at = en.next(at) {
		if len(r.buf) < r.size {
			r.buf = append(r.buf, at)
		} else {
			r.buf[r.total%r.size] = at
		}
		r.total++
	}
	return r
}

// ordered returns the kept instants, oldest first.
func (r instantRing) ordered() []time.Time {
	if r.total <= r.size {
		return r.buf
	}
	i := r.total % r.size
	return append(slices.Clone(r.buf[i:]), r.buf[:i]...)
}

// queueTasks reads the tasks of nss that keep accepts, queues each from now
// on, and returns per task the instant after which an instant without an
// execution was missed: the last instant its schedule claimed, or the
// task's last change if later (a task created, changed or resumed starts
// afresh; instants before that were not due).
func (e *Engine) queueTasks(ctx context.Context, nss []core.Namespace, now time.Time, keep func(taskID string) bool) (map[string]time.Time, error) {
	since := map[string]time.Time{}
	for _, ns := range nss {
		cursor := ""
		for {
			page, err := e.cfg.Store.TaskList(ctx, store.TaskListParams{Namespace: ns.Name, Cursor: cursor, Limit: store.MaxPageSize})
			if err != nil {
				return nil, fmt.Errorf("tasks of %q: %w", ns.Name, err)
			}
			var ids []string
			for _, t := range page.Tasks {
				if keep(t.ID) {
					ids = append(ids, t.ID)
				}
			}
			if len(ids) > 0 {
				last, err := e.cfg.Store.ExecutionLastScheduled(ctx, ids)
				if err != nil {
					return nil, fmt.Errorf("tasks of %q: %w", ns.Name, err)
				}
				for _, t := range page.Tasks {
					if !keep(t.ID) {
						continue
					}
					e.mu.Lock()
					delete(e.handedOff, t.ID)
					e.mu.Unlock()
					e.upsertFrom(t, ns.Settings, now)
					s := t.UpdatedAt
					if l, ok := last[t.ID]; ok && l.After(s) {
						s = l
					}
					since[t.ID] = s
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	return since, nil
}

// entries returns a copy of the queued entry of each task in since.
func (e *Engine) entries(since map[string]time.Time) map[string]entry {
	e.mu.Lock()
	defer e.mu.Unlock()
	tasks := make(map[string]entry, len(since))
	for id := range since {
		if en := e.tasks[id]; en != nil {
			tasks[id] = *en
		}
	}
	return tasks
}
