package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// wantFenced checks that err is a refused fenced claim naming exactly the
// partitions stale.
func wantFenced(t *testing.T, err error, stale ...int) {
	t.Helper()
	wantErr(t, err, store.ErrFenced)
	var fe *store.FencedError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v, want a *store.FencedError", err)
	}
	if got := fe.StalePartitions(); !slices.Equal(got, stale) {
		t.Fatalf("stale partitions %v, want %v (%v)", got, stale, err)
	}
	for _, p := range stale {
		if !strings.Contains(err.Error(), fmt.Sprintf("partition %d ", p)) {
			t.Fatalf("error %q does not name partition %d", err, p)
		}
	}
}

// executionCount returns how many executions the default namespace holds.
func executionCount(ctx context.Context, t *testing.T, s store.Store) int {
	t.Helper()
	page := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: store.MaxPageSize}))(t)
	return len(page.Executions)
}

func testPartitionsInit(ctx context.Context, t *testing.T, s store.Store) {
	if got := ok(s.PartitionList(ctx))(t); len(got) != 0 {
		t.Fatalf("a new store lists %d partitions, want none", len(got))
	}
	for _, n := range []int{0, -1, store.MaxPartitions + 1} {
		_, err := s.PartitionsInit(ctx, n)
		wantField(t, err, "partitions")
	}
	if n := ok(s.PartitionsInit(ctx, 8))(t); n != 8 {
		t.Fatalf("init 8 on an empty table returned %d", n)
	}
	// The count is the cluster's, fixed at creation: later calls, with
	// whatever n, return it and change nothing.
	for _, n := range []int{8, 4, 256} {
		if got := ok(s.PartitionsInit(ctx, n))(t); got != 8 {
			t.Fatalf("init %d on 8 partitions returned %d, want 8", n, got)
		}
	}
	list := ok(s.PartitionList(ctx))(t)
	if len(list) != 8 {
		t.Fatalf("listed %d partitions, want 8", len(list))
	}
	for i, p := range list {
		if p.Number != i || p.Epoch != 0 || p.Holder != "" || !p.AcquiredAt.IsZero() {
			t.Fatalf("partition %d = %+v, want number %d at epoch 0, never acquired", i, p, i)
		}
	}
}

func testPartitionsInitConcurrent(ctx context.Context, t *testing.T, s store.Store) {
	const nodes = 10
	got := make([]int, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-start
			n, err := s.PartitionsInit(ctx, 256)
			if err != nil {
				t.Errorf("node %d: %v", i, err)
			}
			got[i] = n
		})
	}
	close(start)
	wg.Wait()
	for i, n := range got {
		if n != 256 {
			t.Errorf("node %d: init returned %d, want 256", i, n)
		}
	}
	if list := ok(s.PartitionList(ctx))(t); len(list) != 256 || list[0].Number != 0 || list[255].Number != 255 {
		t.Fatalf("listed %d partitions after concurrent inits, want 0 to 255", len(list))
	}
	if n := ok(s.PartitionsInit(ctx, 64))(t); n != 256 {
		t.Fatalf("a later init with 64 returned %d, want the stored 256", n)
	}
	if list := ok(s.PartitionList(ctx))(t); len(list) != 256 {
		t.Fatalf("listed %d partitions after a later init, want 256", len(list))
	}
}

func testPartitionAcquire(ctx context.Context, t *testing.T, s store.Store) {
	clk := setClock(t, s)
	ok(s.PartitionsInit(ctx, 4))(t)
	for want := int64(1); want <= 3; want++ {
		clk.Add(time.Second)
		holder := fmt.Sprintf("node-%d", want)
		if got := ok(s.PartitionAcquire(ctx, 2, holder))(t); got != want {
			t.Fatalf("acquisition %d returned epoch %d", want, got)
		}
		p := ok(s.PartitionList(ctx))(t)[2]
		if p.Number != 2 || p.Epoch != want || p.Holder != holder || !p.AcquiredAt.Equal(clk.Now()) || p.AcquiredAt.Location() != time.UTC {
			t.Fatalf("after acquisition %d: %+v, want epoch %d held by %s since %v", want, p, want, holder, clk.Now())
		}
	}
	// The others are untouched.
	for _, p := range ok(s.PartitionList(ctx))(t) {
		if p.Number != 2 && (p.Epoch != 0 || p.Holder != "") {
			t.Fatalf("partition %d changed: %+v", p.Number, p)
		}
	}
	for _, p := range []int{4, -1, 1000} {
		_, err := s.PartitionAcquire(ctx, p, "node-1")
		wantErr(t, err, store.ErrNotFound)
	}
	_, err := s.PartitionAcquire(ctx, 0, strings.Repeat("n", 256))
	wantField(t, err, "holder")
}

func testPartitionAcquireConcurrent(ctx context.Context, t *testing.T, s store.Store) {
	ok(s.PartitionsInit(ctx, 2))(t)
	const nodes = 20
	epochs := make([]int64, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-start
			e, err := s.PartitionAcquire(ctx, 1, fmt.Sprintf("node-%d", i))
			if err != nil {
				t.Errorf("node %d: %v", i, err)
			}
			epochs[i] = e
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(epochs)
	for i, e := range epochs {
		if e != int64(i+1) {
			t.Fatalf("epochs %v, want each of 1 to %d once", epochs, nodes)
		}
	}
	list := ok(s.PartitionList(ctx))(t)
	if list[1].Epoch != nodes || list[0].Epoch != 0 {
		t.Fatalf("partitions %+v, want partition 1 at epoch %d and 0 untouched", list, nodes)
	}
}

func testExecutionClaimFenced(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	ok(s.PartitionsInit(ctx, 4))(t)
	e1 := ok(s.PartitionAcquire(ctx, 1, "node-1"))(t)
	e3 := ok(s.PartitionAcquire(ctx, 3, "node-1"))(t)
	fenced := func(at time.Time, epoch int64) core.Execution {
		x := claimFor(task, at, core.TriggerSchedule, 1)
		x.FencingToken = epoch
		return x
	}

	// Current epochs: the claim goes in, its token stored.
	got := ok(s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 3, Epoch: e3}, {Partition: 1, Epoch: e1}},
		[]core.Execution{fenced(t0, e1), fenced(t0.Add(time.Second), e1)}))(t)
	if len(got) != 2 || got[0].ID == "" || got[0].FencingToken != e1 {
		t.Fatalf("fenced claim with current epochs = %+v", got)
	}
	if x := ok(s.ExecutionGet(ctx, got[0].ID))(t); x.FencingToken != e1 || !x.ScheduledAt.Equal(t0) {
		t.Fatalf("stored %+v", x)
	}
	// The unique (task, instant) key still applies under a valid fence.
	again := ok(s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 1, Epoch: e1}},
		[]core.Execution{fenced(t0, e1), fenced(t0.Add(2*time.Second), e1)}))(t)
	if len(again) != 1 || !again[0].ScheduledAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("re-claim under a valid fence inserted %+v, want only the new instant", again)
	}
	if n := executionCount(ctx, t, s); n != 3 {
		t.Fatalf("%d executions stored, want 3", n)
	}

	// Another holder acquires partition 1: claims under the old epoch are
	// refused and insert nothing, the new epoch's go in.
	e1b := ok(s.PartitionAcquire(ctx, 1, "node-2"))(t)
	_, err := s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 1, Epoch: e1}}, []core.Execution{fenced(t0.Add(3*time.Second), e1)})
	wantFenced(t, err, 1)
	if !strings.Contains(err.Error(), fmt.Sprintf("partition 1 is at epoch %d, not %d", e1b, e1)) {
		t.Fatalf("error %q should say partition 1 is at epoch %d, not %d", err, e1b, e1)
	}
	if n := executionCount(ctx, t, s); n != 3 {
		t.Fatalf("%d executions stored after a refused claim, want 3", n)
	}
	// A mixed batch with one stale fence inserts nothing, not even the
	// executions of the partitions still current.
	_, err = s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 3, Epoch: e3}, {Partition: 1, Epoch: e1}, {Partition: 0, Epoch: 0}},
		[]core.Execution{fenced(t0.Add(4*time.Second), e3), fenced(t0.Add(5*time.Second), e1), fenced(t0.Add(6*time.Second), 0)})
	wantFenced(t, err, 1)
	// An epoch ahead of the partition's is stale too, and a partition that
	// does not exist is named as such.
	_, err = s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 3, Epoch: e3 + 1}, {Partition: 9, Epoch: 1}},
		[]core.Execution{fenced(t0.Add(7*time.Second), e3)})
	wantFenced(t, err, 3, 9)
	if !strings.Contains(err.Error(), "partition 9 does not exist") {
		t.Fatalf("error %q should say partition 9 does not exist", err)
	}
	if n := executionCount(ctx, t, s); n != 3 {
		t.Fatalf("%d executions stored after refused claims, want 3", n)
	}
	got = ok(s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 1, Epoch: e1b}, {Partition: 3, Epoch: e3}, {Partition: 0, Epoch: 0}},
		[]core.Execution{fenced(t0.Add(4*time.Second), e3), fenced(t0.Add(5*time.Second), e1b), fenced(t0.Add(6*time.Second), 0)}))(t)
	if len(got) != 3 {
		t.Fatalf("claim under the current epochs inserted %d, want 3", len(got))
	}

	// Two fences of one partition are a mistake, refused before anything.
	_, err = s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 1, Epoch: e1b}, {Partition: 1, Epoch: e1}}, []core.Execution{fenced(t0.Add(8*time.Second), e1b)})
	wantField(t, err, "fences")
	// Without fences it is ExecutionClaim; without executions, nothing.
	if got := ok(s.ExecutionClaimFenced(ctx, nil, []core.Execution{fenced(t0.Add(8*time.Second), 0)}))(t); len(got) != 1 {
		t.Fatalf("unfenced claim inserted %d, want 1", len(got))
	}
	if got := ok(s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 1, Epoch: e1}}, nil))(t); len(got) != 0 {
		t.Fatalf("claim of nothing returned %+v", got)
	}
	if n := executionCount(ctx, t, s); n != 7 {
		t.Fatalf("%d executions stored, want 7", n)
	}
	// A bad execution is a field error, as in ExecutionClaim.
	_, err = s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 1, Epoch: e1b}}, []core.Execution{{TaskID: task.ID}})
	if !core.IsValidation(err) {
		t.Fatalf("invalid claim: error = %v, want a field error", err)
	}
}

func testServerTime(ctx context.Context, t *testing.T, s store.Store) {
	before := time.Now() //nolint:forbidigo // compared with the database's own clock
	got, err := s.ServerTime(ctx)
	after := time.Now() //nolint:forbidigo // compared with the database's own clock
	if err != nil {
		t.Fatal(err)
	}
	// The database runs on this machine (or one kept in sync): within a
	// second of the call, whatever the round trip.
	if got.Before(before.Add(-time.Second)) || got.After(after.Add(time.Second)) {
		t.Errorf("ServerTime = %v, not within a second of [%v, %v]", got, before, after)
	}
}
