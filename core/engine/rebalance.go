package engine

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// rebalance brings the engine's tasks in line with the leases the Leaser
// holds now, after it signalled a change:
//
//   - a task of a partition no longer held is dropped: its next owner
//     fires it. Executions already claimed still run here (they are the
//     claimed instant's one fire).
//   - a task of a partition newly held — or held again under a new lease,
//     after a loss — is read from the store and queued from now on; the
//     instants after the last one its schedule claimed (by whichever node)
//     and before now are misfires, settled by the task's policy as after a
//     restart. After a graceful handoff the previous owner has claimed
//     ahead, so nothing is missed; after its death, up to a lease's TTL is.
//
// Finding the tasks of a partition reads every task (the store does not
// keep the partition): fine for thousands of tasks, and a store index on
// the partition is the fix when it is not.
func (e *Engine) rebalance(ctx context.Context) (err error) {
	now := e.cfg.Clock.Now()
	held := e.cfg.Leaser.Held()
	var gained map[int]bool
	defer func() {
		if err == nil {
			return
		}
		// Forget the partitions gained, so that the next attempt adopts
		// them again from the start.
		e.mu.Lock()
		for p := range gained {
			delete(e.leases, p)
		}
		for id := range e.tasks {
			if gained[PartitionOf(id, e.cfg.Leaser.Partitions())] {
				delete(e.tasks, id)
				e.queue.Remove(id)
			}
		}
		e.mu.Unlock()
	}()
	e.mu.Lock()
	current := make(map[int]Lease, len(held))
	gained = map[int]bool{}
	for _, l := range held {
		current[l.Partition()] = l
		if e.leases[l.Partition()] != l {
			gained[l.Partition()] = true
		}
	}
	e.leases = current
	dropped := 0
	for id, en := range e.tasks {
		p := PartitionOf(id, e.cfg.Leaser.Partitions())
		if l := current[p]; l == nil || l != en.lease {
			delete(e.tasks, id)
			e.queue.Remove(id)
			e.handedOff[id] = true
			dropped++
		}
	}
	e.mu.Unlock()
	if len(gained) == 0 {
		if dropped > 0 {
			e.log.Info("partitions handed over: their tasks fire elsewhere now", "tasks", dropped, "held", len(held))
		}
		return nil
	}

	nss, err := e.cfg.Store.NamespaceList(ctx)
	if err != nil {
		return fmt.Errorf("engine: adopt partitions: list namespaces: %w", err)
	}
	since, err := e.queueTasks(ctx, nss, now, func(id string) bool {
		return gained[PartitionOf(id, e.cfg.Leaser.Partitions())]
	})
	if err != nil {
		return fmt.Errorf("engine: adopt partitions: %w", err)
	}
	tasks := e.entries(since)
	// Executions of these tasks that another node claimed and did not
	// start: it handed the partition over (and leaves them pending) or
	// died. They are this node's now: one still to come starts at its
	// instant, a retry or a manual run starts now, and a first attempt
	// whose instant passed is a misfire like the instants nobody claimed.
	orphans, adopted, err := e.orphans(ctx, nss, tasks, now)
	if err != nil {
		return err
	}
	var m misfires
	for id, en := range tasks {
		m.settle(en, orphans[id], since[id], now)
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
	e.mu.Unlock()
	e.signal()
	level := slog.LevelInfo
	if len(since) == 0 {
		level = slog.LevelDebug // leases arrive in bursts at start: no line per burst
	}
	e.log.Log(ctx, level, "partitions adopted: their tasks fire here now",
		"partitions", len(gained), "tasks", len(since), "late_runs", len(m.runs), "adopted_executions", len(adopted), "missed_recorded", len(m.records), "held", len(held), "dropped_tasks", dropped)
	return nil
}

// adopt runs rebalance and remembers a failure, so that Run tries again
// a second later: a store that does not answer must not leave partitions
// held but unfired.
func (e *Engine) adopt(ctx context.Context) {
	err := e.rebalance(ctx)
	e.mu.Lock()
	e.adoptErr = err
	e.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		e.log.Error("adopt newly leased partitions; retrying in a second", "err", err)
	}
}

func (e *Engine) adoptFailed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.adoptErr != nil
}

// Reconcile brings the tasks of the partitions held in line with the
// store: a task changed or created since it was queued (a change whose
// notice was lost) is queued again from now, and one deleted is dropped.
// In cluster mode it runs periodically as the safety net under the
// change notices; it returns how many tasks it corrected.
func (e *Engine) Reconcile(ctx context.Context) (int, error) {
	now := e.cfg.Clock.Now()
	// Only tasks queued before the listing began may be found deleted: one
	// created (and announced) while it runs may be missing from the list.
	e.mu.Lock()
	before := make(map[string]bool, len(e.tasks))
	for id := range e.tasks {
		before[id] = true
	}
	e.mu.Unlock()
	nss, err := e.cfg.Store.NamespaceList(ctx)
	if err != nil {
		return 0, fmt.Errorf("engine: reconcile: list namespaces: %w", err)
	}
	seen := map[string]bool{}
	fixed := 0
	for _, ns := range nss {
		cursor := ""
		for {
			page, err := e.cfg.Store.TaskList(ctx, store.TaskListParams{Namespace: ns.Name, Cursor: cursor, Limit: store.MaxPageSize})
			if err != nil {
				return fixed, fmt.Errorf("engine: reconcile: tasks of %q: %w", ns.Name, err)
			}
			for _, t := range page.Tasks {
				seen[t.ID] = true
				e.mu.Lock()
				en := e.tasks[t.ID]
				_, held := e.leases[PartitionOf(t.ID, e.cfg.Leaser.Partitions())]
				stale := held && (en == nil || en.task.Version != t.Version || !en.task.UpdatedAt.Equal(t.UpdatedAt))
				e.mu.Unlock()
				if stale {
					e.upsertFrom(t, ns.Settings, now)
					fixed++
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	e.mu.Lock()
	for id := range e.tasks {
		if before[id] && !seen[id] {
			delete(e.tasks, id)
			e.queue.Remove(id)
			fixed++
		}
	}
	e.mu.Unlock()
	if fixed > 0 {
		e.signal()
	}
	return fixed, nil
}

// orphans reads the pending executions of tasks that other nodes (or this
// one, under an earlier lease) claimed and nobody has in hand,
// and sorts them: those whose instant passed and that are first attempts
// of a scheduled instant are returned per task, to be settled as misfires;
// the rest are returned ready to start.
func (e *Engine) orphans(ctx context.Context, nss []core.Namespace, tasks map[string]entry, now time.Time) (map[string][]core.Execution, []ready, error) {
	missed := map[string][]core.Execution{}
	var adopted []ready
	var taken []string
	// This node's own pending executions are adopted too (it held the
	// partition before, lost it and got it back), except those it still
	// has in hand.
	e.mu.Lock()
	inHand := map[string]bool{}
	for _, r := range e.ready {
		inHand[r.x.ID] = true
	}
	for _, rs := range e.backlog {
		for _, r := range rs {
			inHand[r.x.ID] = true
		}
	}
	for _, x := range e.unacked {
		inHand[x.ID] = true
	}
	for id := range e.running { // started; the start may not be stored yet
		inHand[id] = true
	}
	left := make(map[string]bool, len(e.leftPending))
	for id, at := range e.leftPending {
		if at.Before(now.Add(-ownStuckAfter)) {
			delete(e.leftPending, id) // old enough for the rule below
			continue
		}
		left[id] = true
	}
	e.mu.Unlock()
	for _, ns := range nss {
		cursor := ""
		for {
			page, err := e.cfg.Store.ExecutionList(ctx, store.ExecutionListParams{
				Namespace: ns.Name, Statuses: []core.ExecutionStatus{core.StatusPending}, Cursor: cursor, Limit: store.MaxPageSize,
			})
			if err != nil {
				return nil, nil, fmt.Errorf("engine: adopt partitions: pending executions of %q: %w", ns.Name, err)
			}
			for _, x := range page.Executions {
				if _, ok := tasks[x.TaskID]; !ok || inHand[x.ID] {
					continue
				}
				// One of this node's own that just ended may still read
				// pending until the writer stores its result: only rows
				// of its own well past their instant are stuck, or those
				// it left pending when its lease ended (never started).
				if x.Node == e.cfg.NodeID && !left[x.ID] && x.ScheduledAt.After(now.Add(-ownStuckAfter)) {
					continue
				}
				if left[x.ID] {
					taken = append(taken, x.ID)
				}
				switch {
				case x.ScheduledAt.After(now):
					adopted = append(adopted, ready{x: x, at: x.ScheduledAt})
				case x.Attempt > 1 || x.Trigger == core.TriggerManual:
					adopted = append(adopted, ready{x: x, at: now})
				default:
					missed[x.TaskID] = append(missed[x.TaskID], x)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	// Adopted once: run and ended, such an execution may read pending
	// again until its result is stored, and must not be taken twice.
	e.mu.Lock()
	for _, id := range taken {
		delete(e.leftPending, id)
	}
	e.mu.Unlock()
	return missed, adopted, nil
}

// ownStuckAfter is how long after its instant a pending execution of this
// node's own, not in hand, counts as stuck (claimed under a lease the node
// lost) rather than ended and not yet recorded.
const ownStuckAfter = 10 * time.Second
