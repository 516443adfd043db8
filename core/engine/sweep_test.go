package engine_test

import (
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
)

// Executions left running by a node that is gone are recorded interrupted
// by the node holding their partitions, and retried by their task's retry
// policy; those of live nodes, recent ones, and those of partitions held
// elsewhere are left alone, and a second sweep records nothing twice.
func TestSweepGoneInterruptsAndRetries(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	rec := &recorder{clock: clk}
	retried, err := st.TaskCreate(t.Context(), core.Task{
		Name: "retried", Schedule: "@at 2026-12-01T03:00:00Z", Executor: "rec",
		Retry: core.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Second, MaxBackoff: time.Second, Multiplier: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	once := createTask(t, st, "once", "@at 2026-12-01T03:00:00Z")
	leaser := engine.NewLocalLeaser(engine.LocalLeaserConfig{})
	e, err := engine.New(t.Context(), engine.Config{Store: st, Executor: rec, Clock: clk, NodeID: "node-1", Leaser: leaser})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	started := e0.Add(-time.Minute)
	run := func(task core.Task, node string, at time.Time) core.Execution {
		t.Helper()
		xs, err := st.ExecutionClaim(t.Context(), []core.Execution{{
			Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: at,
			Trigger: core.TriggerSchedule, Attempt: 1, Node: node,
		}})
		if err != nil || len(xs) != 1 {
			t.Fatalf("claim: %v, %d", err, len(xs))
		}
		if _, err := st.ExecutionUpdate(t.Context(), store.ExecutionUpdateParams{ID: xs[0].ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusRunning, StartedAt: started}); err != nil {
			t.Fatal(err)
		}
		return xs[0]
	}
	gone := run(retried, "node-dead", e0.Add(-time.Minute))
	noRetry := run(once, "node-dead", e0.Add(-time.Minute))
	alive := run(retried, "node-2", e0.Add(-2*time.Minute))
	live := func(node string) bool { return node == "node-1" || node == "node-2" }

	// Not yet past the grace: nothing is touched.
	if n, err := e.SweepGone(t.Context(), live, started.Add(-time.Second)); err != nil || n != 0 {
		t.Fatalf("sweep before the grace: %d, %v", n, err)
	}
	n, err := e.SweepGone(t.Context(), live, clk.Now())
	if err != nil || n != 2 {
		t.Fatalf("sweep: %d, %v; want 2", n, err)
	}
	for _, x := range []core.Execution{gone, noRetry} {
		if got := status(t, st, x.ID); got.Status != core.StatusInterrupted || got.Reason != "node gone" || got.Error == "" {
			t.Fatalf("execution of the gone node: %+v", got)
		}
	}
	if got := status(t, st, alive.ID); got.Status != core.StatusRunning {
		t.Fatalf("a live node's execution was touched: %+v", got)
	}
	if n, err := e.SweepGone(t.Context(), live, clk.Now()); err != nil || n != 0 {
		t.Fatalf("second sweep: %d, %v; want 0", n, err)
	}

	// The retried task's second attempt runs after the backoff, here.
	drive(t, clk, []*engine.Engine{e}, e0.Add(5*time.Second))
	calls := rec.snapshot()
	if len(calls) != 1 || calls[0].task != "retried" || calls[0].attempt != 2 || !calls[0].scheduledAt.Equal(gone.ScheduledAt) {
		t.Fatalf("calls %+v, want attempt 2 of the retried task's interrupted instant", calls)
	}
	if got := status(t, st, calls[0].executionID); got.FirstExecutionID != gone.ID || got.Node != "node-1" {
		t.Fatalf("the retry %+v: want it linked to %s and run by node-1", got, gone.ID)
	}

	// Partitions held elsewhere are not this node's to sweep.
	other := run(once, "node-dead", e0.Add(-3*time.Minute))
	leaser.Revoke(engine.PartitionOf(once.ID, leaser.Partitions()))
	if err := e.Rebalance(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, err := e.SweepGone(t.Context(), live, clk.Now()); err != nil || n != 0 {
		t.Fatalf("sweep of a partition not held: %d, %v; want 0", n, err)
	}
	if got := status(t, st, other.ID); got.Status != core.StatusRunning {
		t.Fatalf("an execution of a partition held elsewhere was touched: %+v", got)
	}
}
