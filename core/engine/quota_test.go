package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
)

// nsGauge is an executor that blocks until released and records, per
// namespace, how many executions run at once and the most it saw.
type nsGauge struct {
	mu      sync.Mutex
	running map[string]int
	most    map[string]int
	started chan string
	release chan struct{}
}

func newNSGauge() *nsGauge {
	return &nsGauge{running: map[string]int{}, most: map[string]int{}, started: make(chan string, 64), release: make(chan struct{})}
}

func (g *nsGauge) Execute(ctx context.Context, req core.ExecuteRequest) core.ExecuteResult {
	ns := req.Execution.Namespace
	g.mu.Lock()
	g.running[ns]++
	g.most[ns] = max(g.most[ns], g.running[ns])
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running[ns]--
		g.mu.Unlock()
	}()
	g.started <- ns
	select {
	case <-g.release:
		return core.ExecuteResult{Status: core.StatusSucceeded}
	case <-ctx.Done():
		return core.ExecuteResult{Status: core.StatusCanceled, Error: ctx.Err().Error()}
	}
}

func (g *nsGauge) ValidateConfig(context.Context, core.Task) error { return nil }

// mostRunning returns the most executions of namespace seen at once.
func (g *nsGauge) mostRunning(namespace string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.most[namespace]
}

// waitStarts waits for n executions to start and counts them by namespace.
func waitStarts(t *testing.T, g *nsGauge, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		select {
		case ns := <-g.started:
			got[ns]++
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d executions started: %v", len(got), n, got)
		}
	}
	return got
}

func createNamespace(t *testing.T, st store.Store, name string, q core.QuotaSettings) core.Namespace {
	t.Helper()
	ns, err := st.NamespaceCreate(t.Context(), core.Namespace{Name: name, Settings: core.NamespaceSettings{Quotas: q}})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func createTaskIn(t *testing.T, st store.Store, namespace, name, sched string, retry core.RetryPolicy) core.Task {
	t.Helper()
	task, err := st.TaskCreate(t.Context(), core.Task{Namespace: namespace, Name: name, Schedule: sched, Executor: "rec", Retry: retry})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func namespaceExecutions(t *testing.T, st store.Store, namespace string) []core.Execution {
	t.Helper()
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: namespace, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return page.Executions
}

// counterValue returns the counter's series with the labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() != labels[l.GetName()] {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s has no series %v", name, labels)
	return 0
}

// A namespace's max_concurrent_executions holds its executions below the
// node's own bound, while another namespace's still get workers; raising
// it lets more of the waiting ones start at once.
func TestConcurrencyQuotaCapsOneNamespace(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	g := newNSGauge()
	e, err := engine.New(t.Context(), engine.Config{
		Store: st, Executor: g, Clock: clk, NodeID: "node-1", Workers: 8, NamespaceWorkers: 8,
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	createNamespace(t, st, "a", core.QuotaSettings{MaxConcurrentExecutions: 2})
	createNamespace(t, st, "b", core.QuotaSettings{})
	for i := range 10 {
		createTaskIn(t, st, "a", fmt.Sprintf("a%d", i), "@at 2026-12-01T02:00:01Z", core.RetryPolicy{})
	}
	createTaskIn(t, st, "b", "b0", "@at 2026-12-01T02:00:01Z", core.RetryPolicy{})
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Claim(t.Context(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	clk.Set(e0.Add(time.Second))
	e.Dispatch(clk.Now())

	// Two of a's ten run and b's one runs beside them; a's eight wait
	// although five workers are free.
	if got := waitStarts(t, g, 3); got["a"] != 2 || got["b"] != 1 {
		t.Fatalf("started %v, want 2 of a and 1 of b", got)
	}
	if s := e.Stats(); s.Running != 3 || s.Waiting != 8 {
		t.Fatalf("running %d, waiting %d; want 3 and 8", s.Running, s.Waiting)
	}
	if n := g.mostRunning("a"); n != 2 {
		t.Fatalf("a ran %d at once, want its quota of 2", n)
	}

	// Raised to 4: two more start now, not when one of the two ends.
	e.UpdateNamespace("a", core.NamespaceSettings{Quotas: core.QuotaSettings{MaxConcurrentExecutions: 4}})
	if got := waitStarts(t, g, 2); got["a"] != 2 {
		t.Fatalf("after the raise started %v, want 2 more of a", got)
	}
	if s := e.Stats(); s.Running != 5 || s.Waiting != 6 {
		t.Fatalf("running %d, waiting %d; want 5 and 6", s.Running, s.Waiting)
	}

	// Lowered to 1: the running ones go on, and the rest run one by one.
	e.UpdateNamespace("a", core.NamespaceSettings{Quotas: core.QuotaSettings{MaxConcurrentExecutions: 1}})
	close(g.release)
	e.Wait()
	if n := g.mostRunning("a"); n != 4 {
		t.Fatalf("a ran %d at once, want at most its raised quota of 4", n)
	}
	for _, ns := range []string{"a", "b"} {
		for _, x := range namespaceExecutions(t, st, ns) {
			if x.Status != core.StatusSucceeded {
				t.Errorf("%s/%s: %s (%s)", ns, x.TaskName, x.Status, x.Reason)
			}
		}
	}
	if n := len(namespaceExecutions(t, st, "a")); n != 10 {
		t.Fatalf("a has %d executions, want 10", n)
	}
}

// Scheduled fires and retries beyond a namespace's
// max_executions_per_minute are recorded skipped with a reason naming the
// quota; another namespace fires every instant.
func TestRateQuotaSkipsFiresBeyondIt(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(500 * time.Millisecond))
	rec := &recorder{clock: clk}
	reg := prometheus.NewRegistry()
	e, err := engine.New(t.Context(), engine.Config{
		Store: st, Executor: rec, Clock: clk, NodeID: "node-1", Metrics: reg,
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	createNamespace(t, st, "a", core.QuotaSettings{MaxExecutionsPerMinute: 3})
	createNamespace(t, st, "b", core.QuotaSettings{})
	createTaskIn(t, st, "a", "tick", "* * * * * *", core.RetryPolicy{})
	createTaskIn(t, st, "b", "tick", "* * * * * *", core.RetryPolicy{})
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(70*time.Second))

	// a: :01 to :03 run, then nothing until :01 leaves the window at :62
	// (no 60 seconds may hold more than 3).
	var ran []int
	skipped := 0
	for _, x := range namespaceExecutions(t, st, "a") {
		if x.ScheduledAt.After(e0.Add(70 * time.Second)) {
			continue // claimed ahead
		}
		switch x.Status {
		case core.StatusSucceeded:
			ran = append(ran, int(x.ScheduledAt.Sub(e0)/time.Second))
		case core.StatusSkipped:
			skipped++
			if want := `namespace "a" quota max_executions_per_minute (3) reached; raise settings.quotas.max_executions_per_minute`; x.Reason != want {
				t.Fatalf("skipped with reason %q, want %q", x.Reason, want)
			}
		default:
			t.Fatalf("%+v", x)
		}
	}
	slices.Sort(ran)
	if fmt.Sprint(ran) != "[1 2 3 62 63 64]" || skipped != 64 {
		t.Fatalf("a ran at %v and skipped %d; want [1 2 3 62 63 64] and 64", ran, skipped)
	}
	ranB := 0
	for _, x := range namespaceExecutions(t, st, "b") {
		if x.Status == core.StatusSucceeded {
			ranB++
		} else if x.Status != core.StatusPending || !x.ScheduledAt.After(e0.Add(70*time.Second)) {
			t.Fatalf("b: %+v", x)
		}
	}
	if ranB != 70 {
		t.Fatalf("b ran %d times, want 70", ranB)
	}
	if n := counterValue(t, reg, "kronos_quota_rejections_total", map[string]string{"namespace": "a", "quota": "max_executions_per_minute"}); n != 64 {
		t.Fatalf("kronos_quota_rejections_total = %v, want 64", n)
	}
}

func TestRateQuotaSkipsARetryBeyondIt(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0)
	rec := &recorder{clock: clk, fail: true}
	e := newEngine(t, st, clk, rec)
	createNamespace(t, st, "a", core.QuotaSettings{MaxExecutionsPerMinute: 2})
	createTaskIn(t, st, "a", "flaky", "@at 2026-12-01T02:00:01Z", core.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Second, MaxBackoff: time.Second, Multiplier: 1})
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(30*time.Second))
	if n := len(rec.snapshot()); n != 2 {
		t.Fatalf("%d attempts ran, want 2 (the quota)", n)
	}
	byAttempt := map[int]core.Execution{}
	for _, x := range namespaceExecutions(t, st, "a") {
		byAttempt[x.Attempt] = x
	}
	if len(byAttempt) != 3 || byAttempt[1].Status != core.StatusFailed || byAttempt[2].Status != core.StatusFailed {
		t.Fatalf("executions %+v, want 2 failed attempts and a third skipped", byAttempt)
	}
	if x := byAttempt[3]; x.Status != core.StatusSkipped || !strings.Contains(x.Reason, "settings.quotas.max_executions_per_minute") {
		t.Fatalf("attempt 3 = %+v, want skipped by the quota", x)
	}
}

// A manual trigger beyond the quota is refused with store.ErrQuotaExceeded
// and claims nothing; another namespace's triggers still run.
func TestRateQuotaRefusesManualTriggers(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0)
	rec := &recorder{clock: clk}
	e := newEngine(t, st, clk, rec)
	createNamespace(t, st, "a", core.QuotaSettings{})
	settings := core.NamespaceSettings{Quotas: core.QuotaSettings{MaxExecutionsPerMinute: 2}}
	task := createTaskIn(t, st, "a", "manual", "", core.RetryPolicy{})
	other := createTask(t, st, "other", "")
	for i := range 2 {
		if _, err := e.Trigger(t.Context(), task, settings, nil); err != nil {
			t.Fatalf("trigger %d: %v", i+1, err)
		}
	}
	x, err := e.Trigger(t.Context(), task, settings, nil)
	if !errors.Is(err, store.ErrQuotaExceeded) || !strings.Contains(err.Error(), `namespace "a" quota max_executions_per_minute (2) reached; raise settings.quotas.max_executions_per_minute`) {
		t.Fatalf("third trigger: %v, want ErrQuotaExceeded naming the quota", err)
	}
	if x.ID != "" {
		t.Fatalf("a refused trigger returned execution %+v", x)
	}
	if _, err := e.Trigger(t.Context(), other, core.NamespaceSettings{}, nil); err != nil {
		t.Fatalf("the default namespace's trigger: %v", err)
	}
	// Once the second of the first two has left the window, a trigger
	// runs again.
	clk.Set(e0.Add(61 * time.Second))
	if _, err := e.Trigger(t.Context(), task, settings, nil); err != nil {
		t.Fatalf("a trigger a minute later: %v", err)
	}
	e.Wait()
	if n := len(namespaceExecutions(t, st, "a")); n != 3 {
		t.Fatalf("a has %d executions, want 3", n)
	}
	if n := len(rec.snapshot()); n != 4 {
		t.Fatalf("%d executions ran, want 4", n)
	}
}
