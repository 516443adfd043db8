package engine_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
)

// syncBuffer is a log destination that goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A fenced engine whose lease on one partition was taken over behind its
// back (its Leaser still says it holds it: a node paused past its TTL) is
// refused by the store: the partition's next fire leaves no execution row,
// while the other partitions keep firing.
func TestFencedClaimIsRefusedAfterAnotherHolderAcquires(t *testing.T) {
	const parts = 4
	ctx := t.Context()
	st := newStore(t)
	if n, err := st.PartitionsInit(ctx, parts); err != nil || n != parts {
		t.Fatalf("init: %d, %v", n, err)
	}
	var epoch int64
	for p := range parts {
		var err error
		if epoch, err = st.PartitionAcquire(ctx, p, "node-1"); err != nil || epoch != 1 {
			t.Fatalf("acquire %d: epoch %d, %v", p, epoch, err)
		}
	}
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	var logs syncBuffer
	e, err := engine.New(ctx, engine.Config{
		Store: st, Executor: rec, Clock: clk, NodeID: "node-1", Fenced: true,
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: parts, Epoch: epoch}),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Tasks until two partitions have one each.
	byPartition := map[int][]core.Task{}
	partitionOf := map[string]int{}
	for i := 0; len(byPartition) < 2 || i < 6; i++ {
		task := createTask(t, st, fmt.Sprintf("task-%d", i), "* * * * * *")
		p := engine.PartitionOf(task.ID, parts)
		byPartition[p] = append(byPartition[p], task)
		partitionOf[task.Name] = p
	}
	stale := partitionOf["task-0"]
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(3*time.Second))
	for _, x := range executions(t, st) {
		if x.FencingToken != epoch {
			t.Fatalf("claimed %s at %v under token %d, want %d", x.TaskName, x.ScheduledAt, x.FencingToken, epoch)
		}
	}

	// Another node acquires the partition; this engine's lease does not
	// know. What it claimed ahead before stays claimed.
	if got, err := st.PartitionAcquire(ctx, stale, "node-2"); err != nil || got != epoch+1 {
		t.Fatalf("acquire behind the engine's back: epoch %d, %v", got, err)
	}
	var claimedAhead time.Time
	for _, x := range executions(t, st) {
		if partitionOf[x.TaskName] == stale && x.ScheduledAt.After(claimedAhead) {
			claimedAhead = x.ScheduledAt
		}
	}
	if !claimedAhead.After(e0.Add(3 * time.Second)) {
		t.Fatalf("claimed ahead to %v only", claimedAhead)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(10*time.Second))

	last := map[string]time.Time{}
	count := map[string]int{}
	for _, x := range executions(t, st) {
		if x.FencingToken != epoch {
			t.Errorf("%s at %v claimed under token %d, want %d", x.TaskName, x.ScheduledAt, x.FencingToken, epoch)
		}
		count[x.TaskName]++
		if x.ScheduledAt.After(last[x.TaskName]) {
			last[x.TaskName] = x.ScheduledAt
		}
	}
	for name, p := range partitionOf {
		if p == stale {
			if !last[name].Equal(claimedAhead) {
				t.Errorf("%s (stale partition %d): last execution at %v, want none after %v", name, p, last[name], claimedAhead)
			}
			continue
		}
		// Every second up to 02:00:10, and claimed 2 s ahead.
		if !last[name].Equal(e0.Add(12*time.Second)) || count[name] != 12 {
			t.Errorf("%s (partition %d): %d executions, the last at %v; want 12, to 02:00:12", name, p, count[name], last[name])
		}
	}
	for _, c := range rec.snapshot() {
		if partitionOf[c.task] == stale && c.scheduledAt.After(claimedAhead) {
			t.Errorf("%s fired at %v, after its partition was taken over", c.task, c.scheduledAt)
		}
	}
	// One warning, when the store first refused; then the engine knows.
	if n := strings.Count(logs.String(), "the store refused claims under a stale lease"); n != 1 {
		t.Errorf("%d warnings of a refused claim, want 1:\n%s", n, logs.String())
	}

	// A manual run is not fenced: any node may run one.
	x, err := e.Trigger(ctx, byPartition[stale][0], core.NamespaceSettings{}, nil)
	if err != nil {
		t.Fatalf("trigger on the stale partition: %v", err)
	}
	e.Wait()
	if got := status(t, st, x.ID); got.Status != core.StatusSucceeded {
		t.Fatalf("triggered run is %s", got.Status)
	}
}

// A retry is claimed under the lease held now, not the failed attempt's:
// after a restart, the execution the stop cut off carries the previous
// run's epoch, which the store would refuse.
func TestFencedRetryIsClaimedUnderTheCurrentLease(t *testing.T) {
	const parts = 2
	ctx := t.Context()
	st := newStore(t)
	if _, err := st.PartitionsInit(ctx, parts); err != nil {
		t.Fatal(err)
	}
	task, err := st.TaskCreate(ctx, core.Task{
		Name: "job", Executor: "rec",
		Retry: core.RetryPolicy{MaxAttempts: 2, InitialBackoff: 10 * time.Second, Jitter: 0.001},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := engine.PartitionOf(task.ID, parts)
	// The previous run held the partition at epoch 2 and was cut off while
	// the execution ran; this run acquired it again, at epoch 3.
	for range 2 {
		if _, err := st.PartitionAcquire(ctx, p, "node-1"); err != nil {
			t.Fatal(err)
		}
	}
	left, err := st.ExecutionClaimFenced(ctx, []store.Fence{{Partition: p, Epoch: 2}}, []core.Execution{{
		Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: e0,
		Trigger: core.TriggerSchedule, Attempt: 1, Node: "node-1", Status: core.StatusRunning, StartedAt: e0, FencingToken: 2,
	}})
	if err != nil || len(left) != 1 {
		t.Fatalf("claim: %v %d", err, len(left))
	}
	epoch, err := st.PartitionAcquire(ctx, p, "node-1")
	if err != nil || epoch != 3 {
		t.Fatalf("acquire: %d, %v", epoch, err)
	}
	clk := clock.NewFake(e0.Add(time.Minute))
	rec := &recorder{clock: clk}
	e, err := engine.New(ctx, engine.Config{
		Store: st, Executor: rec, Clock: clk, NodeID: "node-1", Fenced: true,
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: parts, Epoch: epoch}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(time.Minute+11*time.Second))
	calls := rec.snapshot()
	if len(calls) != 1 || calls[0].attempt != 2 {
		t.Fatalf("calls %+v, want attempt 2 once", calls)
	}
	if x := status(t, st, calls[0].executionID); x.FencingToken != epoch || x.FirstExecutionID != left[0].ID || x.Status != core.StatusSucceeded {
		t.Fatalf("retry %+v, want it claimed under token %d, linked to %s and succeeded", x, epoch, left[0].ID)
	}
	if x := status(t, st, left[0].ID); x.Status != core.StatusInterrupted || x.FencingToken != 2 {
		t.Fatalf("cut off: %+v", x)
	}
}
