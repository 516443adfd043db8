package engine

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// SweepGone settles the executions that nodes which are gone left running,
// in the partitions this node holds: nobody else would ever record their
// end. An execution still running on a node for which live reports false,
// and started before startedBefore, is recorded interrupted, and its next
// attempt is claimed and queued after the backoff where its task's retry
// policy allows one, as a restart of that node would have done. The update
// is conditional (still running), so sweeps racing each other, or the node
// itself restarting, record it once; a paused node that wakes up and
// finishes it finds it recorded and its result refused. It returns how many
// executions it recorded.
//
// Cluster mode calls it periodically with the membership's live set; the
// embedded node has no one else to sweep for.
func (e *Engine) SweepGone(ctx context.Context, live func(node string) bool, startedBefore time.Time) (int, error) {
	nss, err := e.cfg.Store.NamespaceList(ctx)
	if err != nil {
		return 0, fmt.Errorf("engine: sweep executions of gone nodes: list namespaces: %w", err)
	}
	swept := 0
	for _, ns := range nss {
		cursor := ""
		for {
			page, err := e.cfg.Store.ExecutionList(ctx, store.ExecutionListParams{
				Namespace: ns.Name, Statuses: []core.ExecutionStatus{core.StatusRunning}, Cursor: cursor, Limit: store.MaxPageSize,
			})
			if err != nil {
				return swept, fmt.Errorf("engine: sweep executions of gone nodes: running executions of %q: %w", ns.Name, err)
			}
			for _, x := range page.Executions {
				if live(x.Node) || x.StartedAt.After(startedBefore) || !e.holds(x.TaskID) {
					continue
				}
				now := e.cfg.Clock.Now()
				_, err := e.cfg.Store.ExecutionUpdate(ctx, store.ExecutionUpdateParams{
					ID: x.ID, From: []core.ExecutionStatus{core.StatusRunning}, Status: core.StatusInterrupted,
					FinishedAt: now, Error: fmt.Sprintf("node %s left the cluster while the execution ran", x.Node),
					Reason: "node gone",
				})
				if err != nil {
					continue // recorded meanwhile (ErrConflict), or the store failed: the next sweep looks again
				}
				swept++
				if r, ok := e.retryAfterStop(ctx, x, now); ok {
					e.mu.Lock()
					if !e.stopping { // else it stays pending for the next owner
						heap.Push(&e.ready, r)
					}
					e.mu.Unlock()
					e.signal()
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	return swept, nil
}

// holds reports whether this node holds the partition of the task.
func (e *Engine) holds(taskID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leases[PartitionOf(taskID, e.cfg.Leaser.Partitions())] != nil
}
