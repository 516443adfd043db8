package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
	"github.com/shiyu-coder/kronos/core/store/storetest"
)

// recorder is the executor of these tests: it records each call with the
// clock's time when it started. (The Wasm host is tested on its own; core
// must not import it.)
type recorder struct {
	clock clock.Clock
	mu    sync.Mutex
	calls []call
	fail  bool
}

type call struct {
	task        string
	scheduledAt time.Time
	startedAt   time.Time
	executionID string
	attempt     int
}

func (r *recorder) Execute(_ context.Context, req core.ExecuteRequest) core.ExecuteResult {
	r.mu.Lock()
	r.calls = append(r.calls, call{req.Task.Name, req.Execution.ScheduledAt, r.clock.Now(), req.Execution.ID, req.Execution.Attempt})
	fail := r.fail
	r.mu.Unlock()
	req.Log("info", "ran "+req.Task.Name)
	if fail {
		return core.ExecuteResult{Status: core.StatusFailed, Error: "target said no"}
	}
	return core.ExecuteResult{Status: core.StatusSucceeded, Output: `{"ok":true}`}
}

func (r *recorder) ValidateConfig(context.Context, core.Task) error { return nil }

// snapshot returns the calls ordered by instant, then task.
func (r *recorder) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.calls)
	slices.SortFunc(out, func(a, b call) int {
		if c := a.scheduledAt.Compare(b.scheduledAt); c != 0 {
			return c
		}
		if c := strings.Compare(a.task, b.task); c != 0 {
			return c
		}
		return a.attempt - b.attempt
	})
	return out
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	// Tasks are created "at" e0, where the tests' fake clocks start, so
	// that a start counts no instants before it as missed.
	var _ storetest.Clock = st
	st.SetNow(func() time.Time { return e0 })
	return st
}

func newEngine(t *testing.T, st store.Store, clk clock.Clock, ex core.Executor) *engine.Engine {
	t.Helper()
	e, err := engine.New(t.Context(), engine.Config{
		Store: st, Executor: ex, Clock: clk, NodeID: "node-1",
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func createTask(t *testing.T, st store.Store, name, sched string) core.Task {
	t.Helper()
	task, err := st.TaskCreate(t.Context(), core.Task{Name: name, Schedule: sched, Executor: "rec", Config: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

var e0 = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

func executions(t *testing.T, st store.Store) []core.Execution {
	t.Helper()
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(page.Executions, func(a, b core.Execution) int { return a.ScheduledAt.Compare(b.ScheduledAt) })
	return page.Executions
}

func TestClaimsAheadAndStartsAtTheInstant(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	rec := &recorder{clock: clk}
	e := newEngine(t, st, clk, rec)
	createTask(t, st, "every_second", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	// At 02:00:00.5 the engine claims the instants of the next 2 s.
	next, err := e.Claim(t.Context(), clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	xs := executions(t, st)
	if len(xs) != 2 || !xs[0].ScheduledAt.Equal(e0.Add(time.Second)) || !xs[1].ScheduledAt.Equal(e0.Add(2*time.Second)) ||
		xs[0].Status != core.StatusPending || xs[0].FencingToken != 1 || xs[0].Node != "node-1" {
		t.Fatalf("claimed %+v", xs)
	}
	if !next.Equal(e0.Add(time.Second)) {
		t.Fatalf("next claim at %v, want 02:00:01 (instant 02:00:03 minus the 2 s lead)", next)
	}
	// Nothing starts before its instant.
	if got := e.Dispatch(clk.Now()); !got.Equal(e0.Add(time.Second)) {
		t.Fatalf("next dispatch = %v", got)
	}
	e.Wait()
	if len(rec.snapshot()) != 0 {
		t.Fatal("started early")
	}
	// At the instant it starts, on time, and the result is recorded.
	clk.Set(e0.Add(time.Second))
	e.Dispatch(clk.Now())
	e.Wait()
	calls := rec.snapshot()
	if len(calls) != 1 || !calls[0].scheduledAt.Equal(e0.Add(time.Second)) || !calls[0].startedAt.Equal(e0.Add(time.Second)) {
		t.Fatalf("calls = %+v", calls)
	}
	x, err := st.ExecutionGet(t.Context(), calls[0].executionID)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != core.StatusSucceeded || x.Output != `{"ok":true}` || !x.StartedAt.Equal(e0.Add(time.Second)) || x.FinishedAt.IsZero() {
		t.Fatalf("recorded %+v", x)
	}
	lines, err := st.LogList(t.Context(), store.LogListParams{ExecutionID: x.ID})
	if err != nil || len(lines) != 1 || lines[0].Message != "ran every_second" {
		t.Fatalf("log lines %+v, %v", lines, err)
	}
}

// drive runs the engines as their loops would, with the fake clock set to
// each instant they ask to wake at, up to and including to.
func drive(t *testing.T, clk *clock.Fake, es []*engine.Engine, to time.Time) {
	t.Helper()
	for range 100000 {
		var wake time.Time
		// Two rounds at each instant: what the first starts may queue more
		// (a retry) by the time it ends; the second round sees it.
		for range 2 {
			wake = time.Time{}
			for _, e := range es {
				next, err := e.Claim(t.Context(), clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				wake = earliest(wake, next)
				wake = earliest(wake, e.Dispatch(clk.Now()))
			}
			for _, e := range es {
				e.Wait() // let each instant's executions finish before time moves
			}
		}
		switch {
		case !clk.Now().Before(to):
			return
		case wake.IsZero() || wake.After(to):
			clk.Set(to)
		case wake.After(clk.Now()):
			clk.Set(wake)
		}
	}
	t.Fatal("drive: the engines never went idle")
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

func TestEverySecondFiresOnceEachOnTime(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	e := newEngine(t, st, clk, rec)
	createTask(t, st, "tick", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(10*time.Second))
	calls := rec.snapshot()
	if len(calls) != 10 {
		t.Fatalf("%d fires in 10 s, want 10: %+v", len(calls), calls)
	}
	for i, c := range calls {
		want := e0.Add(time.Duration(i+1) * time.Second)
		if !c.scheduledAt.Equal(want) || !c.startedAt.Equal(want) {
			t.Errorf("fire %d: scheduled %v started %v, want both %v", i, c.scheduledAt, c.startedAt, want)
		}
	}
}

// Two engines that both believe they own every partition (a split brain,
// a paused node waking up) still fire each instant once: the store's
// (task, instant) key is the fence.
func TestTwoOwnersFireEachInstantOnce(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	a, b := newEngine(t, st, clk, rec), newEngine(t, st, clk, rec)
	for i := range 5 {
		createTask(t, st, fmt.Sprintf("task-%d", i), "* * * * * *")
	}
	for _, e := range []*engine.Engine{a, b} {
		if err := e.Load(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	drive(t, clk, []*engine.Engine{a, b}, e0.Add(5*time.Second))
	seen := map[string]int{}
	for _, c := range rec.snapshot() {
		seen[fmt.Sprint(c.task, c.scheduledAt.Unix())]++
	}
	if len(seen) != 25 {
		t.Fatalf("%d distinct fires, want 25 (5 tasks × 5 s)", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s fired %d times", k, n)
		}
	}
	// Up to 02:00:05 every stored execution ran; later ones are claimed
	// ahead and pending.
	ran := 0
	for _, x := range executions(t, st) {
		switch {
		case !x.ScheduledAt.After(e0.Add(5 * time.Second)):
			if x.Status != core.StatusSucceeded {
				t.Errorf("execution at %v is %s", x.ScheduledAt, x.Status)
			}
			ran++
		case x.Status != core.StatusPending:
			t.Errorf("future execution at %v is %s", x.ScheduledAt, x.Status)
		}
	}
	if ran != 25 {
		t.Fatalf("%d executions up to 02:00:05, want 25", ran)
	}
}

func TestTaskChangesTakeEffectAtOnce(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	e := newEngine(t, st, clk, rec)
	task := createTask(t, st, "job", "*/2 * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(4*time.Second)) // fires at :02 and :04
	// Every 5 s from now on: the next fire is :05, claimed instants of the
	// old schedule (:06) still fire.
	task.Schedule = "*/5 * * * * *"
	e.Upsert(task, core.NamespaceSettings{})
	drive(t, clk, []*engine.Engine{e}, e0.Add(11*time.Second))
	// Paused: nothing more is claimed.
	task.Paused = true
	e.Upsert(task, core.NamespaceSettings{})
	drive(t, clk, []*engine.Engine{e}, e0.Add(20*time.Second))
	var got []int
	for _, c := range rec.snapshot() {
		got = append(got, int(c.scheduledAt.Sub(e0)/time.Second))
	}
	if want := []int{2, 4, 5, 6, 10}; !slices.Equal(got, want) {
		t.Fatalf("fired at seconds %v, want %v", got, want)
	}
	// Resumed, then deleted.
	task.Paused = false
	e.Upsert(task, core.NamespaceSettings{})
	drive(t, clk, []*engine.Engine{e}, e0.Add(26*time.Second))
	e.Remove(task.ID)
	drive(t, clk, []*engine.Engine{e}, e0.Add(40*time.Second))
	got = got[:0]
	for _, c := range rec.snapshot() {
		got = append(got, int(c.scheduledAt.Sub(e0)/time.Second))
	}
	// Deleted at :26: :30 is never claimed.
	if want := []int{2, 4, 5, 6, 10, 20, 25}; !slices.Equal(got, want) {
		t.Fatalf("fired at seconds %v, want %v", got, want)
	}
}

func TestFailedExecutionIsRecorded(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk, fail: true}
	e := newEngine(t, st, clk, rec)
	createTask(t, st, "job", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(time.Second))
	xs := executions(t, st)
	if xs[0].Status != core.StatusFailed || xs[0].Error != "target said no" {
		t.Fatalf("recorded %+v", xs[0])
	}
}

func TestOneShotFiresOnce(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0)
	rec := &recorder{clock: clk}
	e := newEngine(t, st, clk, rec)
	createTask(t, st, "once", "@at 2026-12-01T02:00:03Z")
	createTask(t, st, "manual_only", "")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(10*time.Second))
	calls := rec.snapshot()
	if len(calls) != 1 || calls[0].task != "once" || !calls[0].scheduledAt.Equal(e0.Add(3*time.Second)) {
		t.Fatalf("calls = %+v", calls)
	}
}

// The loop itself, on the real clock: it fires, once per instant, and
// stops when its context ends. Only ordering is asserted.
func TestRunLoopOnTheRealClock(t *testing.T) {
	st := newStore(t)
	rec := &recorder{clock: clock.Real()}
	e := newEngine(t, st, clock.Real(), rec)
	createTask(t, st, "tick", "* * * * * *")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for len(rec.snapshot()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	calls := rec.snapshot()
	if len(calls) < 2 {
		t.Fatalf("%d fires in 20 s", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if !calls[i].scheduledAt.After(calls[i-1].scheduledAt) {
			t.Fatalf("instants not increasing: %v then %v", calls[i-1].scheduledAt, calls[i].scheduledAt)
		}
		if calls[i].scheduledAt.Sub(calls[i-1].scheduledAt) != time.Second {
			t.Fatalf("an instant was skipped: %v then %v", calls[i-1].scheduledAt, calls[i].scheduledAt)
		}
	}
}

// inOrder returns the instants called, in seconds after e0, in the order
// the executor was called.
func (r *recorder) inOrder() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int, len(r.calls))
	for i, c := range r.calls {
		out[i] = int(c.scheduledAt.Sub(e0) / time.Second)
	}
	return out
}

// seconds maps calls to their instants in seconds after e0.
func seconds(calls []call) []int {
	out := make([]int, len(calls))
	for i, c := range calls {
		out[i] = int(c.scheduledAt.Sub(e0) / time.Second)
	}
	return out
}
