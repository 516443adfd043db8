package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
)

// createPolicyTask creates an every-second task with a misfire policy.
func createPolicyTask(t *testing.T, st store.Store, name string, policy core.MisfirePolicy, catchUp int) core.Task {
	t.Helper()
	task, err := st.TaskCreate(t.Context(), core.Task{
		Name: name, Schedule: "* * * * * *", Executor: "rec", Misfire: policy, CatchUpLimit: catchUp,
	})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// seconds maps executions to their instant in seconds after e0.
func bySecond(xs []core.Execution) map[int]core.Execution {
	out := map[int]core.Execution{}
	for _, x := range xs {
		out[int(x.ScheduledAt.Sub(e0)/time.Second)] = x
	}
	return out
}

// startAfterDowntime creates the task "at" e0 (the store's clock in these
// tests), then starts an engine at e0 + down, as if no node ran between.
func startAfterDowntime(t *testing.T, st store.Store, down time.Duration, ex core.Executor) (*engine.Engine, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(e0.Add(down))
	e := newEngine(t, st, clk, ex)
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e, clk
}

func TestMisfireSkipRecordsEveryMissedInstantAndRunsNone(t *testing.T) {
	st := newStore(t)
	createPolicyTask(t, st, "tick", core.MisfireSkip, 0)
	rec := &recorder{}
	e, clk := startAfterDowntime(t, st, 10*time.Second+500*time.Millisecond, rec)
	rec.clock = clk
	drive(t, clk, []*engine.Engine{e}, e0.Add(12*time.Second))
	xs := bySecond(executions(t, st))
	for s := 1; s <= 12; s++ {
		x, ok := xs[s]
		switch {
		case !ok:
			t.Errorf(":%02d has no execution: a silent miss", s)
		case s <= 10 && (x.Status != core.StatusSkipped || !strings.Contains(x.Reason, "misfire (skip)")):
			t.Errorf(":%02d = %s %q, want skipped by the misfire policy", s, x.Status, x.Reason)
		case s > 10 && x.Status != core.StatusSucceeded:
			t.Errorf(":%02d = %s, want succeeded on time", s, x.Status)
		}
	}
	if _, ok := xs[0]; ok {
		t.Errorf("the instant of the task's creation was not missed: %+v", xs[0])
	}
	if got := seconds(rec.snapshot()); fmt.Sprint(got) != "[11 12]" {
		t.Errorf("ran %v, want [11 12]", got)
	}
}

func TestMisfireRunOnceRunsTheLatestMissedInstantLate(t *testing.T) {
	st := newStore(t)
	createPolicyTask(t, st, "tick", core.MisfireRunOnce, 0)
	rec := &recorder{}
	e, clk := startAfterDowntime(t, st, 10*time.Second+500*time.Millisecond, rec)
	rec.clock = clk
	drive(t, clk, []*engine.Engine{e}, e0.Add(12*time.Second))
	xs := bySecond(executions(t, st))
	for s := 1; s <= 9; s++ {
		if x := xs[s]; x.Status != core.StatusSkipped || !strings.Contains(x.Reason, "run_once") {
			t.Errorf(":%02d = %s %q, want skipped by run_once", s, x.Status, x.Reason)
		}
	}
	if x := xs[10]; x.Status != core.StatusSucceeded || x.Trigger != core.TriggerCatchUp || !x.StartedAt.Equal(e0.Add(10500*time.Millisecond)) {
		t.Errorf(":10 = %+v, want run late at the start as a catch-up", x)
	}
	if got := seconds(rec.snapshot()); fmt.Sprint(got) != "[10 11 12]" {
		t.Errorf("ran %v, want [10 11 12]", got)
	}
}

// catch_up runs the latest catch_up_limit missed instants, oldest first
// and one after another (never side by side), records the older ones
// skipped, then the schedule goes on.
func TestMisfireCatchUpRunsTheBoundOldestFirstOneAtATime(t *testing.T) {
	st := newStore(t)
	createPolicyTask(t, st, "tick", core.MisfireCatchUp, 3)
	rec := &recorder{}
	e, clk := startAfterDowntime(t, st, 10*time.Second+500*time.Millisecond, rec)
	rec.clock = clk
	// One dispatch starts only the oldest late run; the next waits for it.
	e.Dispatch(clk.Now())
	e.Wait()
	if got := rec.inOrder(); fmt.Sprint(got) != "[8]" {
		t.Fatalf("first dispatch ran %v, want [8] alone", got)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(12*time.Second))
	if got := rec.inOrder(); fmt.Sprint(got) != "[8 9 10 11 12]" {
		t.Errorf("ran %v in that order, want [8 9 10 11 12]", got)
	}
	xs := bySecond(executions(t, st))
	for s := 1; s <= 7; s++ {
		if x := xs[s]; x.Status != core.StatusSkipped || !strings.Contains(x.Reason, "catch-up bound of 3") {
			t.Errorf(":%02d = %s %q, want skipped beyond the bound", s, x.Status, x.Reason)
		}
	}
	for s := 8; s <= 10; s++ {
		if x := xs[s]; x.Status != core.StatusSucceeded || x.Trigger != core.TriggerCatchUp {
			t.Errorf(":%02d = %s %s, want a succeeded catch-up", s, x.Status, x.Trigger)
		}
	}
}

// After days down, a second-level task's start stays cheap: the latest
// 100 missed instants are recorded one by one, the older ones as one
// record naming the range, and the catch-up runs the latest few.
func TestMisfireAfterLongDowntimeIsBounded(t *testing.T) {
	st := newStore(t)
	createPolicyTask(t, st, "tick", core.MisfireCatchUp, 5)
	rec := &recorder{}
	down := 72 * time.Hour
	_, clk := startAfterDowntime(t, st, down, rec)
	rec.clock = clk
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	xs := page.Executions
	if page.NextCursor != "" {
		next, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: store.MaxPageSize, Cursor: page.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, next.Executions...)
	}
	var skipped, pending, summary int
	for _, x := range xs {
		switch {
		case x.Status == core.StatusPending && x.Trigger == core.TriggerCatchUp:
			pending++
			if x.ScheduledAt.Before(e0.Add(down - 5*time.Second)) {
				t.Errorf("catch-up of %v, want only the latest 5", x.ScheduledAt)
			}
		case x.Status == core.StatusSkipped && strings.Contains(x.Reason, "this record stands for all of them"):
			summary++
			if !x.ScheduledAt.Equal(e0.Add(time.Second)) {
				t.Errorf("the summary record is at %v, want the first missed instant", x.ScheduledAt)
			}
		case x.Status == core.StatusSkipped:
			skipped++
		default:
			t.Errorf("unexpected %+v", x)
		}
	}
	if pending != 5 || skipped != 95 || summary != 1 {
		t.Fatalf("pending %d, skipped %d, summary %d; want 5, 95, 1", pending, skipped, summary)
	}
}

// A task changed (or resumed) after its last execution counts missed
// instants from the change, not from before it: the schedule it had
// before was not due.
func TestMisfireCountsFromTheTasksLastChange(t *testing.T) {
	st := newStore(t)
	task := createPolicyTask(t, st, "tick", core.MisfireSkip, 0)
	if _, err := st.ExecutionClaim(t.Context(), []core.Execution{{
		Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: e0.Add(-time.Hour),
		Trigger: core.TriggerSchedule, Attempt: 1, Node: "node-1", Status: core.StatusSucceeded,
	}}); err != nil {
		t.Fatal(err)
	}
	_, _ = startAfterDowntime(t, st, 3*time.Second+500*time.Millisecond, &recorder{})
	if xs := executions(t, st); len(xs) != 4 { // the old one, then :01 :02 :03 skipped
		t.Fatalf("%d executions, want 4 (missed instants counted from the task's last change at e0)", len(xs))
	}
}

func TestMisfireIgnoresPausedTasks(t *testing.T) {
	st := newStore(t)
	task := createPolicyTask(t, st, "tick", core.MisfireRunOnce, 0)
	task.Paused = true
	if _, err := st.TaskUpdate(t.Context(), task); err != nil {
		t.Fatal(err)
	}
	_, _ = startAfterDowntime(t, st, time.Minute, &recorder{})
	if xs := executions(t, st); len(xs) != 0 {
		t.Fatalf("a paused task got %d executions after downtime: %+v", len(xs), xs[0])
	}
}

// After a crash (no shutdown), an execution left running is recorded
// interrupted, and where the task's retry policy allows, its next attempt
// runs after the backoff.
func TestRestartRetriesAnInterruptedExecution(t *testing.T) {
	st := newStore(t)
	task, err := st.TaskCreate(t.Context(), core.Task{
		Name: "job", Executor: "rec",
		Retry: core.RetryPolicy{MaxAttempts: 2, InitialBackoff: 10 * time.Second, Jitter: 0.001},
	})
	if err != nil {
		t.Fatal(err)
	}
	left, err := st.ExecutionClaim(t.Context(), []core.Execution{{
		Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: e0,
		Trigger: core.TriggerManual, Attempt: 1, Node: "node-1", Status: core.StatusRunning, StartedAt: e0,
	}})
	if err != nil || len(left) != 1 {
		t.Fatalf("claim: %v %d", err, len(left))
	}
	rec := &recorder{}
	e, clk := startAfterDowntime(t, st, time.Minute, rec)
	rec.clock = clk
	if x := status(t, st, left[0].ID); x.Status != core.StatusInterrupted {
		t.Fatalf("left running: %+v", x)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(time.Minute+5*time.Second))
	if n := len(rec.snapshot()); n != 0 {
		t.Fatalf("the retry ran before its backoff: %d calls", n)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(time.Minute+11*time.Second))
	calls := rec.snapshot()
	if len(calls) != 1 || calls[0].attempt != 2 {
		t.Fatalf("calls %+v, want attempt 2 once", calls)
	}
	if x := status(t, st, calls[0].executionID); x.FirstExecutionID != left[0].ID || x.Status != core.StatusSucceeded {
		t.Fatalf("retry %+v, want linked to %s and succeeded", x, left[0].ID)
	}
}

// A graceful shutdown that cuts an execution off past the grace period
// records it interrupted and, where the task retries, leaves its next
// attempt pending for the next start, which runs it.
func TestShutdownLeavesTheRetryOfAnInterruptedExecutionForTheNextStart(t *testing.T) {
	st := newStore(t)
	task, err := st.TaskCreate(t.Context(), core.Task{
		Name: "job", Executor: "rec", Retry: core.RetryPolicy{MaxAttempts: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newBlocker()
	e, stop, done := runEngine(t, st, b, 50*time.Millisecond)
	x, err := e.Trigger(t.Context(), task, core.NamespaceSettings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitStarted(t, b)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := status(t, st, x.ID); got.Status != core.StatusInterrupted {
		t.Fatalf("cut off: %+v", got)
	}
	rec := &recorder{clock: clock.Real()}
	next := newEngine(t, st, clock.Real(), rec)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := next.Load(ctx); err != nil {
		t.Fatal(err)
	}
	next.Dispatch(time.Now())
	next.Wait()
	calls := rec.snapshot()
	if len(calls) != 1 || calls[0].attempt != 2 {
		t.Fatalf("next start ran %+v, want attempt 2", calls)
	}
}

// The look-back that finds missed instants terminates and stays exact at
// the edges: a task changed at the zero time, or a gap shorter than a
// second, or a window holding exactly the bound.
func TestMisfireLookBackEdges(t *testing.T) {
	st := newStore(t)
	// An hourly task down for exactly 100 hours and a bit: 100 missed, the
	// bound.
	if _, err := st.TaskCreate(t.Context(), core.Task{Name: "hourly", Schedule: "0 * * * *", Executor: "rec", Misfire: core.MisfireSkip}); err != nil {
		t.Fatal(err)
	}
	_, _ = startAfterDowntime(t, st, 100*time.Hour+time.Minute, &recorder{})
	xs := executions(t, st)
	summaries := 0
	for _, x := range xs {
		if strings.Contains(x.Reason, "this record stands for all of them") {
			summaries++
		}
	}
	if len(xs) != 100 || summaries != 0 {
		t.Fatalf("%d records (%d summaries), want the 100 missed hours one by one", len(xs), summaries)
	}
}

// slowList is a store whose task listing takes (fake) time.
type slowList struct {
	store.Store
	clk  *clock.Fake
	took time.Duration
}

func (s slowList) TaskList(ctx context.Context, p store.TaskListParams) (store.TaskPage, error) {
	page, err := s.Store.TaskList(ctx, p)
	s.clk.Set(s.clk.Now().Add(s.took))
	return page, err
}

// Instants that pass while a long start-up load runs are claimed late,
// not lost between the misfire range and the first queued instant.
func TestInstantsDuringALongLoadAreNotLost(t *testing.T) {
	st := newStore(t)
	createPolicyTask(t, st, "tick", core.MisfireSkip, 0)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	rec := &recorder{clock: clk}
	e := newEngine(t, slowList{Store: st, clk: clk, took: 3 * time.Second}, clk, rec)
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(5*time.Second))
	if got := seconds(rec.snapshot()); fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Fatalf("ran %v, want every second from the load's start: [1 2 3 4 5]", got)
	}
}

// A catch-up bound above the recording bound is honoured: every instant
// that runs late is among those recorded one by one.
func TestMisfireCatchUpBoundAboveTheRecordingBound(t *testing.T) {
	st := newStore(t)
	createPolicyTask(t, st, "tick", core.MisfireCatchUp, 300)
	_, _ = startAfterDowntime(t, st, time.Hour, &recorder{})
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, Statuses: []core.ExecutionStatus{core.StatusPending}, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Executions) != 300 {
		t.Fatalf("%d late runs claimed, want the catch-up bound of 300", len(page.Executions))
	}
}
