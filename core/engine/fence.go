package engine

import (
	"context"
	"errors"
	"slices"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// fenced reports whether x is claimed under its partition's lease: every
// execution of the schedule (fires, late runs and records of missed
// instants, and their retries). A manual run is not: any node may run
// one, whoever owns the task's partition.
func fenced(x *core.Execution) bool { return x.Trigger != core.TriggerManual }

// underLease sets the fencing token of an execution about to be claimed
// (a retry) to the epoch of the lease this node holds now on its
// partition: the failed attempt's may be an older holding's, or a previous
// run's. Without a lease the token stays, and a fenced claim lets the
// store decide.
func (e *Engine) underLease(x core.Execution) core.Execution {
	if !fenced(&x) {
		return x
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if l := e.leases[PartitionOf(x.TaskID, e.cfg.Leaser.Partitions())]; l != nil {
		x.FencingToken = l.Epoch()
	}
	return x
}

// claimFenced claims xs under the fences of their leases (Config.Fenced):
// each fenced execution's partition, at its fencing token, which the
// engine set from the lease it claims under.
//
// When the store refuses a fence, another holder acquired the partition
// since: this node's lease is no longer valid, whatever the lock service
// still says, and the Leaser will report the loss. The claims of the stale
// partitions are dropped (the partition's new owner fires their instants),
// and the rest are claimed again, once. The refused epochs are remembered,
// so that later claims under them are dropped without a round trip.
func (e *Engine) claimFenced(ctx context.Context, xs []core.Execution) ([]core.Execution, error) {
	if len(xs) == 0 {
		return nil, nil
	}
	parts := e.cfg.Leaser.Partitions()
	e.mu.Lock()
	xs, known := e.dropStaleLocked(xs, parts)
	e.mu.Unlock()
	if known > 0 {
		e.log.Debug("dropped claims under epochs the store refused before", "claims", known)
	}
	for attempt := 0; ; attempt++ {
		fences, keep, older := fencesOf(xs, parts)
		if older > 0 {
			e.log.Warn("dropped claims under an older lease of a partition than others of the same batch", "claims", older)
		}
		if len(keep) == 0 {
			return nil, nil
		}
		if len(fences) == 0 {
			return e.cfg.Store.ExecutionClaim(ctx, keep)
		}
		claimed, err := e.cfg.Store.ExecutionClaimFenced(ctx, fences, keep)
		var fe *store.FencedError
		if err == nil || !errors.As(err, &fe) || len(fe.Stale) == 0 {
			return claimed, err
		}
		e.mu.Lock()
		for _, f := range fe.Stale {
			e.stale[f.Partition] = max(e.stale[f.Partition], f.Epoch)
		}
		rest, dropped := e.dropStaleLocked(keep, parts)
		e.mu.Unlock()
		if attempt > 0 {
			return nil, err
		}
		e.log.Warn("the store refused claims under a stale lease: another holder acquired the partitions since; dropping their claims (the partitions' new owners fire them) and claiming the rest again",
			"partitions", fe.StalePartitions(), "dropped", dropped, "rest", len(rest), "err", err)
		xs = rest
	}
}

// dropStaleLocked returns the executions not fenced by an epoch the store
// refused, and how many it dropped. e.mu must be held.
func (e *Engine) dropStaleLocked(xs []core.Execution, parts int) ([]core.Execution, int) {
	if len(e.stale) == 0 {
		return xs, 0
	}
	keep := make([]core.Execution, 0, len(xs))
	for i := range xs {
		if fenced(&xs[i]) {
			if stale, ok := e.stale[PartitionOf(xs[i].TaskID, parts)]; ok && xs[i].FencingToken <= stale {
				continue
			}
		}
		keep = append(keep, xs[i])
	}
	return keep, len(xs) - len(keep)
}

// fencesOf returns one fence per partition of the fenced executions, at
// their fencing token, and the executions to claim under them. Should two
// executions of one partition carry different tokens, the older holding's
// cannot be current: they are dropped, and counted in older.
func fencesOf(xs []core.Execution, parts int) (fences []store.Fence, keep []core.Execution, older int) {
	epochs := map[int]int64{}
	for i := range xs {
		if fenced(&xs[i]) {
			p := PartitionOf(xs[i].TaskID, parts)
			if cur, ok := epochs[p]; !ok || xs[i].FencingToken > cur {
				epochs[p] = xs[i].FencingToken
			}
		}
	}
	keep = xs
	for i := range xs {
		if fenced(&xs[i]) && xs[i].FencingToken != epochs[PartitionOf(xs[i].TaskID, parts)] {
			keep = slices.DeleteFunc(slices.Clone(xs), func(x core.Execution) bool {
				return fenced(&x) && x.FencingToken != epochs[PartitionOf(x.TaskID, parts)]
			})
			older = len(xs) - len(keep)
			break
		}
	}
	fences = make([]store.Fence, 0, len(epochs))
	for p, epoch := range epochs {
		fences = append(fences, store.Fence{Partition: p, Epoch: epoch})
	}
	return fences, keep, older
}
