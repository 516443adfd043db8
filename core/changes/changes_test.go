package changes_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/changes"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
	"github.com/shiyu-coder/kronos/internal/redistest"
)

// engine records what the Bus asks of it.
type engine struct {
	mu         sync.Mutex
	calls      []string
	reconciles int
	running    map[string]bool
}

func (e *engine) record(s string) {
	e.mu.Lock()
	e.calls = append(e.calls, s)
	e.mu.Unlock()
}

func (e *engine) Upsert(t core.Task, _ core.NamespaceSettings) { e.record("upsert " + t.Name) }
func (e *engine) Remove(id string)                             { e.record("remove " + id) }
func (e *engine) UpdateNamespace(name string, s core.NamespaceSettings) {
	e.record("namespace " + name)
}

func (e *engine) Cancel(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, "cancel "+id)
	return e.running[id]
}

func (e *engine) Trigger(context.Context, core.Task, core.NamespaceSettings, json.RawMessage) (core.Execution, error) {
	return core.Execution{}, nil
}

func (e *engine) Reconcile(context.Context) (int, error) {
	e.mu.Lock()
	e.reconciles++
	e.mu.Unlock()
	return 0, nil
}

func (e *engine) has(s string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Contains(e.calls, s)
}

func (e *engine) count(s string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.calls {
		if c == s {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 5 s", what)
		}
	}
}

// TestChangesReachTheOtherNodes: a change made through one node's Bus is
// applied there at once and on the other node from the store; a cancel
// reaches the node that runs the execution; nobody applies its own notice
// twice, and each Bus reconciles once it has subscribed.
func TestChangesReachTheOtherNodes(t *testing.T) {
	rc := redistest.Client(t)
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	channel := redistest.Prefix() + "changes"

	engines := map[string]*engine{"a": {running: map[string]bool{}}, "b": {running: map[string]bool{}}}
	buses := map[string]*changes.Bus{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	for id, e := range engines {
		bus, err := changes.New(changes.Config{Client: rc, Channel: channel, NodeID: id, Store: st, Engine: e})
		if err != nil {
			t.Fatal(err)
		}
		buses[id] = bus
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = bus.Run(ctx)
		}()
	}
	// Subscribed: each has reconciled once.
	waitFor(t, "both buses subscribed", func() bool {
		n, err := rc.PubSubNumSub(t.Context(), channel).Result()
		return err == nil && n[channel] == 2
	})
	task, err := st.TaskCreate(t.Context(), core.Task{Name: "job", Schedule: "@hourly", Executor: "http", Config: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	buses["a"].Upsert(task, core.NamespaceSettings{})
	waitFor(t, "b applies the upsert", func() bool { return engines["b"].has("upsert job") })
	buses["a"].UpdateNamespace(core.DefaultNamespace, core.NamespaceSettings{})
	waitFor(t, "b applies the namespace", func() bool { return engines["b"].has("namespace default") })
	buses["b"].Remove(task.ID)
	waitFor(t, "a applies the removal", func() bool { return engines["a"].has("remove " + task.ID) })

	// An execution running on b, canceled through a.
	xs, err := st.ExecutionClaim(t.Context(), []core.Execution{{
		Namespace: core.DefaultNamespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: time.Now(),
		Trigger: core.TriggerManual, Attempt: 1, Node: "b", Status: core.StatusRunning, StartedAt: time.Now(),
	}})
	if err != nil || len(xs) != 1 {
		t.Fatalf("claim: %v %v", xs, err)
	}
	if !buses["a"].Cancel(xs[0].ID) {
		t.Fatal("a did not pass on the cancel of an execution running on b")
	}
	waitFor(t, "b cancels", func() bool { return engines["b"].has("cancel " + xs[0].ID) })

	// Own notices are applied once, when published.
	if n := engines["a"].count("upsert job"); n != 1 {
		t.Errorf("a applied its own upsert %d times", n)
	}
	if n := engines["b"].count("remove " + task.ID); n != 1 {
		t.Errorf("b applied its own removal %d times", n)
	}
	for id, e := range engines {
		e.mu.Lock()
		if e.reconciles == 0 {
			t.Errorf("%s never reconciled", id)
		}
		e.mu.Unlock()
	}
	if pub, _ := buses["a"].Counts(); pub < 3 {
		t.Errorf("a published %d notices, want 3 (upsert, namespace, cancel)", pub)
	}
}
