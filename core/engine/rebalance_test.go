package engine_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
)

// TestPartitionsMoveBetweenNodes hands every partition from node a to node
// b (gracefully), then lets them lie unowned for a while (b died) before a
// takes them back: every instant of every task in the whole window has
// exactly one execution — run, or recorded skipped by the misfire policy —
// and each node fired while it held the partitions.
func TestPartitionsMoveBetweenNodes(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	const partitions = 4
	newNode := func(id string, holds bool) (*engine.Engine, *engine.LocalLeaser) {
		l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: partitions})
		if !holds {
			l.Revoke(0, 1, 2, 3)
		}
		e, err := engine.New(t.Context(), engine.Config{Store: st, Executor: rec, Clock: clk, NodeID: id, Leaser: l})
		if err != nil {
			t.Fatal(err)
		}
		return e, l
	}
	a, la := newNode("a", true)
	b, lb := newNode("b", false)
	tasks := make([]core.Task, 8)
	for i := range tasks {
		tasks[i] = createTask(t, st, fmt.Sprintf("task-%d", i), "* * * * * *")
	}
	for _, e := range []*engine.Engine{a, b} {
		if err := e.Load(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	both := []*engine.Engine{a, b}
	drive(t, clk, both, e0.Add(3*time.Second))

	// Graceful handover: a stops firing, b adopts.
	la.Revoke(0, 1, 2, 3)
	lb.Grant(0, 1, 2, 3)
	for _, e := range both {
		if err := e.Rebalance(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	drive(t, clk, both, e0.Add(6*time.Second))

	// b dies: nobody holds the partitions for 5 s; then a takes them.
	lb.Revoke(0, 1, 2, 3)
	if err := b.Rebalance(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, both, e0.Add(11*time.Second))
	la.Grant(0, 1, 2, 3)
	if err := a.Rebalance(t.Context()); err != nil {
		t.Fatal(err)
	}
	end := e0.Add(14 * time.Second)
	drive(t, clk, both, end)

	byNode := map[string]int{}
	for _, task := range tasks {
		page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: task.ID, Limit: store.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		at := map[int64]int{}
		late := 0
		for _, x := range page.Executions {
			at[x.ScheduledAt.Unix()]++
			if x.Status == core.StatusPending && !x.ScheduledAt.After(end) {
				t.Errorf("%s at %s was left pending by %s: nobody ran or settled it", task.Name, x.ScheduledAt.Format("15:04:05"), x.Node)
			}
			if x.Status == core.StatusSkipped && strings.Contains(x.Reason, "deleted") {
				t.Errorf("%s at %s skipped as deleted by %s during a handover", task.Name, x.ScheduledAt.Format("15:04:05"), x.Node)
			}
			if x.Status == core.StatusSucceeded {
				byNode[x.Node]++
				if x.Trigger == core.TriggerCatchUp {
					late++
				}
			}
		}
		if late == 0 {
			t.Errorf("%s: no late run after the partitions lay unowned (misfire run_once)", task.Name)
		}
		for s := e0.Add(time.Second); !s.After(end); s = s.Add(time.Second) {
			if n := at[s.Unix()]; n != 1 {
				t.Errorf("%s at %s: %d executions, want exactly 1", task.Name, s.Format("15:04:05"), n)
			}
		}
	}
	if byNode["a"] == 0 || byNode["b"] == 0 {
		t.Errorf("runs by node: %v; each should have fired while it held the partitions", byNode)
	}
}

// TestReconcileRepairsLostNotices: changes made behind the engine's back
// (a notice that never came) are picked up by Reconcile.
func TestReconcileRepairsLostNotices(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	e := newEngine(t, st, clk, rec)
	keep := createTask(t, st, "keep", "* * * * * *")
	pause := createTask(t, st, "pause", "* * * * * *")
	gone := createTask(t, st, "gone", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(2*time.Second))
	pause.Paused = true
	if _, err := st.TaskUpdate(t.Context(), pause); err != nil {
		t.Fatal(err)
	}
	if err := st.TaskDelete(t.Context(), store.TaskDeleteParams{Namespace: core.DefaultNamespace, Name: gone.Name}); err != nil {
		t.Fatal(err)
	}
	late := createTask(t, st, "late", "* * * * * *")
	n, err := e.Reconcile(t.Context())
	if err != nil || n != 3 {
		t.Fatalf("Reconcile = %d, %v; want 3 corrections (paused, deleted, created)", n, err)
	}
	if n, err := e.Reconcile(t.Context()); err != nil || n != 0 {
		t.Fatalf("a second Reconcile = %d, %v; want nothing to correct", n, err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(6*time.Second))
	// Instants claimed ahead before the reconcile still fire, as after
	// any change; later ones follow the store.
	count := map[string]int{}
	for _, c := range rec.snapshot() {
		if c.scheduledAt.After(e0.Add(4 * time.Second)) {
			count[c.task]++
		}
	}
	if count[keep.Name] == 0 || count[late.Name] == 0 || count[pause.Name] != 0 || count[gone.Name] != 0 {
		t.Errorf("fires after the reconcile: %v; want keep and late only", count)
	}
}

// shortLeaser holds every partition under leases whose deadline the test
// moves, as a cluster lease is extended: Valid(at) is at < deadline.
type shortLeaser struct {
	mu       sync.Mutex
	deadline time.Time
	leases   []engine.Lease
	changes  chan struct{}
}

type shortLease struct {
	l *shortLeaser
	p int
}

func (s shortLease) Partition() int { return s.p }
func (s shortLease) Epoch() int64   { return 1 }
func (s shortLease) Valid(at time.Time) bool {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	return at.Before(s.l.deadline)
}
func (s shortLease) Lost() <-chan struct{} { return nil }

func newShortLeaser(partitions int, deadline time.Time) *shortLeaser {
	l := &shortLeaser{deadline: deadline, changes: make(chan struct{}, 1)}
	for p := range partitions {
		l.leases = append(l.leases, shortLease{l, p})
	}
	return l
}

func (l *shortLeaser) Partitions() int               { return len(l.leases) }
func (l *shortLeaser) Held() []engine.Lease          { return slices.Clone(l.leases) }
func (l *shortLeaser) Changes() <-chan struct{}      { return l.changes }
func (l *shortLeaser) Release(context.Context) error { return nil }
func (l *shortLeaser) extend(to time.Time)           { l.mu.Lock(); l.deadline = to; l.mu.Unlock() }

// TestInstantsBeyondTheLeaseWaitForItsExtension: an instant within the
// claim lead but past the lease's current deadline is claimed after the
// lease is extended, not dropped.
func TestInstantsBeyondTheLeaseWaitForItsExtension(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	l := newShortLeaser(4, clk.Now().Add(1500*time.Millisecond))
	e, err := engine.New(t.Context(), engine.Config{Store: st, Executor: rec, Clock: clk, NodeID: "n", Leaser: l})
	if err != nil {
		t.Fatal(err)
	}
	task := createTask(t, st, "tick", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Extend the lease by a second at each step, as a holder does.
	for step := range 6 {
		l.extend(clk.Now().Add(1500 * time.Millisecond))
		drive(t, clk, []*engine.Engine{e}, e0.Add(time.Duration(step+1)*time.Second+100*time.Millisecond))
	}
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: task.ID, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	at := map[int64]bool{}
	for _, x := range page.Executions {
		at[x.ScheduledAt.Unix()] = true
	}
	for s := e0.Add(time.Second); !s.After(e0.Add(6 * time.Second)); s = s.Add(time.Second) {
		if !at[s.Unix()] {
			t.Errorf("the instant %s was never claimed", s.Format("15:04:05"))
		}
	}
}

// TestExecutionsLeftAtALapseAreAdoptedWhenTheLeaseReturns: a node claims
// instants ahead, its leases lapse before they come (it leaves them
// pending for the next owner) and it gets the partitions back at once: it
// is the next owner, and the executions it left are settled then, not
// left pending because they are its own and recent.
func TestExecutionsLeftAtALapseAreAdoptedWhenTheLeaseReturns(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	var logs syncBuffer
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: 4})
	e, err := engine.New(t.Context(), engine.Config{Store: st, Executor: rec, Clock: clk, NodeID: "a", Leaser: l, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	tasks := make([]core.Task, 6)
	for i := range tasks {
		tasks[i] = createTask(t, st, fmt.Sprintf("task-%d", i), "* * * * * *")
	}
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	one := []*engine.Engine{e}
	drive(t, clk, one, e0.Add(3*time.Second))
	// The leases lapse; the node has not rebalanced yet when the claimed
	// instants come.
	l.Revoke(0, 1, 2, 3)
	drive(t, clk, one, e0.Add(4*time.Second))
	if !strings.Contains(logs.String(), "lease lost before the instant") {
		t.Fatalf("no claimed execution was left at the lapse; the test did not set up its case:\n%s", logs.String())
	}
	l.Grant(0, 1, 2, 3)
	if err := e.Rebalance(t.Context()); err != nil {
		t.Fatal(err)
	}
	end := e0.Add(8 * time.Second)
	drive(t, clk, one, end)
	for _, task := range tasks {
		page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: task.ID, Limit: store.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		at := map[int64]int{}
		for _, x := range page.Executions {
			at[x.ScheduledAt.Unix()]++
			if x.Status == core.StatusPending && !x.ScheduledAt.After(end) {
				t.Errorf("%s at %s was left pending: nobody ran or settled it", task.Name, x.ScheduledAt.Format("15:04:05"))
			}
		}
		for s := e0.Add(time.Second); !s.After(end); s = s.Add(time.Second) {
			if n := at[s.Unix()]; n != 1 {
				t.Errorf("%s at %s: %d executions, want exactly 1", task.Name, s.Format("15:04:05"), n)
			}
		}
	}
}

// TestALeasePastItsDeadlineThatIsExtendedLosesNoInstant: a holder's
// extension can land after the deadline it reckoned, and the same lease
// is valid again, with no loss and no new owner (cluster.Leaser keeps a
// lease whose extension kept it in Redis). Instants that came while the
// lease was past its deadline are claimed once it is extended, and an
// execution claimed ahead whose instant came in that window waits for it:
// neither is left to a next owner that never comes.
func TestALeasePastItsDeadlineThatIsExtendedLosesNoInstant(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	var logs syncBuffer
	// Valid until 2.5 s: the first claim takes the instants at 1 s and 2 s.
	l := newShortLeaser(4, e0.Add(2500*time.Millisecond))
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	e, err := engine.New(t.Context(), engine.Config{Store: st, Executor: rec, Clock: clk, NodeID: "n", Leaser: l, Logger: slog.New(slog.NewTextHandler(&logs, debug))})
	if err != nil {
		t.Fatal(err)
	}
	task := createTask(t, st, "tick", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	one := []*engine.Engine{e}
	drive(t, clk, one, e0.Add(1100*time.Millisecond))
	// The loop is starved past the deadline: the instant at 2 s, claimed
	// ahead, is due while the lease is past it, and so are the instants
	// at 3 s and 4 s, not claimed yet.
	clk.Set(e0.Add(2700 * time.Millisecond))
	drive(t, clk, one, e0.Add(4200*time.Millisecond))
	if !strings.Contains(logs.String(), "not extended yet") {
		t.Fatalf("no claimed execution waited on the lease; the test did not set up its case:\n%s", logs.String())
	}
	if n := len(rec.snapshot()); n != 1 {
		t.Fatalf("%d executions ran while the lease was past its deadline; want only the one at 1 s", n)
	}
	// The extension lands: the lease is valid again, never lost.
	for step := range 4 {
		l.extend(clk.Now().Add(1500 * time.Millisecond))
		drive(t, clk, one, e0.Add(time.Duration(step+5)*time.Second+200*time.Millisecond))
	}
	end := e0.Add(8 * time.Second)
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: task.ID, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	at := map[int64]int{}
	for _, x := range page.Executions {
		at[x.ScheduledAt.Unix()]++
		if x.Status != core.StatusSucceeded && !x.ScheduledAt.After(end) {
			t.Errorf("the instant %s is %s (%s); want it run once the lease was extended", x.ScheduledAt.Format("15:04:05"), x.Status, x.Reason)
		}
	}
	for s := e0.Add(time.Second); !s.After(end); s = s.Add(time.Second) {
		if n := at[s.Unix()]; n != 1 {
			t.Errorf("the instant %s: %d executions, want exactly 1", s.Format("15:04:05"), n)
		}
	}
}

// unackedStore commits a claim and then reports it failed, once, as when
// the connection is cut after the commit and before its acknowledgement.
type unackedStore struct {
	store.Store
	mu   sync.Mutex
	fail bool
}

func (s *unackedStore) ExecutionClaim(ctx context.Context, xs []core.Execution) ([]core.Execution, error) {
	got, err := s.Store.ExecutionClaim(ctx, xs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && s.fail && len(got) > 0 {
		s.fail = false
		return nil, fmt.Errorf("connection reset after the commit of %d rows", len(got))
	}
	return got, err
}

// TestAClaimUnacknowledgedAtALapseIsAdoptedWhenTheLeaseReturns: a claim
// commits but its acknowledgement is lost, and the lease lapses before the
// retry; the node gets the partitions back at once. The rows it claimed
// are its own and recent, yet they never started: they are adopted and
// run, not left pending as results on their way to the store.
func TestAClaimUnacknowledgedAtALapseIsAdoptedWhenTheLeaseReturns(t *testing.T) {
	st := &unackedStore{Store: newStore(t), fail: true}
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: 4})
	e, err := engine.New(t.Context(), engine.Config{Store: st, Executor: rec, Clock: clk, NodeID: "a", Leaser: l})
	if err != nil {
		t.Fatal(err)
	}
	task := createTask(t, st, "tick", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Claim(t.Context(), clk.Now()); err == nil {
		t.Fatal("the first claim reported no error; the test did not set up its case")
	}
	l.Revoke(0, 1, 2, 3)
	if _, err := e.Claim(t.Context(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	l.Grant(0, 1, 2, 3)
	if err := e.Rebalance(t.Context()); err != nil {
		t.Fatal(err)
	}
	end := e0.Add(5 * time.Second)
	drive(t, clk, []*engine.Engine{e}, end)
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: task.ID, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	at := map[int64]int{}
	for _, x := range page.Executions {
		at[x.ScheduledAt.Unix()]++
		if x.Status == core.StatusPending && !x.ScheduledAt.After(end) {
			t.Errorf("the instant %s was left pending: nobody ran or settled it", x.ScheduledAt.Format("15:04:05"))
		}
	}
	for s := e0.Add(time.Second); !s.After(end); s = s.Add(time.Second) {
		if n := at[s.Unix()]; n != 1 {
			t.Errorf("the instant %s: %d executions, want exactly 1", s.Format("15:04:05"), n)
		}
	}
}
