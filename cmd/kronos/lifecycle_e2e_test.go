package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// sink is a local HTTP endpoint that counts the requests of each
// execution (by Idempotency-Key) and path. Requests to /block wait until
// release is closed or the client gives up.
type sink struct {
	*httptest.Server
	mu       sync.Mutex
	keys     map[string]int
	byPath   map[string][]string
	release  chan struct{}
	once     sync.Once
	arrivals chan string
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{keys: map[string]int{}, byPath: map[string][]string{}, release: make(chan struct{}), arrivals: make(chan string, 1000)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		s.keys[key]++
		s.byPath[r.URL.Path] = append(s.byPath[r.URL.Path], key)
		s.mu.Unlock()
		s.arrivals <- r.URL.Path
		if r.URL.Path == "/block" {
			select {
			case <-s.release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(func() {
		s.unblock()
		s.Close()
	})
	return s
}

func (s *sink) unblock() { s.once.Do(func() { close(s.release) }) }

// await waits until path has been requested n times in all.
func (s *sink) await(t *testing.T, srv *server, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(startDeadline)
	for {
		s.mu.Lock()
		got := len(s.byPath[path])
		s.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was requested %d times in %s, want %d\n%s", path, got, startDeadline, n, srv.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func createTasks(t *testing.T, dbPath string, tasks ...core.Task) {
	t.Helper()
	createTasksAt(t, dbPath, time.Time{}, tasks...)
}

// createTasksAt creates tasks as if at the given time (zero: now).
func createTasksAt(t *testing.T, dbPath string, at time.Time, tasks ...core.Task) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !at.IsZero() {
		st.SetNow(func() time.Time { return at })
	}
	for _, task := range tasks {
		if _, err := st.TaskCreate(t.Context(), task); err != nil {
			t.Fatal(err)
		}
	}
}

func allExecutions(t *testing.T, dbPath string) []core.Execution {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []core.Execution
	cursor := ""
	for {
		page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: store.MaxPageSize, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Executions...)
		if cursor = page.NextCursor; cursor == "" {
			return out
		}
	}
}

func httpConfig(t *testing.T, url string) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(map[string]any{"method": "POST", "url": url})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// awaitRetry waits until the retry of execution first has reached the sink.
func awaitRetry(t *testing.T, srv *server, sk *sink, dbPath, first string) {
	t.Helper()
	deadline := time.Now().Add(startDeadline)
	for {
		for _, x := range allExecutions(t, dbPath) {
			sk.mu.Lock()
			seen := sk.keys[x.ID] > 0
			sk.mu.Unlock()
			if x.FirstExecutionID == first && seen {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retry of %s never reached the sink\n%s", first, srv.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newDataDir(t *testing.T) (dir, db string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "kronos-data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "kronos.db")
}

// kill -9 in the middle of a running execution, down for a few seconds,
// then a restart: the execution cut off is recorded interrupted and its
// retry runs; every instant of the every-second task has exactly one
// record (run, or skipped by its misfire policy with the reason), and no
// instant reached the sink twice.
func TestServerAfterKill9RecordsInterruptedRetriesAndSettlesMissedInstants(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	dataDir, dbPath := newDataDir(t)
	createTasks(t, dbPath,
		core.Task{
			Name: "slow", Schedule: "* * * * * *", Executor: "http", Config: httpConfig(t, sk.URL+"/block"),
			Concurrency: core.ConcurrencyForbid, Misfire: core.MisfireSkip,
			Retry: core.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Second},
		},
		core.Task{Name: "tick", Schedule: "* * * * * *", Executor: "http", Config: httpConfig(t, sk.URL+"/tick"), Misfire: core.MisfireSkip},
	)
	args := []string{"server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json", "--allow-private-networks"}

	first := startServer(t, args...)
	waitHealthy(t, first.waitURL(t), first)
	sk.await(t, first, "/block", 1)
	sk.await(t, first, "/tick", 2)
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.wait(t)
	time.Sleep(4 * time.Second) // down past the claim-ahead window: instants nobody claimed pass

	second := startServer(t, args...)
	waitHealthy(t, second.waitURL(t), second)
	sk.mu.Lock()
	cutID := sk.byPath["/block"][0]
	sk.mu.Unlock()
	awaitRetry(t, second, sk, dbPath, cutID)
	sk.mu.Lock()
	ticksBefore := len(sk.byPath["/tick"])
	sk.mu.Unlock()
	sk.await(t, second, "/tick", ticksBefore+2)
	sk.unblock()
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := second.wait(t); code != 0 {
		t.Fatalf("exit code %d\n%s", code, second.log)
	}

	xs := allExecutions(t, dbPath)
	byID := map[string]core.Execution{}
	for _, x := range xs {
		byID[x.ID] = x
	}
	sk.mu.Lock()
	defer sk.mu.Unlock()
	for key, n := range sk.keys {
		if n != 1 {
			t.Errorf("execution %s reached the sink %d times", key, n)
		}
		if _, ok := byID[key]; !ok {
			t.Errorf("the sink got Idempotency-Key %q, which is no execution", key)
		}
	}

	// The slow task: the first request was cut off by the kill, and its
	// retry ran after the restart.
	cut := byID[cutID]
	if cut.Status != core.StatusInterrupted || cut.Attempt != 1 {
		t.Fatalf("the execution cut off by kill -9 = %+v, want interrupted", cut)
	}
	retries := 0
	for _, x := range xs {
		if x.FirstExecutionID == cut.ID {
			retries++
			if x.Attempt != 2 || !x.ScheduledAt.Equal(cut.ScheduledAt) || sk.keys[x.ID] != 1 {
				t.Errorf("retry %+v, want attempt 2 of the same instant, run once", x)
			}
		}
	}
	if retries != 1 {
		t.Errorf("%d retries of the execution cut off, want 1", retries)
	}

	// The tick task: one record per instant, from its first to its last.
	var instants []time.Time
	perInstant := map[time.Time][]core.Execution{}
	misfires := 0
	for _, x := range xs {
		if x.TaskName != "tick" {
			continue
		}
		at := x.ScheduledAt.UTC()
		if len(perInstant[at]) == 0 {
			instants = append(instants, at)
		}
		perInstant[at] = append(perInstant[at], x)
		if x.Status == core.StatusSkipped && strings.Contains(x.Reason, "misfire (skip)") {
			misfires++
		}
	}
	slices.SortFunc(instants, func(a, b time.Time) int { return a.Compare(b) })
	for at := instants[0]; !at.After(instants[len(instants)-1]); at = at.Add(time.Second) {
		got := perInstant[at]
		if len(got) != 1 {
			t.Errorf("tick at %s has %d executions, want exactly 1 (no silent miss, no double fire): %+v", at.Format(time.TimeOnly), len(got), got)
			continue
		}
		switch x := got[0]; x.Status {
		case core.StatusSucceeded, core.StatusInterrupted, core.StatusPending:
			// run; cut off by a stop; claimed ahead at the final shutdown
		case core.StatusSkipped:
			if x.Reason == "" {
				t.Errorf("tick at %s skipped with no reason", at.Format(time.TimeOnly))
			}
		default:
			t.Errorf("tick at %s: %+v", at.Format(time.TimeOnly), x)
		}
	}
	if misfires < 2 {
		t.Errorf("%d tick instants recorded as misfires after 4 s down, want at least 2\n%s", misfires, second.log)
	}
}

// A task whose target hangs is cut at its timeout, recorded timed_out, and
// retried by its policy, each attempt timed out in turn.
func TestServerTimesOutAndRetriesAHangingExecution(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	dataDir, dbPath := newDataDir(t)
	// Created two hours ago and never run: its last instant counts as
	// missed, and the start runs it late at once (run_once) instead of
	// the test waiting an hour.
	createTasksAt(t, dbPath, time.Now().Add(-2*time.Hour), core.Task{
		Name: "hang", Schedule: "@every 1h", Executor: "http", Config: httpConfig(t, sk.URL+"/block"),
		Timeout: 300 * time.Millisecond, Misfire: core.MisfireRunOnce,
		Retry: core.RetryPolicy{MaxAttempts: 2, InitialBackoff: 100 * time.Millisecond},
	})
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json", "--allow-private-networks")
	waitHealthy(t, srv.waitURL(t), srv)
	sk.await(t, srv, "/block", 2)
	// Wait for the second attempt to time out too before stopping.
	deadline := time.Now().Add(startDeadline)
	for {
		var done int
		for _, x := range allExecutions(t, dbPath) {
			if x.Status == core.StatusTimedOut {
				done++
			}
		}
		if done >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the attempts were not recorded\n%s", srv.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := srv.wait(t); code != 0 {
		t.Fatalf("exit code %d\n%s", code, srv.log)
	}
	var xs []core.Execution
	for _, x := range allExecutions(t, dbPath) {
		if x.Status == core.StatusSkipped && strings.Contains(x.Reason, "run_once") {
			continue // an older missed hour
		}
		xs = append(xs, x)
	}
	slices.SortFunc(xs, func(a, b core.Execution) int { return a.Attempt - b.Attempt })
	if len(xs) != 2 {
		t.Fatalf("%d executions, want 2 attempts: %+v", len(xs), xs)
	}
	for i, x := range xs {
		if x.Attempt != i+1 || x.Status != core.StatusTimedOut || x.Trigger != core.TriggerCatchUp {
			t.Errorf("attempt %d = %+v, want a timed-out catch-up", i+1, x)
		}
	}
	if xs[1].FirstExecutionID != xs[0].ID {
		t.Errorf("attempt 2 links to %q, want %q", xs[1].FirstExecutionID, xs[0].ID)
	}
}
