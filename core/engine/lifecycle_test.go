package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
)

// blocker is an executor that runs until released or canceled, and
// reports what it was given.
type blocker struct {
	started chan core.ExecuteRequest
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan core.ExecuteRequest, 16), release: make(chan struct{})}
}

func (b *blocker) Execute(ctx context.Context, req core.ExecuteRequest) core.ExecuteResult {
	b.started <- req
	select {
	case <-b.release:
		if ctx.Err() != nil { // both were ready: the cancel came first
			return core.ExecuteResult{Status: core.StatusCanceled, Error: ctx.Err().Error()}
		}
		return core.ExecuteResult{Status: core.StatusSucceeded, Output: "released"}
	case <-ctx.Done():
		return core.ExecuteResult{Status: core.StatusCanceled, Error: ctx.Err().Error()}
	}
}

func (b *blocker) ValidateConfig(context.Context, core.Task) error { return nil }

func waitStarted(t *testing.T, b *blocker) core.ExecuteRequest {
	t.Helper()
	select {
	case req := <-b.started:
		return req
	case <-time.After(30 * time.Second):
		t.Fatal("the execution never started")
	}
	return core.ExecuteRequest{}
}

func status(t *testing.T, st store.Store, id string) core.Execution {
	t.Helper()
	x, err := st.ExecutionGet(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestTriggerRunsNowWithItsOwnConfig(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0)
	b := newBlocker()
	e := newEngine(t, st, clk, b)
	task := createTask(t, st, "manual_only", "")
	x1, err := e.Trigger(t.Context(), task, core.NamespaceSettings{}, json.RawMessage(`{"full":true}`))
	if err != nil {
		t.Fatal(err)
	}
	// A second trigger in the same millisecond gets the next one.
	x2, err := e.Trigger(t.Context(), task, core.NamespaceSettings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs := map[string]core.ExecuteRequest{}
	for range 2 {
		r := waitStarted(t, b)
		reqs[r.Execution.ID] = r
	}
	close(b.release)
	e.Wait()
	if string(reqs[x1.ID].Task.Config) != `{"full":true}` || string(reqs[x2.ID].Task.Config) != `{}` {
		t.Fatalf("configs: %s and %s", reqs[x1.ID].Task.Config, reqs[x2.ID].Task.Config)
	}
	if x1.Trigger != core.TriggerManual || !x1.ScheduledAt.Equal(e0) || !x2.ScheduledAt.Equal(e0.Add(time.Millisecond)) {
		t.Fatalf("claimed %+v and %+v", x1, x2)
	}
	for _, id := range []string{x1.ID, x2.ID} {
		if x := status(t, st, id); x.Status != core.StatusSucceeded || x.Output != "released" {
			t.Fatalf("recorded %+v", x)
		}
	}
}

func TestCancelARunningExecution(t *testing.T) {
	st := newStore(t)
	b := newBlocker()
	e := newEngine(t, st, clock.NewFake(e0), b)
	task := createTask(t, st, "long", "")
	x, err := e.Trigger(t.Context(), task, core.NamespaceSettings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitStarted(t, b)
	if !e.Cancel(x.ID) {
		t.Fatal("Cancel did not find the running execution")
	}
	e.Wait()
	if got := status(t, st, x.ID); got.Status != core.StatusCanceled {
		t.Fatalf("recorded %+v", got)
	}
	if e.Cancel(x.ID) {
		t.Fatal("Cancel found an execution that had ended")
	}
}

func runEngine(t *testing.T, st store.Store, b *blocker, grace time.Duration) (*engine.Engine, context.CancelFunc, chan error) {
	t.Helper()
	e, err := engine.New(t.Context(), engine.Config{
		Store: st, Executor: b, NodeID: "node-1", ShutdownGrace: grace,
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return e, cancel, done
}

func TestShutdownLetsRunningExecutionsFinishWithinGrace(t *testing.T) {
	st := newStore(t)
	b := newBlocker()
	e, stop, done := runEngine(t, st, b, time.Minute)
	x, err := e.Trigger(t.Context(), createTask(t, st, "job", ""), core.NamespaceSettings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitStarted(t, b)
	stop()
	// Run waits for the execution; it finishes within the grace period.
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) before its running execution ended", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := status(t, st, x.ID); got.Status != core.StatusSucceeded {
		t.Fatalf("recorded %+v", got)
	}
}

func TestShutdownInterruptsExecutionsPastGrace(t *testing.T) {
	st := newStore(t)
	b := newBlocker()
	e, stop, done := runEngine(t, st, b, 100*time.Millisecond)
	x, err := e.Trigger(t.Context(), createTask(t, st, "job", ""), core.NamespaceSettings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitStarted(t, b)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := status(t, st, x.ID)
	if got.Status != core.StatusInterrupted || got.Error == "" || got.FinishedAt.IsZero() {
		t.Fatalf("recorded %+v", got)
	}
	if _, err := e.Trigger(t.Context(), createTask(t, st, "late", ""), core.NamespaceSettings{}, nil); err == nil {
		t.Fatal("a trigger after shutdown started")
	}
}

// A node that crashed left executions behind; when it starts again (same
// node ID) it settles them: running → interrupted, pending for a passed
// instant → the misfire policy, pending for a coming instant →
// adopted and fired once at its instant. Other nodes' executions are not
// its business.
func TestRestartSettlesWhatThePreviousRunLeft(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	rec := &recorder{clock: clk}
	task := createTask(t, st, "tick", "* * * * * *")
	first := newEngine(t, st, clk, rec)
	if err := first.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Claim(t.Context(), clk.Now()); err != nil { // claims :01 and :02
		t.Fatal(err)
	}
	left, err := st.ExecutionClaim(t.Context(), []core.Execution{
		{Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: e0.Add(-2 * time.Second), Trigger: core.TriggerSchedule, Attempt: 1, Node: "node-1"},
		{Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: e0.Add(-time.Second), Trigger: core.TriggerSchedule, Attempt: 1, Node: "node-1"},
		{Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: e0, Trigger: core.TriggerSchedule, Attempt: 1, Node: "node-2"},
	})
	if err != nil || len(left) != 3 {
		t.Fatalf("claim: %v, %d", err, len(left))
	}
	running, missed, foreign := left[0], left[1], left[2]
	if _, err := st.ExecutionUpdate(t.Context(), store.ExecutionUpdateParams{ID: running.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusRunning, StartedAt: running.ScheduledAt}); err != nil {
		t.Fatal(err)
	}
	// The first engine dies here, without shutdown. A new one starts.
	clk.Set(e0.Add(900 * time.Millisecond))
	second := newEngine(t, st, clk, rec)
	if err := second.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if x := status(t, st, running.ID); x.Status != core.StatusInterrupted || x.Error == "" {
		t.Fatalf("left running: %+v", x)
	}
	// The task's misfire policy is run_once (the default), and -1s is its
	// latest missed instant: it runs late, at the start.
	if x := status(t, st, missed.ID); x.Status != core.StatusPending {
		t.Fatalf("left pending, instant passed: %+v", x)
	}
	if x := status(t, st, foreign.ID); x.Status != core.StatusPending {
		t.Fatalf("another node's execution was touched: %+v", x)
	}
	drive(t, clk, []*engine.Engine{second}, e0.Add(3*time.Second))
	var got []int
	for _, c := range rec.snapshot() {
		got = append(got, int(c.scheduledAt.Sub(e0)/time.Second))
	}
	if want := []int{-1, 1, 2, 3}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fired at seconds %v, want %v (the missed -1 late, the adopted :01 and :02 once each, then :03)", got, want)
	}
	if x := status(t, st, missed.ID); x.Status != core.StatusSucceeded {
		t.Fatalf("the missed instant run late: %+v", x)
	}
}

// A failed attempt is retried after the task's backoff, each attempt its
// own execution of the same instant, linked to the first, until
// max_attempts.
func TestFailedAttemptsAreRetriedWithBackoff(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0)
	rec := &recorder{clock: clk, fail: true}
	e := newEngine(t, st, clk, rec)
	task, err := st.TaskCreate(t.Context(), core.Task{
		Name: "flaky", Schedule: "@at 2026-12-01T02:00:01Z", Executor: "rec",
		Retry: core.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: time.Minute, Multiplier: 4, Jitter: 0.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(time.Minute))
	calls := rec.snapshot()
	if len(calls) != 3 {
		t.Fatalf("%d attempts, want 3: %+v", len(calls), calls)
	}
	for i, c := range calls {
		if c.attempt != i+1 || !c.scheduledAt.Equal(e0.Add(time.Second)) {
			t.Fatalf("attempt %d = %+v", i+1, c)
		}
	}
	// Backoff before attempt 2 is 1 s, before attempt 3 is 4 s, each
	// minus up to half for jitter.
	for i, want := range []time.Duration{time.Second, 4 * time.Second} {
		gap := calls[i+1].startedAt.Sub(calls[i].startedAt)
		if gap < want/2 || gap > want {
			t.Errorf("gap before attempt %d = %v, want within [%v, %v]", i+2, gap, want/2, want)
		}
	}
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: task.Namespace, TaskID: task.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Executions) != 3 {
		t.Fatalf("%d executions stored", len(page.Executions))
	}
	first := calls[0].executionID
	for _, x := range page.Executions {
		if x.Status != core.StatusFailed {
			t.Errorf("attempt %d is %s", x.Attempt, x.Status)
		}
		if x.Attempt > 1 && x.FirstExecutionID != first {
			t.Errorf("attempt %d links to %q, want %q", x.Attempt, x.FirstExecutionID, first)
		}
	}
}

// concurrencyTask creates an every-second task with the policy, loads it,
// and starts its 02:00:01 execution, which blocks.
func concurrencyTask(t *testing.T, policy core.ConcurrencyPolicy) (store.Store, *clock.Fake, *blocker, *engine.Engine) {
	t.Helper()
	st := newStore(t)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	b := newBlocker()
	e := newEngine(t, st, clk, b)
	if _, err := st.TaskCreate(t.Context(), core.Task{Name: "long", Schedule: "* * * * * *", Executor: "rec", Concurrency: policy}); err != nil {
		t.Fatal(err)
	}
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Claim(t.Context(), clk.Now()); err != nil { // :01 and :02
		t.Fatal(err)
	}
	clk.Set(e0.Add(time.Second))
	e.Dispatch(clk.Now())
	waitStarted(t, b)
	return st, clk, b, e
}

func byInstant(t *testing.T, st store.Store) map[int]core.Execution {
	t.Helper()
	out := map[int]core.Execution{}
	for _, x := range executions(t, st) {
		out[int(x.ScheduledAt.Sub(e0)/time.Second)] = x
	}
	return out
}

func TestConcurrencyForbidSkipsTheNextInstant(t *testing.T) {
	st, clk, b, e := concurrencyTask(t, core.ConcurrencyForbid)
	clk.Set(e0.Add(2 * time.Second))
	e.Dispatch(clk.Now()) // :01 still runs: :02 is skipped
	close(b.release)
	e.Wait()
	xs := byInstant(t, st)
	if xs[1].Status != core.StatusSucceeded {
		t.Fatalf(":01 = %+v", xs[1])
	}
	if xs[2].Status != core.StatusSkipped || xs[2].Reason == "" {
		t.Fatalf(":02 = %+v", xs[2])
	}
}

func TestConcurrencyReplaceCancelsTheRunningOne(t *testing.T) {
	st, clk, b, e := concurrencyTask(t, core.ConcurrencyReplace)
	clk.Set(e0.Add(2 * time.Second))
	e.Dispatch(clk.Now()) // :02 replaces :01
	waitStarted(t, b)
	close(b.release)
	e.Wait()
	xs := byInstant(t, st)
	if xs[1].Status != core.StatusCanceled || !strings.Contains(xs[1].Error, "replaced by") {
		t.Fatalf(":01 = %+v", xs[1])
	}
	if xs[2].Status != core.StatusSucceeded {
		t.Fatalf(":02 = %+v", xs[2])
	}
}

func TestConcurrencyAllowRunsSideBySide(t *testing.T) {
	st, clk, b, e := concurrencyTask(t, core.ConcurrencyAllow)
	clk.Set(e0.Add(2 * time.Second))
	e.Dispatch(clk.Now())
	waitStarted(t, b)
	close(b.release)
	e.Wait()
	xs := byInstant(t, st)
	if xs[1].Status != core.StatusSucceeded || xs[2].Status != core.StatusSucceeded {
		t.Fatalf("%+v", xs)
	}
}

func TestDeletedTaskClaimedAheadIsRecordedSkipped(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	rec := &recorder{clock: clk}
	e := newEngine(t, st, clk, rec)
	task := createTask(t, st, "gone", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Claim(t.Context(), clk.Now()); err != nil { // :01 and :02
		t.Fatal(err)
	}
	e.Remove(task.ID)
	clk.Set(e0.Add(2 * time.Second))
	e.Dispatch(clk.Now())
	e.Wait()
	if n := len(rec.snapshot()); n != 0 {
		t.Fatalf("a deleted task ran %d times", n)
	}
	for _, x := range executions(t, st) {
		if x.Status != core.StatusSkipped || x.Reason == "" {
			t.Fatalf("claimed ahead, then deleted: %+v", x)
		}
	}
}

// overlapCheck fails the first attempt of the first instant, blocks the
// second instant until released, and records the most executions it saw
// running at once.
type overlapCheck struct {
	mu       sync.Mutex
	running  int
	most     int
	calls    []string
	started  chan struct{}
	release  chan struct{}
	blockAt  time.Time
	failFrom time.Time
}

func (o *overlapCheck) Execute(_ context.Context, req core.ExecuteRequest) core.ExecuteResult {
	o.mu.Lock()
	o.running++
	o.most = max(o.most, o.running)
	o.calls = append(o.calls, fmt.Sprintf(":%02d#%d", int(req.Execution.ScheduledAt.Sub(e0)/time.Second), req.Execution.Attempt))
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.running--
		o.mu.Unlock()
	}()
	switch {
	case req.Execution.ScheduledAt.Equal(o.failFrom) && req.Execution.Attempt == 1:
		return core.ExecuteResult{Status: core.StatusFailed, Error: "first attempt fails"}
	case req.Execution.ScheduledAt.Equal(o.blockAt):
		o.started <- struct{}{}
		<-o.release
	}
	return core.ExecuteResult{Status: core.StatusSucceeded}
}

func (o *overlapCheck) ValidateConfig(context.Context, core.Task) error { return nil }

// Under forbid, a retry that comes due while a later instant runs waits
// for it to end instead of running alongside (or being skipped).
func TestConcurrencyForbidMakesARetryWaitItsTurn(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	ex := &overlapCheck{started: make(chan struct{}, 1), release: make(chan struct{}), failFrom: e0.Add(time.Second), blockAt: e0.Add(2 * time.Second)}
	e := newEngine(t, st, clk, ex)
	if _, err := st.TaskCreate(t.Context(), core.Task{
		Name: "job", Schedule: "* * * * * *", Executor: "rec", Concurrency: core.ConcurrencyForbid,
		Retry: core.RetryPolicy{MaxAttempts: 2, InitialBackoff: 1500 * time.Millisecond, Jitter: 0.001},
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Claim(t.Context(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	clk.Set(e0.Add(time.Second))
	e.Dispatch(clk.Now())
	e.Wait() // :01 failed; its retry is due at about :02.5
	clk.Set(e0.Add(2 * time.Second))
	e.Dispatch(clk.Now())
	<-ex.started // :02 runs
	clk.Set(e0.Add(2600 * time.Millisecond))
	e.Dispatch(clk.Now()) // the retry is due, :02 still runs
	close(ex.release)
	e.Wait()
	e.Dispatch(clk.Now()) // :02 ended: the retry's turn
	e.Wait()
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if fmt.Sprint(ex.calls) != "[:01#1 :02#1 :01#2]" || ex.most != 1 {
		t.Fatalf("calls %v with at most %d at once; want [:01#1 :02#1 :01#2], never two at once", ex.calls, ex.most)
	}
}

// stepLogger logs a line, waits, logs another and ends.
type stepLogger struct {
	logged chan struct{}
	next   chan struct{}
}

func (s *stepLogger) Execute(_ context.Context, req core.ExecuteRequest) core.ExecuteResult {
	req.Log("info", "first")
	s.logged <- struct{}{}
	<-s.next
	req.Log("info", "second")
	<-s.next
	return core.ExecuteResult{Status: core.StatusSucceeded}
}

func (s *stepLogger) ValidateConfig(context.Context, core.Task) error { return nil }

// A follower reads a running execution's lines as they are logged, and is
// told when no more will come from the engine.
func TestLogsSinceFollowsARunningExecution(t *testing.T) {
	st := newStore(t)
	ex := &stepLogger{logged: make(chan struct{}), next: make(chan struct{})}
	e := newEngine(t, st, clock.NewFake(e0), ex)
	x, err := e.Trigger(t.Context(), createTask(t, st, "talker", ""), core.NamespaceSettings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-ex.logged
	lines, changed, ok := e.LogsSince(x.ID, 0)
	if !ok || len(lines) != 1 || lines[0].Message != "first" || lines[0].Seq != 1 {
		t.Fatalf("lines %+v ok %v", lines, ok)
	}
	ex.next <- struct{}{}
	<-changed // the second line
	lines, changed, ok = e.LogsSince(x.ID, 1)
	if !ok || len(lines) != 1 || lines[0].Message != "second" {
		t.Fatalf("after seq 1: %+v ok %v", lines, ok)
	}
	close(ex.next)
	<-changed // the end
	e.Wait()
	if _, _, ok := e.LogsSince(x.ID, 2); ok {
		t.Fatal("an ended execution is still followed in the engine")
	}
	stored, err := st.LogList(t.Context(), store.LogListParams{ExecutionID: x.ID})
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored lines %+v %v", stored, err)
	}
}
