package engine

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// downStore refuses every write while down is set, as a database that
// does not answer would.
type downStore struct {
	store.Store
	down     atomic.Bool
	refusals atomic.Int64
}

var errDown = errors.New("dial tcp 127.0.0.1:3306: connect: connection refused")

func (s *downStore) ExecutionUpdateMany(ctx context.Context, ps []store.ExecutionUpdateParams) ([]error, error) {
	if s.down.Load() {
		s.refusals.Add(1)
		return nil, errDown
	}
	return s.Store.ExecutionUpdateMany(ctx, ps)
}

func (s *downStore) LogAppend(ctx context.Context, lines []core.LogLine) error {
	if s.down.Load() {
		s.refusals.Add(1)
		return errDown
	}
	return s.Store.LogAppend(ctx, lines)
}

// TestWriterRetriesWhileTheStoreIsDown: a result recorded while the
// database does not answer is written once it answers again, with its
// log lines, instead of being dropped.
func TestWriterRetriesWhileTheStoreIsDown(t *testing.T) {
	base, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = base.Close() })
	task, err := base.TaskCreate(t.Context(), core.Task{Name: "job", Schedule: "@hourly", Executor: "x", Config: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	xs, err := base.ExecutionClaim(t.Context(), []core.Execution{{
		Namespace: core.DefaultNamespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: time.Now(),
		Trigger: core.TriggerSchedule, Attempt: 1, Node: "n", Status: core.StatusPending,
	}})
	if err != nil {
		t.Fatal(err)
	}
	st := &downStore{Store: base}
	st.down.Store(true)
	w := newWriter(context.Background(), st, slog.New(slog.DiscardHandler))
	w.retryFirst = 5 * time.Millisecond
	var done sync.WaitGroup
	done.Add(1)
	w.send(write{
		update: store.ExecutionUpdateParams{
			ID: xs[0].ID, From: []core.ExecutionStatus{core.StatusPending, core.StatusRunning}, Status: core.StatusSucceeded,
			StartedAt: time.Now(), FinishedAt: time.Now(), Output: `{"ok":true}`,
		},
		lines: []core.LogLine{{ExecutionID: xs[0].ID, Seq: 1, Time: time.Now(), Level: "info", Message: "ran"}},
		after: done.Done,
	})
	for st.refusals.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	st.down.Store(false)
	done.Wait()
	got, err := base.ExecutionGet(t.Context(), xs[0].ID)
	if err != nil || got.Status != core.StatusSucceeded {
		t.Fatalf("after the store came back the execution is %v (%v), want succeeded", got.Status, err)
	}
	lines, err := base.LogList(t.Context(), store.LogListParams{ExecutionID: xs[0].ID})
	if err != nil || len(lines) != 1 {
		t.Fatalf("log lines %v, %v; want the one line", lines, err)
	}
}
