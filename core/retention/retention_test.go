package retention_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/retention"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// The service is tested on SQLite; the store methods it calls run the
// conformance suite on both drivers.

var start = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// newStore opens a fresh SQLite store whose clock is clk.
func newStore(t *testing.T, clk clock.Clock) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	st.SetNow(clk.Now)
	return st
}

func newService(t *testing.T, cfg retention.Config) *retention.Service {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	svc, err := retention.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func createTask(t *testing.T, st store.Store, namespace, name string) core.Task {
	t.Helper()
	task, err := st.TaskCreate(t.Context(), core.Task{Namespace: namespace, Name: name, Executor: "http"})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// finished claims one execution of task per instant and records each
// succeeded a minute after its instant, with one log line.
func finished(t *testing.T, st store.Store, task core.Task, instants ...time.Time) []core.Execution {
	t.Helper()
	ctx := t.Context()
	execs := make([]core.Execution, len(instants))
	for i, at := range instants {
		execs[i] = core.Execution{
			Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: at,
			Trigger: core.TriggerSchedule, Attempt: 1, Node: "node-1",
		}
	}
	claimed, err := st.ExecutionClaim(ctx, execs)
	if err != nil || len(claimed) != len(instants) {
		t.Fatalf("claim: %d of %d, %v", len(claimed), len(instants), err)
	}
	for _, e := range claimed {
		if _, err := st.ExecutionUpdate(ctx, store.ExecutionUpdateParams{
			ID: e.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusSucceeded,
			FinishedAt: e.ScheduledAt.Add(time.Minute),
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.LogAppend(ctx, []core.LogLine{{ExecutionID: e.ID, Seq: 1, Time: e.ScheduledAt, Level: "info", Message: "ran"}}); err != nil {
			t.Fatal(err)
		}
	}
	return claimed
}

// hoursAgo returns the instants n, n-1, ... 1 hours before now.
func hoursAgo(now time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for i := n; i >= 1; i-- {
		out = append(out, now.Add(-time.Duration(i)*time.Hour))
	}
	return out
}

// count returns how many executions task has.
func count(t *testing.T, st store.Store, task core.Task) int {
	t.Helper()
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: task.Namespace, TaskID: task.ID, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Executions)
}

func prune(t *testing.T, svc *retention.Service) retention.Result {
	t.Helper()
	res, err := svc.PruneOnce(t.Context())
	if err != nil {
		t.Fatalf("PruneOnce: %v", err)
	}
	return res
}

func TestPruneOnceByAge(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(start)
	st := newStore(t, clk)
	task := createTask(t, st, core.DefaultNamespace, "job")
	// Execution i is scheduled 48-i hours ago and finished a minute
	// later: 0..23 finished more than 24h ago, 24 finished 23h59m ago.
	execs := finished(t, st, task, hoursAgo(start, 48)...)
	svc := newService(t, retention.Config{Store: st, Clock: clk, MaxAge: 24 * time.Hour, KeepPerTask: -1})

	res := prune(t, svc)
	if res.Aged != 24 || res.Trimmed != 0 || res.Tasks != 0 {
		t.Fatalf("result = %+v, want 24 aged and the count rule off", res)
	}
	if n := count(t, st, task); n != 24 {
		t.Fatalf("%d left, want 24", n)
	}
	if _, err := st.ExecutionGet(t.Context(), execs[23].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("execution finished 24h01m ago kept: %v", err)
	}
	if _, err := st.ExecutionGet(t.Context(), execs[24].ID); err != nil {
		t.Errorf("execution finished 23h59m ago deleted: %v", err)
	}
	if lines, _ := st.LogList(t.Context(), store.LogListParams{ExecutionID: execs[0].ID}); len(lines) != 0 {
		t.Errorf("log lines of a deleted execution kept: %v", lines)
	}
	// An hour later, one more is old enough.
	clk.Advance(time.Hour)
	if res := prune(t, svc); res.Aged != 1 {
		t.Fatalf("an hour later: result = %+v, want 1 aged", res)
	}
}

func TestPruneOnceByCount(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(start)
	st := newStore(t, clk)
	if _, err := st.NamespaceCreate(t.Context(), core.Namespace{Name: "payments"}); err != nil {
		t.Fatal(err)
	}
	big := createTask(t, st, core.DefaultNamespace, "big")
	small := createTask(t, st, core.DefaultNamespace, "small")
	other := createTask(t, st, "payments", "other")
	finished(t, st, big, hoursAgo(start, 12)...)
	finished(t, st, small, hoursAgo(start, 2)...)
	finished(t, st, other, hoursAgo(start, 7)...)
	// MaxAge 0 is the default, 30 days: nothing here is that old.
	svc := newService(t, retention.Config{Store: st, Clock: clk, KeepPerTask: 5, BatchSize: 2})

	res := prune(t, svc)
	if res.Trimmed != 7+2 || res.Tasks != 3 || res.Aged != 0 {
		t.Fatalf("result = %+v, want 9 trimmed over 3 tasks", res)
	}
	for _, c := range []struct {
		task core.Task
		want int
	}{{big, 5}, {small, 2}, {other, 5}} {
		if n := count(t, st, c.task); n != c.want {
			t.Errorf("task %s: %d left, want %d", c.task.Name, n, c.want)
		}
	}
	if res := prune(t, svc); res.Trimmed != 0 || res.Tasks != 3 {
		t.Fatalf("second pass: result = %+v, want nothing trimmed", res)
	}
}

// The count rule pages through more tasks than one page holds.
func TestPruneOnceVisitsEveryPageOfTasks(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(start)
	st := newStore(t, clk)
	var last core.Task
	for i := range store.MaxPageSize + 1 {
		last = createTask(t, st, core.DefaultNamespace, fmt.Sprintf("task-%04d", i))
	}
	finished(t, st, last, hoursAgo(start, 3)...)
	svc := newService(t, retention.Config{Store: st, Clock: clk, KeepPerTask: 1})
	res := prune(t, svc)
	if res.Tasks != store.MaxPageSize+1 || res.Trimmed != 2 {
		t.Fatalf("result = %+v, want %d tasks and 2 trimmed", res, store.MaxPageSize+1)
	}
}

func TestPruneOnceDeletesExpiredKV(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(start)
	st := newStore(t, clk)
	ctx := t.Context()
	for key, ttl := range map[string]time.Duration{"short": time.Minute, "long": time.Hour, "forever": 0} {
		if err := st.KVSet(ctx, store.KVSetParams{Namespace: core.DefaultNamespace, Key: key, Value: []byte("v"), TTL: ttl}); err != nil {
			t.Fatal(err)
		}
	}
	svc := newService(t, retention.Config{Store: st, Clock: clk})
	if res := prune(t, svc); res.KVExpired != 0 {
		t.Fatalf("at once: result = %+v, want nothing expired", res)
	}
	clk.Advance(time.Minute)
	if res := prune(t, svc); res.KVExpired != 1 {
		t.Fatalf("after a minute: result = %+v, want 1 expired", res)
	}
	clk.Advance(24 * time.Hour)
	if res := prune(t, svc); res.KVExpired != 1 {
		t.Fatalf("after a day: result = %+v, want 1 more expired", res)
	}
	if _, err := st.KVGet(ctx, core.DefaultNamespace, "forever"); err != nil {
		t.Fatalf("pair without a TTL: %v", err)
	}
}

func TestPruneOnceTrimsAuditEvents(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(start)
	st := newStore(t, clk)
	ctx := t.Context()
	// One event an hour, 47 … 0 hours before start.
	for _, at := range append(hoursAgo(start, 47), start) {
		if _, err := st.AuditAppend(ctx, core.AuditEvent{At: at, Actor: "anonymous", Action: "update-task", Kind: "task", Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	audited := func() int {
		t.Helper()
		events, err := st.AuditList(ctx, store.AuditFilter{Limit: store.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		return len(events)
	}

	// AuditMaxAge 0, the default, keeps audit events forever.
	if res := prune(t, newService(t, retention.Config{Store: st, Clock: clk})); res.AuditTrimmed != 0 || audited() != 48 {
		t.Fatalf("without AuditMaxAge: result = %+v, %d events left, want all 48", res, audited())
	}

	svc := newService(t, retention.Config{Store: st, Clock: clk, AuditMaxAge: 24 * time.Hour, BatchSize: 5})
	// The events of 47 … 25 hours ago are older than 24h; the one of
	// exactly 24 hours ago is not.
	if res := prune(t, svc); res.AuditTrimmed != 23 {
		t.Fatalf("result = %+v, want 23 audit events trimmed", res)
	}
	if n := audited(); n != 25 {
		t.Fatalf("%d audit events left, want 25", n)
	}
	clk.Advance(time.Hour)
	if res := prune(t, svc); res.AuditTrimmed != 1 || res.Aged != 0 {
		t.Fatalf("an hour later: result = %+v, want 1 more audit event trimmed", res)
	}
}

func TestNewRequiresAStore(t *testing.T) {
	t.Parallel()
	if _, err := retention.New(retention.Config{}); err == nil || !strings.Contains(err.Error(), "Store") {
		t.Fatalf("error = %v, want one naming Store", err)
	}
}

// runService starts svc.Run and returns a function that stops it and
// checks that Run returned nil promptly.
func runService(t *testing.T, svc *retention.Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

// asleep waits until the loop has armed its timer: it is between passes.
func asleep(t *testing.T, clk *clock.Fake) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := clk.WaitForTimers(ctx, 1); err != nil {
		t.Fatalf("the loop did not go to sleep: %v", err)
	}
}

func TestRunPrunesEveryInterval(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(start)
	st := newStore(t, clk)
	task := createTask(t, st, core.DefaultNamespace, "job")
	finished(t, st, task, hoursAgo(start, 5)...)
	svc := newService(t, retention.Config{Store: st, Clock: clk, KeepPerTask: 3, Interval: 10 * time.Minute})
	stop := runService(t, svc)

	asleep(t, clk)
	if n := count(t, st, task); n != 5 {
		t.Fatalf("pruned before the first interval: %d left", n)
	}
	clk.Advance(10 * time.Minute)
	asleep(t, clk) // the pass is over once the timer is armed again
	if n := count(t, st, task); n != 3 {
		t.Fatalf("after the first interval: %d left, want 3", n)
	}

	finished(t, st, task, clk.Now().Add(-time.Minute), clk.Now())
	clk.Advance(9 * time.Minute)
	if n := count(t, st, task); n != 5 {
		t.Fatalf("pruned before the second interval: %d left", n)
	}
	clk.Advance(time.Minute)
	asleep(t, clk)
	if n := count(t, st, task); n != 3 {
		t.Fatalf("after the second interval: %d left, want 3", n)
	}

	stop()
	finished(t, st, task, clk.Now().Add(time.Second))
	clk.Advance(time.Hour)
	if n := count(t, st, task); n != 4 {
		t.Fatalf("pruned after Run returned: %d left, want 4", n)
	}
}

// failingStore fails ExecutionDeleteBefore while fail is set.
type failingStore struct {
	store.Store
	fail atomic.Bool
}

var errDown = errors.New("database is away")

func (f *failingStore) ExecutionDeleteBefore(ctx context.Context, p store.ExecutionDeleteBeforeParams) (int64, error) {
	if f.fail.Load() {
		return 0, errDown
	}
	return f.Store.ExecutionDeleteBefore(ctx, p)
}

// syncBuffer is a bytes.Buffer safe for the loop's and the test's
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunLogsStoreErrorsAndContinues(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(start)
	st := &failingStore{Store: newStore(t, clk)}
	st.fail.Store(true)
	task := createTask(t, st, core.DefaultNamespace, "job")
	// Finished 239, 179, 119 and 59 minutes before start: the first two
	// are past MaxAge, the first one past KeepPerTask.
	finished(t, st, task, hoursAgo(start, 4)...)
	var logs syncBuffer
	svc := newService(t, retention.Config{
		Store: st, Clock: clk, MaxAge: 150 * time.Minute, KeepPerTask: 3, Interval: time.Minute,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	runService(t, svc)

	// The age rule fails; the count rule still runs.
	asleep(t, clk)
	clk.Advance(time.Minute)
	asleep(t, clk)
	out := logs.String()
	if !strings.Contains(out, "retention pass failed") || !strings.Contains(out, errDown.Error()) || !strings.Contains(out, "trimmed=1") {
		t.Fatalf("log after a failed pass:\n%s", out)
	}
	if n := count(t, st, task); n != 3 {
		t.Fatalf("%d left after the failed pass, want 3 (the count rule)", n)
	}

	// The database is back: the next pass applies the age rule.
	st.fail.Store(false)
	clk.Advance(time.Minute)
	asleep(t, clk)
	if n := count(t, st, task); n != 2 {
		t.Fatalf("%d left after the database came back, want 2", n)
	}
	if out := logs.String(); !strings.Contains(out, "msg=\"retention pass\" aged=1") {
		t.Fatalf("no successful pass logged:\n%s", out)
	}
}
