// Package storetest is the conformance suite every store.Store driver runs:
// the same cases, the same expectations, whatever the database. A driver's
// test calls Exercise with a function that returns a fresh, empty store.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// NewStore returns a fresh store, with only the default namespace, that the
// test may use alone. It registers its own cleanup.
type NewStore func(t *testing.T) store.Store

// Exercise runs every conformance case against stores made by newStore.
// Cases run in parallel, each on its own store.
func Exercise(ctx context.Context, t *testing.T, newStore NewStore) {
	t.Helper()
	cases := []struct {
		name string
		run  func(ctx context.Context, t *testing.T, s store.Store)
	}{
		{"ping", testPing},
		{"server time is the database's clock", testServerTime},
		{"namespace crud", testNamespaceCRUD},
		{"namespace delete refused while it holds tasks or plugins", testNamespaceDeleteNotEmpty},
		{"namespace delete takes its kv pairs along", testNamespaceDeleteDropsKV},
		{"task crud round-trips every field", testTaskCRUD},
		{"task defaults are applied", testTaskDefaults},
		{"task names are unique per namespace", testTaskUniqueNames},
		{"task create in unknown namespace", testTaskUnknownNamespace},
		{"task invalid is refused and not stored", testTaskInvalid},
		{"task update with stale version conflicts", testTaskOptimisticConflict},
		{"task concurrent updates: exactly one wins", testTaskConcurrentUpdates},
		{"task delete checks version", testTaskDeleteVersion},
		{"task list pages by name", testTaskListPaging},
		{"task list filters by label selector", testTaskListSelector},
		{"task list filters by text, executor and paused", testTaskListText},
		{"execution claim is unique per task and instant", testExecutionClaimUnique},
		{"execution claim races: each instant once", testExecutionClaimRace},
		{"execution claim large batch", testExecutionClaimLargeBatch},
		{"partitions init once, with the count fixed at creation", testPartitionsInit},
		{"partitions init by many nodes at once creates one set", testPartitionsInitConcurrent},
		{"partition acquire bumps the epoch and records the holder", testPartitionAcquire},
		{"partition acquires at once each get an epoch of their own", testPartitionAcquireConcurrent},
		{"execution claim fenced: accepted under current epochs, refused whole under a stale one", testExecutionClaimFenced},
		{"execution last scheduled instant per task ignores manual runs", testExecutionLastScheduled},
		{"latest execution per task: not pending, scheduled or manual, latest attempt", testExecutionLatest},
		{"namespace usage counts tasks, plugins, running and recent executions", testNamespaceUsage},
		{"execution stats: buckets, per task, lags", testExecutionStats},
		{"execution update is conditional on status", testExecutionUpdate},
		{"execution updates in a batch apply in order, each conditional", testExecutionUpdateMany},
		{"execution updates in a large batch report each conflict", testExecutionUpdateManyLarge},
		{"execution list filters and pages", testExecutionList},
		{"log lines batch insert and page", testLogAppend},
		{"log lines are cleaned and cut", testLogClean},
		{"retention deletes old final executions and their logs", testRetention},
		{"retention trims a task to its newest executions, final ones only", testRetentionTrim},
		{"retention trim refuses to keep fewer than one", testRetentionTrimInvalid},
		{"plugin put, get and list round-trip; lists carry no bytes", testPluginRoundTrip},
		{"plugin replace keeps created_at and swaps the bytes", testPluginReplace},
		{"plugin with wrong sha256 or size is refused and not stored", testPluginCorrupt},
		{"plugin put in unknown namespace", testPluginUnknownNamespace},
		{"plugins are isolated per namespace", testPluginNamespaceIsolation},
		{"plugin delete refused while a task uses it", testPluginDeleteInUse},
		{"plugin of 6 MiB round-trips", testPluginLarge},
		{"tokens are stored by hash, listed, revoked once and touched", testTokens},
		{"invalid tokens are refused with every field named", testTokenInvalid},
		{"secrets are put, replaced, listed without values and deleted with their namespace", testSecrets},
		{"mq connections are put, replaced, listed, refused when invalid and deleted with their namespace", testMQConnections},
		{"tokens bound to a certificate subject round-trip; tokens are read by ID", testTokenSubject},
		{"audit events are appended with increasing IDs and outlive their namespace", testAuditAppend},
		{"audit events that are invalid are refused with every field named", testAuditInvalid},
		{"audit list filters by every field, newest first", testAuditListFilters},
		{"audit list clamps its limit and pages by ID", testAuditListPaging},
		{"audit trim deletes old events in batches and IDs are not reused", testAuditTrim},
		{"kv set, get, overwrite and delete", testKVCRUD},
		{"kv pairs are isolated per namespace", testKVNamespaceIsolation},
		{"kv pairs expire with their ttl", testKVExpiry},
		{"kv set if absent: the first writer wins, an expired pair is replaced", testKVSetIfAbsent},
		{"kv max keys quota counts live keys only", testKVQuota},
		{"kv bad keys and values are refused", testKVInvalid},
		{"kv delete expired counts what it deleted", testKVDeleteExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(ctx, t, newStore(t))
		})
	}
}

func testPing(ctx context.Context, t *testing.T, s store.Store) {
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if d := s.Driver(); d != "sqlite" && d != "mysql" {
		t.Fatalf("Driver() = %q", d)
	}
}

// ok turns a (value, error) result into a function that fails the test on
// the error and returns the value: got := ok(s.TaskGetByID(ctx, id))(t).
func ok[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func testNamespaceCRUD(ctx context.Context, t *testing.T, s store.Store) {
	def := ok(s.NamespaceGet(ctx, core.DefaultNamespace))(t)
	if def.Version != 1 {
		t.Fatalf("default namespace version = %d, want 1", def.Version)
	}
	ns := ok(s.NamespaceCreate(ctx, core.Namespace{Name: "payments", Description: "Team Zahlungsverkehr ✓"}))(t)
	if ns.Version != 1 || ns.CreatedAt.IsZero() {
		t.Fatalf("created namespace = %+v", ns)
	}
	_, err := s.NamespaceCreate(ctx, core.Namespace{Name: "payments"})
	wantErr(t, err, store.ErrAlreadyExists)
	_, err = s.NamespaceCreate(ctx, core.Namespace{Name: "Bad Name"})
	if !core.IsValidation(err) {
		t.Fatalf("invalid name: error = %v, want a validation error", err)
	}
	got := ok(s.NamespaceGet(ctx, "payments"))(t)
	if got.Description != "Team Zahlungsverkehr ✓" || !got.CreatedAt.Equal(ns.CreatedAt) {
		t.Fatalf("got %+v, want %+v", got, ns)
	}
	_, err = s.NamespaceGet(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	list := ok(s.NamespaceList(ctx))(t)
	names := make([]string, len(list))
	for i, n := range list {
		names[i] = n.Name
	}
	if !slices.Equal(names, []string{"default", "payments"}) {
		t.Fatalf("list = %v", names)
	}

	got.Description = "changed"
	got.Settings = core.NamespaceSettings{
		Wasm: core.WasmSettings{MemoryPages: 512, MaxTimeout: 10 * time.Minute, MaxLogBytes: 4096},
		Network: core.NetworkSettings{
			AllowPrivate: true, AllowedHosts: []string{"api.example.com", "*.internal.example"}, AllowAddrs: []string{"10.1.2.0/24"},
		},
	}
	upd := ok(s.NamespaceUpdate(ctx, got))(t)
	if upd.Version != 2 || upd.Description != "changed" {
		t.Fatalf("updated = %+v", upd)
	}
	if fmt.Sprint(upd.Settings) != fmt.Sprint(got.Settings) {
		t.Fatalf("settings = %+v, want %+v", upd.Settings, got.Settings)
	}
	if listed := ok(s.NamespaceList(ctx))(t); fmt.Sprint(listed[1].Settings) != fmt.Sprint(got.Settings) {
		t.Fatalf("listed settings = %+v", listed[1].Settings)
	}
	bad := upd
	bad.Settings.Network.AllowAddrs = []string{"10.1.2.0/33"}
	bad.Settings.Wasm.MemoryPages = 4
	_, err = s.NamespaceUpdate(ctx, bad)
	var ve *core.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 || ve.Fields[0].Field != "settings.wasm.memory_pages" || ve.Fields[1].Field != "settings.network.allow_addrs[0]" {
		t.Fatalf("bad settings: %v", err)
	}
	got.Version = 1
	_, err = s.NamespaceUpdate(ctx, got) // still version 1
	wantErr(t, err, store.ErrConflict)
	_, err = s.NamespaceUpdate(ctx, core.Namespace{Name: "ghost", Version: 1})
	wantErr(t, err, store.ErrNotFound)

	if err := s.NamespaceDelete(ctx, "payments"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	wantErr(t, s.NamespaceDelete(ctx, "payments"), store.ErrNotFound)
}

func testNamespaceDeleteNotEmpty(ctx context.Context, t *testing.T, s store.Store) {
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	ok(s.TaskCreate(ctx, core.Task{Namespace: "team-a", Name: "job", Executor: "http"}))(t)
	wantErr(t, s.NamespaceDelete(ctx, "team-a"), store.ErrNotEmpty)
	noErr(t, s.TaskDelete(ctx, store.TaskDeleteParams{Namespace: "team-a", Name: "job"}))
	p, wasm := pluginFor("team-a", "echo", 1000, 1)
	ok(s.PluginPut(ctx, p, wasm))(t)
	err := s.NamespaceDelete(ctx, "team-a")
	wantErr(t, err, store.ErrNotEmpty)
	if !strings.Contains(err.Error(), "plugin") {
		t.Errorf("error should say that plugins are left: %v", err)
	}
	noErr(t, s.PluginDelete(ctx, "team-a", "echo"))
	noErr(t, s.NamespaceDelete(ctx, "team-a"))
}

func testNamespaceDeleteDropsKV(ctx context.Context, t *testing.T, s store.Store) {
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: "team-a", Key: "cursor", Value: []byte("42")}))
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: core.DefaultNamespace, Key: "cursor", Value: []byte("7")}))
	noErr(t, s.NamespaceDelete(ctx, "team-a"))
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	_, err := s.KVGet(ctx, "team-a", "cursor")
	wantErr(t, err, store.ErrNotFound)
	if v := ok(s.KVGet(ctx, core.DefaultNamespace, "cursor"))(t); string(v) != "7" {
		t.Fatalf("other namespace's pair = %q, want 7", v)
	}
}

// fullTask sets every field to a non-default value.
func fullTask(name string) core.Task {
	return core.Task{
		Namespace:   core.DefaultNamespace,
		Name:        name,
		Description: "Nightly backup of the orders database — 夜间备份",
		Labels:      map[string]string{"team": "payments", "env": "prod", "kronos.dev/tier": "gold"},
		Schedule:    "0 2 * * *",
		TimeZone:    "Europe/Berlin",
		Executor:    "http",
		Config:      json.RawMessage(`{"method":"POST","url":"https://backup.example.com/v1/backup","headers":{"Authorization":"Bearer x"}}`),
		Timeout:     90 * time.Second,
		Retry: core.RetryPolicy{
			MaxAttempts: 5, InitialBackoff: 2 * time.Second, MaxBackoff: time.Minute, Multiplier: 3, Jitter: 0.5,
		},
		Concurrency:  core.ConcurrencyForbid,
		Misfire:      core.MisfireCatchUp,
		CatchUpLimit: 7,
		Paused:       true,
		StartAt:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		EndAt:        time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

// sameTask compares the fields a caller sets, plus ID and version.
func sameTask(t *testing.T, got, want core.Task) {
	t.Helper()
	var gc, wc any
	if err := json.Unmarshal(got.Config, &gc); err != nil {
		t.Fatalf("stored config is not JSON: %v", err)
	}
	if err := json.Unmarshal(want.Config, &wc); err != nil {
		t.Fatalf("want config is not JSON: %v", err)
	}
	got.Config, want.Config = nil, nil
	if fmt.Sprint(gc) != fmt.Sprint(wc) {
		t.Errorf("config = %v, want %v", gc, wc)
	}
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Errorf("timestamps not set: %+v", got)
	}
	got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("task differs:\n got  %s\n want %s", gj, wj)
	}
}

func testTaskCRUD(ctx context.Context, t *testing.T, s store.Store) {
	in := fullTask("orders_backup")
	created := ok(s.TaskCreate(ctx, in))(t)
	if created.ID == "" || created.Version != 1 {
		t.Fatalf("created = %+v", created)
	}
	want := in
	want.ID, want.Version = created.ID, 1
	sameTask(t, created, want)
	sameTask(t, ok(s.TaskGetByName(ctx, core.DefaultNamespace, "orders_backup"))(t), want)
	sameTask(t, ok(s.TaskGetByID(ctx, created.ID))(t), want)

	upd := created
	upd.Name = "orders_backup_v2"
	upd.Labels = map[string]string{"team": "core"}
	upd.Schedule = "@every 30s"
	upd.Paused = false
	upd.EndAt = time.Time{}
	got := ok(s.TaskUpdate(ctx, upd))(t)
	want = upd
	want.Version = 2
	sameTask(t, got, want)
	if !got.UpdatedAt.After(created.UpdatedAt) && !got.UpdatedAt.Equal(created.UpdatedAt) {
		t.Errorf("updated_at went back: %v < %v", got.UpdatedAt, created.UpdatedAt)
	}
	_, err := s.TaskGetByName(ctx, core.DefaultNamespace, "orders_backup")
	wantErr(t, err, store.ErrNotFound)
	// The label index follows the update.
	page := ok(s.TaskList(ctx, store.TaskListParams{Namespace: core.DefaultNamespace, Selector: core.LabelSelector{{Key: "team", Op: core.OpEquals, Value: "payments"}}}))(t)
	if len(page.Tasks) != 0 {
		t.Errorf("old label still matches: %v", page.Tasks)
	}

	noErr(t, s.TaskDelete(ctx, store.TaskDeleteParams{Namespace: core.DefaultNamespace, Name: "orders_backup_v2"}))
	_, err = s.TaskGetByID(ctx, created.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.TaskDelete(ctx, store.TaskDeleteParams{Namespace: core.DefaultNamespace, Name: "orders_backup_v2"}), store.ErrNotFound)
	_, err = s.TaskUpdate(ctx, got)
	wantErr(t, err, store.ErrNotFound)
}

func testTaskDefaults(ctx context.Context, t *testing.T, s store.Store) {
	got := ok(s.TaskCreate(ctx, core.Task{Name: "daily_backup", Schedule: "0 2 * * *", Executor: "http"}))(t)
	switch {
	case got.Namespace != core.DefaultNamespace, got.TimeZone != "UTC", string(got.Config) != "{}",
		got.Timeout != core.DefaultTimeout, got.Concurrency != core.ConcurrencyAllow, got.Misfire != core.MisfireRunOnce,
		got.Retry.MaxAttempts != 1, got.CatchUpLimit != core.DefaultCatchUpLimit:
		t.Fatalf("defaults not applied: %+v", got)
	}
	sameTask(t, ok(s.TaskGetByID(ctx, got.ID))(t), got)
}

func testTaskUniqueNames(ctx context.Context, t *testing.T, s store.Store) {
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "other"}))(t)
	a := ok(s.TaskCreate(ctx, core.Task{Name: "report", Executor: "http"}))(t)
	ok(s.TaskCreate(ctx, core.Task{Namespace: "other", Name: "report", Executor: "http"}))(t)
	_, err := s.TaskCreate(ctx, core.Task{Name: "report", Executor: "http"})
	wantErr(t, err, store.ErrAlreadyExists)
	b := ok(s.TaskCreate(ctx, core.Task{Name: "report2", Executor: "http"}))(t)
	b.Name = a.Name
	_, err = s.TaskUpdate(ctx, b)
	wantErr(t, err, store.ErrAlreadyExists)
	// Names compare exactly; the validator keeps them lower-case, so
	// "Report" never reaches the store.
	_, err = s.TaskCreate(ctx, core.Task{Name: "Report", Executor: "http"})
	if !core.IsValidation(err) {
		t.Fatalf("upper-case name: error = %v, want a validation error", err)
	}
}

func testTaskUnknownNamespace(ctx context.Context, t *testing.T, s store.Store) {
	_, err := s.TaskCreate(ctx, core.Task{Namespace: "ghost", Name: "x", Executor: "http"})
	wantErr(t, err, store.ErrNotFound)
}

func testTaskInvalid(ctx context.Context, t *testing.T, s store.Store) {
	_, err := s.TaskCreate(ctx, core.Task{Name: "bad", Schedule: "61 * * * *", Executor: "http"})
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a ValidationError", err)
	}
	if ve.Fields[0].Field != "schedule" {
		t.Fatalf("field = %q, want schedule (error %v)", ve.Fields[0].Field, err)
	}
	_, err = s.TaskGetByName(ctx, core.DefaultNamespace, "bad")
	wantErr(t, err, store.ErrNotFound)
}

func testTaskOptimisticConflict(ctx context.Context, t *testing.T, s store.Store) {
	orig := ok(s.TaskCreate(ctx, core.Task{Name: "t", Executor: "http"}))(t)
	alice, bob := orig, orig
	alice.Description = "alice"
	bob.Description = "bob"
	ok(s.TaskUpdate(ctx, alice))(t)
	_, err := s.TaskUpdate(ctx, bob)
	wantErr(t, err, store.ErrConflict)
	if !strings.Contains(err.Error(), "version 2") {
		t.Errorf("conflict error should name the current version: %v", err)
	}
	if got := ok(s.TaskGetByID(ctx, orig.ID))(t); got.Description != "alice" || got.Version != 2 {
		t.Fatalf("after conflict: %+v", got)
	}
}

func testTaskConcurrentUpdates(ctx context.Context, t *testing.T, s store.Store) {
	orig := ok(s.TaskCreate(ctx, core.Task{Name: "hot", Executor: "http"}))(t)
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			u := orig
			u.Description = fmt.Sprintf("writer %d", i)
			_, errs[i] = s.TaskUpdate(ctx, u)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
	if got := ok(s.TaskGetByID(ctx, orig.ID))(t); got.Version != 2 {
		t.Fatalf("version = %d, want 2", got.Version)
	}
}

func testTaskDeleteVersion(ctx context.Context, t *testing.T, s store.Store) {
	orig := ok(s.TaskCreate(ctx, core.Task{Name: "t", Executor: "http"}))(t)
	ok(s.TaskUpdate(ctx, orig))(t)
	wantErr(t, s.TaskDelete(ctx, store.TaskDeleteParams{Namespace: orig.Namespace, Name: "t", Version: 1}), store.ErrConflict)
	noErr(t, s.TaskDelete(ctx, store.TaskDeleteParams{Namespace: orig.Namespace, Name: "t", Version: 2}))
}

func testTaskListPaging(ctx context.Context, t *testing.T, s store.Store) {
	var want []string
	for i := range 25 {
		name := fmt.Sprintf("task-%02d", 24-i)
		ok(s.TaskCreate(ctx, core.Task{Name: name, Executor: "http"}))(t)
		want = append(want, name)
	}
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "other"}))(t)
	ok(s.TaskCreate(ctx, core.Task{Namespace: "other", Name: "task-99", Executor: "http"}))(t)
	slices.Sort(want)
	var got []string
	cursor, pages := "", 0
	for {
		page := ok(s.TaskList(ctx, store.TaskListParams{Namespace: core.DefaultNamespace, Limit: 10, Cursor: cursor}))(t)
		pages++
		for _, tk := range page.Tasks {
			got = append(got, tk.Name)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("pages=%d got %v, want %v", pages, got, want)
	}
	_, err := s.TaskList(ctx, store.TaskListParams{Namespace: core.DefaultNamespace, Cursor: "!!not-a-cursor"})
	if !core.IsValidation(err) {
		t.Fatalf("bad cursor: error = %v, want a field error", err)
	}
}

func listNames(ctx context.Context, t *testing.T, s store.Store, p store.TaskListParams) []string {
	t.Helper()
	p.Namespace = core.DefaultNamespace
	page := ok(s.TaskList(ctx, p))(t)
	names := []string{}
	for _, tk := range page.Tasks {
		names = append(names, tk.Name)
	}
	return names
}

func testTaskListSelector(ctx context.Context, t *testing.T, s store.Store) {
	for _, tk := range []core.Task{
		{Name: "a", Labels: map[string]string{"env": "prod", "team": "pay"}},
		{Name: "b", Labels: map[string]string{"env": "dev", "team": "pay"}},
		{Name: "c", Labels: map[string]string{"env": "prod"}},
		{Name: "d"},
	} {
		tk.Executor = "http"
		ok(s.TaskCreate(ctx, tk))(t)
	}
	for _, c := range []struct{ sel, want string }{
		{"", "a,b,c,d"},
		{"env=prod", "a,c"},
		{"env==prod,team=pay", "a"},
		{"env!=prod", "b,d"},
		{"team", "a,b"},
		{"!team", "c,d"},
		{"env=staging", ""},
	} {
		sel, err := core.ParseLabelSelector(c.sel)
		if err != nil {
			t.Fatalf("parse %q: %v", c.sel, err)
		}
		if got := strings.Join(listNames(ctx, t, s, store.TaskListParams{Selector: sel}), ","); got != c.want {
			t.Errorf("selector %q: got %q, want %q", c.sel, got, c.want)
		}
	}
}

func testTaskListText(ctx context.Context, t *testing.T, s store.Store) {
	for _, tk := range []core.Task{
		{Name: "daily_backup", Description: "Backs up ORDERS", Executor: "http"},
		{Name: "weekly_report", Description: "50% of the KPIs", Executor: "script", Paused: true},
		{Name: "cleanup", Description: "removes tmp_files", Executor: "http"},
	} {
		ok(s.TaskCreate(ctx, tk))(t)
	}
	paused, active := true, false
	for _, c := range []struct {
		name string
		p    store.TaskListParams
		want string
	}{
		{"name substring", store.TaskListParams{Text: "backup"}, "daily_backup"},
		{"description ignores case", store.TaskListParams{Text: "orders"}, "daily_backup"},
		{"percent is literal", store.TaskListParams{Text: "50%"}, "weekly_report"},
		{"underscore is literal", store.TaskListParams{Text: "p_f"}, "cleanup"},
		{"no match", store.TaskListParams{Text: "zzz"}, ""},
		{"executor", store.TaskListParams{Executor: "http"}, "cleanup,daily_backup"},
		{"paused", store.TaskListParams{Paused: &paused}, "weekly_report"},
		{"active", store.TaskListParams{Paused: &active}, "cleanup,daily_backup"},
		{"combined", store.TaskListParams{Executor: "http", Text: "up"}, "cleanup,daily_backup"},
	} {
		if got := strings.Join(listNames(ctx, t, s, c.p), ","); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func claimFor(task core.Task, at time.Time, trigger core.TriggerKind, attempt int) core.Execution {
	return core.Execution{
		Namespace: task.Namespace, TaskID: task.ID, TaskName: task.Name, ScheduledAt: at,
		Trigger: trigger, Attempt: attempt, Node: "node-1", FencingToken: 7,
	}
}

var t0 = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

func testExecutionClaimUnique(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	first := ok(s.ExecutionClaim(ctx, []core.Execution{
		claimFor(task, t0, core.TriggerSchedule, 1),
		claimFor(task, t0.Add(time.Second), core.TriggerSchedule, 1),
	}))(t)
	if len(first) != 2 || first[0].ID == "" || first[0].Status != core.StatusPending {
		t.Fatalf("first claim = %+v", first)
	}
	again := ok(s.ExecutionClaim(ctx, []core.Execution{
		claimFor(task, t0, core.TriggerSchedule, 1),                    // taken
		claimFor(task, t0.Add(time.Second), core.TriggerCatchUp, 1),    // same instant, caught up: taken
		claimFor(task, t0.Add(2*time.Second), core.TriggerSchedule, 1), // new
		claimFor(task, t0, core.TriggerSchedule, 2),                    // retry attempt: new
		claimFor(task, t0, core.TriggerManual, 1),                      // manual run at the same ms: new
	}))(t)
	var got []string
	for _, e := range again {
		got = append(got, fmt.Sprintf("%s/%d/%s", e.ScheduledAt.Format("15:04:05"), e.Attempt, e.Trigger))
	}
	want := []string{"02:00:02/1/schedule", "02:00:00/2/schedule", "02:00:00/1/manual"}
	if !slices.Equal(got, want) {
		t.Fatalf("second claim inserted %v, want %v", got, want)
	}
	e := ok(s.ExecutionGet(ctx, first[0].ID))(t)
	if !e.ScheduledAt.Equal(t0) || e.FencingToken != 7 || e.Node != "node-1" || e.TaskName != "job" || e.Status != core.StatusPending {
		t.Fatalf("stored execution = %+v", e)
	}
	_, err := s.ExecutionGet(ctx, "00000000-0000-0000-0000-000000000000")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.ExecutionClaim(ctx, []core.Execution{{TaskID: task.ID}})
	if !core.IsValidation(err) {
		t.Fatalf("invalid claim: error = %v, want a field error", err)
	}
}

func testExecutionLastScheduled(ctx context.Context, t *testing.T, s store.Store) {
	a := ok(s.TaskCreate(ctx, core.Task{Name: "a", Executor: "http"}))(t)
	b := ok(s.TaskCreate(ctx, core.Task{Name: "b", Executor: "http"}))(t)
	idle := ok(s.TaskCreate(ctx, core.Task{Name: "idle", Executor: "http"}))(t)
	ok(s.ExecutionClaim(ctx, []core.Execution{
		claimFor(a, t0, core.TriggerSchedule, 1),
		claimFor(a, t0.Add(time.Minute), core.TriggerCatchUp, 1),
		claimFor(a, t0.Add(time.Hour), core.TriggerManual, 1), // manual: not the schedule's
		claimFor(b, t0.Add(2*time.Second), core.TriggerSchedule, 1),
		claimFor(b, t0.Add(2*time.Second), core.TriggerSchedule, 2),
	}))(t)
	ids := []string{a.ID, b.ID, idle.ID}
	got := ok(s.ExecutionLastScheduled(ctx, ids))(t)
	if len(got) != 2 || !got[a.ID].Equal(t0.Add(time.Minute)) || !got[b.ID].Equal(t0.Add(2*time.Second)) {
		t.Fatalf("last scheduled = %v, want a at %v and b at %v, idle absent", got, t0.Add(time.Minute), t0.Add(2*time.Second))
	}
	if got := ok(s.ExecutionLastScheduled(ctx, nil))(t); len(got) != 0 {
		t.Fatalf("last scheduled of no tasks = %v", got)
	}
}

func testExecutionStats(ctx context.Context, t *testing.T, s store.Store) {
	a := ok(s.TaskCreate(ctx, core.Task{Name: "a", Executor: "http"}))(t)
	b := ok(s.TaskCreate(ctx, core.Task{Name: "b", Executor: "http"}))(t)
	xs := ok(s.ExecutionClaim(ctx, []core.Execution{
		claimFor(a, t0, core.TriggerSchedule, 1),
		claimFor(a, t0.Add(time.Second), core.TriggerSchedule, 1),
		claimFor(b, t0.Add(2*time.Minute+time.Second), core.TriggerSchedule, 1),
		claimFor(b, t0.Add(2*time.Minute+2*time.Second), core.TriggerManual, 1),
		claimFor(a, t0.Add(-time.Second), core.TriggerSchedule, 1),  // before the window
		claimFor(a, t0.Add(3*time.Minute), core.TriggerSchedule, 1), // after it (pending)
	}))(t)
	end := func(x core.Execution, st core.ExecutionStatus, lag, took time.Duration) {
		t.Helper()
		ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{
			ID: x.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: st,
			StartedAt: x.ScheduledAt.Add(lag), FinishedAt: x.ScheduledAt.Add(lag + took),
		}))(t)
	}
	end(xs[0], core.StatusSucceeded, 10*time.Millisecond, 100*time.Millisecond)
	end(xs[1], core.StatusFailed, 30*time.Millisecond, 300*time.Millisecond)
	end(xs[2], core.StatusSucceeded, 20*time.Millisecond, 2*time.Second)
	end(xs[3], core.StatusSucceeded, 0, time.Second)
	end(xs[4], core.StatusSucceeded, 0, time.Second)
	got := ok(s.ExecutionStats(ctx, store.ExecutionStatsParams{Namespace: core.DefaultNamespace, From: t0, To: t0.Add(3 * time.Minute), Bucket: time.Minute}))(t)
	if len(got.Buckets) != 3 {
		t.Fatalf("%d buckets, want 3: %+v", len(got.Buckets), got.Buckets)
	}
	for i, want := range []map[core.ExecutionStatus]int{
		{core.StatusSucceeded: 1, core.StatusFailed: 1}, {}, {core.StatusSucceeded: 2},
	} {
		bk := got.Buckets[i]
		if !bk.Start.Equal(t0.Add(time.Duration(i)*time.Minute)) || !maps.Equal(bk.ByStatus, want) {
			t.Errorf("bucket %d = %v %v, want %v %v", i, bk.Start, bk.ByStatus, t0.Add(time.Duration(i)*time.Minute), want)
		}
	}
	byName := map[string]store.TaskStats{}
	for _, ts := range got.Tasks {
		byName[ts.TaskName] = ts
	}
	if ta := byName["a"]; ta.TaskID != a.ID || ta.Timed != 2 || ta.Duration != 400*time.Millisecond || ta.Longest != 300*time.Millisecond ||
		!maps.Equal(ta.ByStatus, map[core.ExecutionStatus]int{core.StatusSucceeded: 1, core.StatusFailed: 1}) {
		t.Errorf("task a = %+v", ta)
	}
	if tb := byName["b"]; tb.TaskID != b.ID || tb.Timed != 2 || tb.Longest != 2*time.Second || tb.ByStatus[core.StatusSucceeded] != 2 {
		t.Errorf("task b = %+v", tb)
	}
	lags := slices.Sorted(slices.Values(got.Lags))
	if want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}; !slices.Equal(lags, want) {
		t.Errorf("lags %v, want %v (scheduled fires in the window only)", lags, want)
	}
	if _, err := s.ExecutionStats(ctx, store.ExecutionStatsParams{Namespace: core.DefaultNamespace, From: t0, To: t0}); err == nil {
		t.Error("an empty window was accepted")
	}
}

func testNamespaceUsage(ctx context.Context, t *testing.T, s store.Store) {
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	a := ok(s.TaskCreate(ctx, core.Task{Namespace: "team-a", Name: "a", Executor: "http"}))(t)
	ok(s.TaskCreate(ctx, core.Task{Namespace: "team-a", Name: "b", Executor: "http"}))(t)
	other := ok(s.TaskCreate(ctx, core.Task{Name: "elsewhere", Executor: "http"}))(t)
	p, wasm := pluginFor("team-a", "echo", 1000, 1)
	ok(s.PluginPut(ctx, p, wasm))(t)
	xs := ok(s.ExecutionClaim(ctx, []core.Execution{
		claimFor(a, t0, core.TriggerSchedule, 1),
		claimFor(a, t0.Add(time.Minute), core.TriggerSchedule, 1),
		claimFor(a, t0.Add(2*time.Minute), core.TriggerSchedule, 1),
		claimFor(other, t0.Add(time.Minute), core.TriggerSchedule, 1),
	}))(t)
	for _, x := range []core.Execution{xs[1], xs[3]} {
		ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: x.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusRunning, StartedAt: x.ScheduledAt}))(t)
	}
	got := ok(s.NamespaceUsage(ctx, "team-a", t0.Add(time.Minute)))(t)
	if want := (store.NamespaceUsage{Tasks: 2, Plugins: 1, Running: 1, ExecutionsSince: 2}); got != want {
		t.Fatalf("usage of team-a = %+v, want %+v", got, want)
	}
	if got := ok(s.NamespaceUsage(ctx, "nobody", t0))(t); got != (store.NamespaceUsage{}) {
		t.Fatalf("usage of a namespace that does not exist = %+v, want zeros", got)
	}
}

func testExecutionLatest(ctx context.Context, t *testing.T, s store.Store) {
	a := ok(s.TaskCreate(ctx, core.Task{Name: "a", Executor: "http"}))(t)
	b := ok(s.TaskCreate(ctx, core.Task{Name: "b", Executor: "http"}))(t)
	idle := ok(s.TaskCreate(ctx, core.Task{Name: "idle", Executor: "http"}))(t)
	xs := ok(s.ExecutionClaim(ctx, []core.Execution{
		claimFor(a, t0, core.TriggerSchedule, 1),
		claimFor(a, t0.Add(time.Second), core.TriggerSchedule, 1),
		claimFor(a, t0.Add(2*time.Second), core.TriggerSchedule, 1), // pending: claimed ahead
		claimFor(b, t0, core.TriggerSchedule, 1),
		claimFor(b, t0, core.TriggerSchedule, 2),
		claimFor(b, t0.Add(time.Minute), core.TriggerManual, 1),
		claimFor(idle, t0, core.TriggerSchedule, 1), // pending only
	}))(t)
	finish := func(x core.Execution, st core.ExecutionStatus) {
		t.Helper()
		ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{
			ID: x.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: st,
			StartedAt: x.ScheduledAt, FinishedAt: x.ScheduledAt.Add(time.Millisecond), Output: `{"big":true}`, Error: "e-" + string(st),
		}))(t)
	}
	finish(xs[0], core.StatusSucceeded)
	finish(xs[1], core.StatusFailed)
	finish(xs[3], core.StatusFailed)
	finish(xs[4], core.StatusSucceeded)
	got := ok(s.ExecutionLatest(ctx, []string{a.ID, b.ID, idle.ID}))(t)
	if len(got) != 2 {
		t.Fatalf("latest = %v, want a and b only (idle has only a pending execution)", got)
	}
	if x := got[a.ID]; x.ID != xs[1].ID || x.Status != core.StatusFailed || x.Error != "e-failed" || x.Output != "" {
		t.Fatalf("latest of a = %+v, want the failed :01 without its output", x)
	}
	// b's manual run is later but pending: the second attempt at t0 is b's latest.
	if x := got[b.ID]; x.ID != xs[4].ID || x.Attempt != 2 {
		t.Fatalf("latest of b = %+v, want attempt 2 at t0", x)
	}
	finish(xs[5], core.StatusSucceeded)
	if x := ok(s.ExecutionLatest(ctx, []string{b.ID}))(t)[b.ID]; x.ID != xs[5].ID || x.Trigger != core.TriggerManual {
		t.Fatalf("latest of b after its manual run = %+v", x)
	}
	if got := ok(s.ExecutionLatest(ctx, nil))(t); len(got) != 0 {
		t.Fatalf("latest of no tasks = %v", got)
	}
}

func testExecutionClaimRace(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	const nodes, instants = 4, 50
	var mu sync.Mutex
	claimed := map[time.Time]int{}
	var wg sync.WaitGroup
	for n := range nodes {
		wg.Go(func() {
			batch := make([]core.Execution, instants)
			for i := range instants {
				// Each node walks the instants in another order.
				batch[i] = claimFor(task, t0.Add(time.Duration((i*(n+1))%instants)*time.Second), core.TriggerSchedule, 1)
			}
			got, err := s.ExecutionClaim(ctx, batch)
			if err != nil {
				t.Errorf("node %d: %v", n, err)
				return
			}
			mu.Lock()
			for _, e := range got {
				claimed[e.ScheduledAt]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(claimed) != instants {
		t.Fatalf("%d instants claimed, want %d", len(claimed), instants)
	}
	for at, n := range claimed {
		if n != 1 {
			t.Errorf("instant %v claimed %d times", at, n)
		}
	}
}

func testExecutionClaimLargeBatch(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	batch := make([]core.Execution, 1234)
	for i := range batch {
		batch[i] = claimFor(task, t0.Add(time.Duration(i)*time.Second), core.TriggerSchedule, 1)
	}
	if got := ok(s.ExecutionClaim(ctx, batch))(t); len(got) != len(batch) {
		t.Fatalf("claimed %d, want %d", len(got), len(batch))
	}
	if got := ok(s.ExecutionClaim(ctx, batch))(t); len(got) != 0 {
		t.Fatalf("re-claim inserted %d, want 0", len(got))
	}
}

func testExecutionUpdate(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	e := ok(s.ExecutionClaim(ctx, []core.Execution{claimFor(task, t0, core.TriggerSchedule, 1)}))(t)[0]
	started := t0.Add(1500 * time.Microsecond)
	run := ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{
		ID: e.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusRunning, Node: "node-2", StartedAt: started,
	}))(t)
	if run.Status != core.StatusRunning || run.Node != "node-2" || !run.StartedAt.Equal(started.Truncate(time.Millisecond)) {
		t.Fatalf("running = %+v", run)
	}
	// A second starter loses.
	_, err := s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: e.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusRunning})
	wantErr(t, err, store.ErrConflict)
	done := ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{
		ID: e.ID, From: []core.ExecutionStatus{core.StatusRunning}, Status: core.StatusSucceeded,
		FinishedAt: t0.Add(2 * time.Second), Output: `{"status":200}`,
	}))(t)
	if done.Output != `{"status":200}` || done.Node != "node-2" || done.FinishedAt.IsZero() {
		t.Fatalf("succeeded = %+v", done)
	}
	// Final states stay final.
	_, err = s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: e.ID, From: []core.ExecutionStatus{core.StatusPending, core.StatusRunning}, Status: core.StatusCanceled})
	wantErr(t, err, store.ErrConflict)
	_, err = s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: "00000000-0000-0000-0000-000000000000", From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusRunning})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: e.ID, From: []core.ExecutionStatus{core.StatusRunning}, Status: "exploded"})
	if !core.IsValidation(err) {
		t.Fatalf("bad status: error = %v", err)
	}
}

func testExecutionList(ctx context.Context, t *testing.T, s store.Store) {
	a := ok(s.TaskCreate(ctx, core.Task{Name: "a", Executor: "http"}))(t)
	b := ok(s.TaskCreate(ctx, core.Task{Name: "b", Executor: "http"}))(t)
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "other"}))(t)
	o := ok(s.TaskCreate(ctx, core.Task{Namespace: "other", Name: "a", Executor: "http"}))(t)
	var batch []core.Execution
	for i := range 12 {
		batch = append(batch, claimFor(a, t0.Add(time.Duration(i)*time.Minute), core.TriggerSchedule, 1))
	}
	for i := range 3 {
		batch = append(batch, claimFor(b, t0.Add(time.Duration(i)*time.Minute), core.TriggerSchedule, 1))
	}
	batch = append(batch, claimFor(o, t0, core.TriggerSchedule, 1))
	claimed := ok(s.ExecutionClaim(ctx, batch))(t)
	for _, e := range claimed[:4] { // a's first four instants fail
		ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: e.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusFailed, FinishedAt: t0, Error: "boom"}))(t)
	}

	all := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: 1000}))(t)
	if len(all.Executions) != 15 || all.NextCursor != "" {
		t.Fatalf("listed %d (cursor %q), want 15 in the default namespace", len(all.Executions), all.NextCursor)
	}
	for i := 1; i < len(all.Executions); i++ {
		if all.Executions[i].ScheduledAt.After(all.Executions[i-1].ScheduledAt) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	// Paging over a's executions, 5 at a time, sees each once.
	seen := map[string]bool{}
	cursor := ""
	for range 10 {
		page := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: a.ID, Limit: 5, Cursor: cursor}))(t)
		for _, e := range page.Executions {
			if seen[e.ID] || e.TaskID != a.ID {
				t.Fatalf("execution %s repeated or of another task", e.ID)
			}
			seen[e.ID] = true
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 12 {
		t.Fatalf("paging saw %d, want 12", len(seen))
	}
	failed := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, Statuses: []core.ExecutionStatus{core.StatusFailed}}))(t)
	if len(failed.Executions) != 4 {
		t.Fatalf("failed = %d, want 4", len(failed.Executions))
	}
	window := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: a.ID, From: t0.Add(2 * time.Minute), To: t0.Add(5 * time.Minute)}))(t)
	if len(window.Executions) != 3 || !window.Executions[0].ScheduledAt.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("window = %+v", window.Executions)
	}
	mixed := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, Statuses: []core.ExecutionStatus{core.StatusFailed, core.StatusPending}, From: t0.Add(3 * time.Minute)}))(t)
	if len(mixed.Executions) != 9 {
		t.Fatalf("failed|pending from 02:03 = %d, want 9", len(mixed.Executions))
	}
	other := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: "other"}))(t)
	if len(other.Executions) != 1 || other.Executions[0].TaskID != o.ID {
		t.Fatalf("other namespace = %+v", other.Executions)
	}
	_, err := s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, Cursor: "garbage"})
	if !core.IsValidation(err) {
		t.Fatalf("bad cursor: error = %v", err)
	}
}

func testLogAppend(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	e := ok(s.ExecutionClaim(ctx, []core.Execution{claimFor(task, t0, core.TriggerSchedule, 1)}))(t)[0]
	lines := make([]core.LogLine, 1200)
	for i := range lines {
		lines[i] = core.LogLine{ExecutionID: e.ID, Seq: int64(i + 1), Time: t0.Add(time.Duration(i) * time.Millisecond), Level: "info", Message: fmt.Sprintf("line %d", i+1)}
	}
	noErr(t, s.LogAppend(ctx, lines))
	var got []core.LogLine
	after := int64(0)
	for range 10 {
		page := ok(s.LogList(ctx, store.LogListParams{ExecutionID: e.ID, AfterSeq: after, Limit: 500}))(t)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].Seq
	}
	if len(got) != 1200 {
		t.Fatalf("read back %d lines, want 1200", len(got))
	}
	for i, l := range got {
		if l.Seq != int64(i+1) || l.Message != fmt.Sprintf("line %d", i+1) || !l.Time.Equal(lines[i].Time) || l.Level != "info" {
			t.Fatalf("line %d = %+v", i, l)
		}
	}
	// A batch with a taken sequence number is refused whole.
	err := s.LogAppend(ctx, []core.LogLine{
		{ExecutionID: e.ID, Seq: 1201, Time: t0, Level: "info", Message: "new"},
		{ExecutionID: e.ID, Seq: 5, Time: t0, Level: "info", Message: "dup"},
	})
	wantErr(t, err, store.ErrAlreadyExists)
	if page := ok(s.LogList(ctx, store.LogListParams{ExecutionID: e.ID, AfterSeq: 1200}))(t); len(page) != 0 {
		t.Fatalf("partial batch stored: %+v", page)
	}
}

func testLogClean(ctx context.Context, t *testing.T, s store.Store) {
	long := strings.Repeat("é", 1000) // 2000 bytes
	noErr(t, s.LogAppend(ctx, []core.LogLine{
		{ExecutionID: "e1", Seq: 1, Time: t0, Level: "warn", Message: long},
		{ExecutionID: "e1", Seq: 2, Time: t0, Level: "error", Message: "bad \xff byte"},
	}))
	got := ok(s.LogList(ctx, store.LogListParams{ExecutionID: "e1"}))(t)
	if len(got) != 2 {
		t.Fatalf("got %d lines", len(got))
	}
	if len(got[0].Message) > core.MaxLogLineBytes || !strings.HasPrefix(long, got[0].Message) || len(got[0].Message) < core.MaxLogLineBytes-4 {
		t.Errorf("long line stored as %d bytes", len(got[0].Message))
	}
	if got[1].Message != "bad \uFFFD byte" {
		t.Errorf("invalid UTF-8 stored as %q", got[1].Message)
	}
}

func testRetention(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "other"}))(t)
	otherTask := ok(s.TaskCreate(ctx, core.Task{Namespace: "other", Name: "job", Executor: "http"}))(t)
	var batch []core.Execution
	for i := range 30 {
		batch = append(batch, claimFor(task, t0.Add(time.Duration(i)*time.Hour), core.TriggerSchedule, 1))
	}
	batch = append(batch, claimFor(otherTask, t0, core.TriggerSchedule, 1))
	claimed := ok(s.ExecutionClaim(ctx, batch))(t)
	cutoff := t0.Add(20 * time.Hour)
	for i, e := range claimed {
		if i == 5 {
			continue // still pending: never deleted, however old
		}
		ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: e.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusSucceeded, FinishedAt: e.ScheduledAt.Add(time.Minute)}))(t)
		noErr(t, s.LogAppend(ctx, []core.LogLine{{ExecutionID: e.ID, Seq: 1, Time: e.ScheduledAt, Level: "info", Message: "hi"}}))
	}
	// Executions 0..19 finished before the cutoff; 5 is pending.
	n := ok(s.ExecutionDeleteBefore(ctx, store.ExecutionDeleteBeforeParams{Namespace: core.DefaultNamespace, Before: cutoff, BatchSize: 4}))(t)
	if n != 19 {
		t.Fatalf("deleted %d, want 19", n)
	}
	left := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: 100}))(t)
	if len(left.Executions) != 11 {
		t.Fatalf("%d left, want 11", len(left.Executions))
	}
	for _, e := range left.Executions {
		if e.ScheduledAt.Before(cutoff.Add(-time.Hour)) && e.Status != core.StatusPending {
			t.Errorf("old execution kept: %+v", e)
		}
	}
	if lines := ok(s.LogList(ctx, store.LogListParams{ExecutionID: claimed[0].ID}))(t); len(lines) != 0 {
		t.Errorf("logs of a deleted execution kept: %v", lines)
	}
	if lines := ok(s.LogList(ctx, store.LogListParams{ExecutionID: claimed[25].ID}))(t); len(lines) != 1 {
		t.Errorf("logs of a kept execution deleted")
	}
	if o := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: "other"}))(t); len(o.Executions) != 1 {
		t.Errorf("other namespace touched")
	}
	// Without a namespace, retention covers all of them.
	if n := ok(s.ExecutionDeleteBefore(ctx, store.ExecutionDeleteBeforeParams{Before: cutoff}))(t); n != 1 {
		t.Errorf("second pass deleted %d, want 1", n)
	}
}

func testRetentionTrim(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	other := ok(s.TaskCreate(ctx, core.Task{Name: "other", Executor: "http"}))(t)
	var batch []core.Execution
	for i := range 12 {
		batch = append(batch, claimFor(task, t0.Add(time.Duration(i)*time.Hour), core.TriggerSchedule, 1))
	}
	for i := range 5 {
		batch = append(batch, claimFor(other, t0.Add(time.Duration(i)*time.Hour), core.TriggerSchedule, 1))
	}
	claimed := ok(s.ExecutionClaim(ctx, batch))(t)
	for i, e := range claimed {
		switch i {
		case 1, 11: // pending: 1 is old, 11 the newest
			continue
		case 2: // running, and old
			ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: e.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusRunning, StartedAt: e.ScheduledAt}))(t)
			continue
		}
		status := core.StatusSucceeded
		if i%3 == 0 {
			status = core.StatusFailed
		}
		ok(s.ExecutionUpdate(ctx, store.ExecutionUpdateParams{ID: e.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: status, FinishedAt: e.ScheduledAt.Add(time.Minute)}))(t)
		noErr(t, s.LogAppend(ctx, []core.LogLine{{ExecutionID: e.ID, Seq: 1, Time: e.ScheduledAt, Level: "info", Message: "hi"}}))
	}
	left := func(taskID string) []string {
		t.Helper()
		page := ok(s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: taskID, Limit: 100}))(t)
		var hours []string
		for _, e := range page.Executions {
			hours = append(hours, fmt.Sprintf("%d:%s", int(e.ScheduledAt.Sub(t0)/time.Hour), e.Status))
		}
		return hours
	}

	// The newest 3 are 11 (pending), 10 and 9; of the older ones, 1 and 2
	// are not final. That leaves 7 to delete, in batches of 2, 2, 2 and 1.
	if n := ok(s.ExecutionTrim(ctx, store.ExecutionTrimParams{TaskID: task.ID, Keep: 3, BatchSize: 2}))(t); n != 7 {
		t.Fatalf("deleted %d, want 7", n)
	}
	want := []string{"11:pending", "10:succeeded", "9:failed", "2:running", "1:pending"}
	if got := left(task.ID); !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
	if lines := ok(s.LogList(ctx, store.LogListParams{ExecutionID: claimed[8].ID}))(t); len(lines) != 0 {
		t.Errorf("logs of a trimmed execution kept: %v", lines)
	}
	if lines := ok(s.LogList(ctx, store.LogListParams{ExecutionID: claimed[9].ID}))(t); len(lines) != 1 {
		t.Errorf("logs of a kept execution deleted")
	}
	if got := left(other.ID); len(got) != 5 {
		t.Fatalf("other task touched: %v", got)
	}
	// Trimming again, or to more than there are, deletes nothing.
	if n := ok(s.ExecutionTrim(ctx, store.ExecutionTrimParams{TaskID: task.ID, Keep: 3}))(t); n != 0 {
		t.Errorf("second trim deleted %d, want 0", n)
	}
	if n := ok(s.ExecutionTrim(ctx, store.ExecutionTrimParams{TaskID: other.ID, Keep: 50}))(t); n != 0 {
		t.Errorf("trim to 50 of 5 deleted %d, want 0", n)
	}
	// A deleted task's executions can still be trimmed; 4 rows in batches
	// of 2 end on an empty batch.
	noErr(t, s.TaskDelete(ctx, store.TaskDeleteParams{Namespace: core.DefaultNamespace, Name: other.Name}))
	if n := ok(s.ExecutionTrim(ctx, store.ExecutionTrimParams{TaskID: other.ID, Keep: 1, BatchSize: 2}))(t); n != 4 {
		t.Errorf("trim of a deleted task deleted %d, want 4", n)
	}
	if got := left(other.ID); !slices.Equal(got, []string{"4:succeeded"}) {
		t.Errorf("deleted task left %v, want its newest", got)
	}
}

func testRetentionTrimInvalid(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	_, err := s.ExecutionTrim(ctx, store.ExecutionTrimParams{TaskID: task.ID, Keep: 0})
	wantField(t, err, "keep")
	_, err = s.ExecutionTrim(ctx, store.ExecutionTrimParams{TaskID: task.ID, Keep: -1})
	wantField(t, err, "keep")
	_, err = s.ExecutionTrim(ctx, store.ExecutionTrimParams{Keep: 1})
	wantField(t, err, "task_id")
}

// Clock is implemented by stores whose clock a test may set. Both drivers
// implement it; cases that need it skip on a store that does not.
type Clock interface {
	// SetNow replaces the store's clock.
	SetNow(now func() time.Time)
}

// testClock is a clock that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// setClock makes s run on a test clock that reads t0, or skips the test.
func setClock(t *testing.T, s store.Store) *testClock {
	t.Helper()
	settable, isClock := s.(Clock)
	if !isClock {
		t.Skipf("the %s store has no settable clock (storetest.Clock)", s.Driver())
	}
	c := &testClock{now: t0}
	settable.SetNow(c.Now)
	return c
}

// fakeWasm returns size deterministic bytes that start like a Wasm module.
func fakeWasm(size int, seed byte) []byte {
	b := make([]byte, size)
	copy(b, "\x00asm\x01\x00\x00\x00")
	x := uint32(seed) + 1
	for i := min(8, size); i < size; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// pluginFor returns a plugin whose size and digest match its fake bytes.
func pluginFor(namespace, name string, size int, seed byte) (core.Plugin, []byte) {
	wasm := fakeWasm(size, seed)
	sum := sha256.Sum256(wasm)
	return core.Plugin{Namespace: namespace, Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(size)}, wasm
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *core.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("error = %v, want a field error on %q", err, field)
	}
}

// samePlugin compares the metadata a caller sets.
func samePlugin(t *testing.T, got, want core.Plugin) {
	t.Helper()
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Errorf("timestamps not set: %+v", got)
	}
	got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("plugin differs:\n got  %s\n want %s", gj, wj)
	}
}

func testPluginRoundTrip(ctx context.Context, t *testing.T, s store.Store) {
	zeta, zetaWasm := pluginFor(core.DefaultNamespace, "zeta", 4096, 1)
	zeta.Version = "1.2.0-rc.1+build.5"
	zeta.Uploader = "ops@example.com"
	zeta.Description = "Sends a Slack message — 通知"
	zeta.ConfigSchema = json.RawMessage(`{"type":"object","required":["channel"],"properties":{"channel":{"type":"string"}}}`)
	alpha, alphaWasm := pluginFor(core.DefaultNamespace, "alpha", 100, 2)

	put := ok(s.PluginPut(ctx, zeta, zetaWasm))(t)
	samePlugin(t, put, zeta)
	if !put.CreatedAt.Equal(put.UpdatedAt) {
		t.Errorf("new plugin: created_at %v != updated_at %v", put.CreatedAt, put.UpdatedAt)
	}
	samePlugin(t, ok(s.PluginPut(ctx, alpha, alphaWasm))(t), alpha)

	samePlugin(t, ok(s.PluginGet(ctx, core.DefaultNamespace, "zeta"))(t), zeta)
	got, wasm, err := s.PluginGetWasm(ctx, core.DefaultNamespace, "zeta")
	noErr(t, err)
	samePlugin(t, got, zeta)
	if !bytes.Equal(wasm, zetaWasm) {
		t.Fatalf("Wasm bytes differ: got %d bytes, want %d", len(wasm), len(zetaWasm))
	}
	if a := ok(s.PluginGet(ctx, core.DefaultNamespace, "alpha"))(t); a.ConfigSchema != nil || a.Version != "" || a.Uploader != "" {
		t.Errorf("empty fields came back set: %+v", a)
	}

	list := ok(s.PluginList(ctx, core.DefaultNamespace))(t)
	if len(list) != 2 || list[0].Name != "alpha" || list[1].Name != "zeta" {
		t.Fatalf("list = %+v, want alpha, zeta", list)
	}
	samePlugin(t, list[1], zeta)

	_, err = s.PluginGet(ctx, core.DefaultNamespace, "nope")
	wantErr(t, err, store.ErrNotFound)
	_, _, err = s.PluginGetWasm(ctx, core.DefaultNamespace, "nope")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.PluginDelete(ctx, core.DefaultNamespace, "nope"), store.ErrNotFound)
	if l := ok(s.PluginList(ctx, "ghost"))(t); len(l) != 0 {
		t.Fatalf("unknown namespace lists %+v", l)
	}
	_, err = s.PluginPut(ctx, core.Plugin{Namespace: core.DefaultNamespace, Name: "Bad Name", SHA256: zeta.SHA256, Size: zeta.Size}, zetaWasm)
	wantField(t, err, "name")
	bad := alpha
	bad.ConfigSchema = json.RawMessage(`{"type":`)
	_, err = s.PluginPut(ctx, bad, alphaWasm)
	wantField(t, err, "config_schema")
}

func testPluginReplace(ctx context.Context, t *testing.T, s store.Store) {
	clock := setClock(t, s)
	v1, wasm1 := pluginFor(core.DefaultNamespace, "notify", 2000, 1)
	v1.Version = "1.0.0"
	first := ok(s.PluginPut(ctx, v1, wasm1))(t)
	if !first.CreatedAt.Equal(t0) || !first.UpdatedAt.Equal(t0) {
		t.Fatalf("first put: created %v updated %v, want both %v", first.CreatedAt, first.UpdatedAt, t0)
	}
	clock.Add(time.Minute)
	v2, wasm2 := pluginFor(core.DefaultNamespace, "notify", 3000, 2)
	v2.Version = "2.0.0"
	second := ok(s.PluginPut(ctx, v2, wasm2))(t)
	if !second.CreatedAt.Equal(t0) || !second.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("replace: created %v updated %v, want %v and %v", second.CreatedAt, second.UpdatedAt, t0, t0.Add(time.Minute))
	}
	got, wasm, err := s.PluginGetWasm(ctx, core.DefaultNamespace, "notify")
	noErr(t, err)
	if got.Version != "2.0.0" || got.SHA256 != v2.SHA256 || got.Size != 3000 || !bytes.Equal(wasm, wasm2) {
		t.Fatalf("after replace: %+v with %d bytes", got, len(wasm))
	}
	if l := ok(s.PluginList(ctx, core.DefaultNamespace))(t); len(l) != 1 {
		t.Fatalf("replace added a row: %+v", l)
	}
}

func testPluginCorrupt(ctx context.Context, t *testing.T, s store.Store) {
	p, wasm := pluginFor(core.DefaultNamespace, "echo", 1000, 1)
	short := p
	short.Size = 999
	_, err := s.PluginPut(ctx, short, wasm)
	wantField(t, err, "size")
	_, err = s.PluginPut(ctx, p, wasm[:999])
	wantField(t, err, "size")
	flipped := slices.Clone(wasm)
	flipped[500] ^= 1
	_, err = s.PluginPut(ctx, p, flipped)
	wantField(t, err, "sha256")
	upper := p
	upper.SHA256 = strings.ToUpper(p.SHA256)
	_, err = s.PluginPut(ctx, upper, wasm)
	wantField(t, err, "sha256")
	_, err = s.PluginGet(ctx, core.DefaultNamespace, "echo")
	wantErr(t, err, store.ErrNotFound)

	// A refused replace leaves the stored plugin as it was.
	ok(s.PluginPut(ctx, p, wasm))(t)
	other, otherWasm := pluginFor(core.DefaultNamespace, "echo", 1000, 2)
	_, err = s.PluginPut(ctx, other, wasm)
	wantField(t, err, "sha256")
	_, err = s.PluginPut(ctx, p, otherWasm)
	wantField(t, err, "sha256")
	got, stored, err := s.PluginGetWasm(ctx, core.DefaultNamespace, "echo")
	noErr(t, err)
	if got.SHA256 != p.SHA256 || !bytes.Equal(stored, wasm) {
		t.Fatalf("refused replace changed the plugin: %+v", got)
	}
}

func testPluginUnknownNamespace(ctx context.Context, t *testing.T, s store.Store) {
	p, wasm := pluginFor("ghost", "echo", 100, 1)
	_, err := s.PluginPut(ctx, p, wasm)
	wantErr(t, err, store.ErrNotFound)
	if !strings.Contains(err.Error(), "ghost") {
		t.Errorf("error should name the namespace: %v", err)
	}
}

func testPluginNamespaceIsolation(ctx context.Context, t *testing.T, s store.Store) {
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-b"}))(t)
	a, aWasm := pluginFor("team-a", "notify", 500, 1)
	ok(s.PluginPut(ctx, a, aWasm))(t)
	_, err := s.PluginGet(ctx, "team-b", "notify")
	wantErr(t, err, store.ErrNotFound)
	_, _, err = s.PluginGetWasm(ctx, "team-b", "notify")
	wantErr(t, err, store.ErrNotFound)
	if l := ok(s.PluginList(ctx, "team-b"))(t); len(l) != 0 {
		t.Fatalf("team-b lists %+v", l)
	}
	wantErr(t, s.PluginDelete(ctx, "team-b", "notify"), store.ErrNotFound)

	// The same name in another namespace is another plugin.
	b, bWasm := pluginFor("team-b", "notify", 700, 2)
	ok(s.PluginPut(ctx, b, bWasm))(t)
	noErr(t, s.PluginDelete(ctx, "team-b", "notify"))
	got, wasm, err := s.PluginGetWasm(ctx, "team-a", "notify")
	noErr(t, err)
	if got.SHA256 != a.SHA256 || !bytes.Equal(wasm, aWasm) {
		t.Fatalf("team-a's plugin changed: %+v", got)
	}
}

func testPluginDeleteInUse(ctx context.Context, t *testing.T, s store.Store) {
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	p, wasm := pluginFor("team-a", "notify", 500, 1)
	ok(s.PluginPut(ctx, p, wasm))(t)
	// A task of another namespace with that executor does not hold it.
	ok(s.TaskCreate(ctx, core.Task{Name: "elsewhere", Executor: "notify"}))(t)
	ok(s.TaskCreate(ctx, core.Task{Namespace: "team-a", Name: "nightly_digest", Executor: "notify"}))(t)
	ok(s.TaskCreate(ctx, core.Task{Namespace: "team-a", Name: "unrelated", Executor: "http"}))(t)

	err := s.PluginDelete(ctx, "team-a", "notify")
	wantErr(t, err, store.ErrInUse)
	if !strings.Contains(err.Error(), "nightly_digest") || strings.Contains(err.Error(), "unrelated") || strings.Contains(err.Error(), "elsewhere") {
		t.Errorf("error should name the task using the plugin, and only it: %v", err)
	}
	ok(s.PluginGet(ctx, "team-a", "notify"))(t)

	noErr(t, s.TaskDelete(ctx, store.TaskDeleteParams{Namespace: "team-a", Name: "nightly_digest"}))
	noErr(t, s.PluginDelete(ctx, "team-a", "notify"))
	_, err = s.PluginGet(ctx, "team-a", "notify")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.PluginDelete(ctx, "team-a", "notify"), store.ErrNotFound)
}

func testPluginLarge(ctx context.Context, t *testing.T, s store.Store) {
	p, wasm := pluginFor(core.DefaultNamespace, "big", 6<<20, 3)
	ok(s.PluginPut(ctx, p, wasm))(t)
	got, stored, err := s.PluginGetWasm(ctx, core.DefaultNamespace, "big")
	noErr(t, err)
	if got.Size != 6<<20 || !bytes.Equal(stored, wasm) {
		t.Fatalf("6 MiB plugin came back as %d bytes (size %d)", len(stored), got.Size)
	}
	if l := ok(s.PluginList(ctx, core.DefaultNamespace))(t); len(l) != 1 || l[0].Size != 6<<20 {
		t.Fatalf("list = %+v", l)
	}
}

func kvSet(ctx context.Context, t *testing.T, s store.Store, namespace, key, value string) {
	t.Helper()
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: namespace, Key: key, Value: []byte(value)}))
}

func kvWant(ctx context.Context, t *testing.T, s store.Store, namespace, key, want string) {
	t.Helper()
	got, err := s.KVGet(ctx, namespace, key)
	if err != nil {
		t.Fatalf("get %q in %q: %v", key, namespace, err)
	}
	if string(got) != want {
		t.Fatalf("get %q in %q = %q, want %q", key, namespace, got, want)
	}
}

func kvAbsent(ctx context.Context, t *testing.T, s store.Store, namespace, key string) {
	t.Helper()
	_, err := s.KVGet(ctx, namespace, key)
	wantErr(t, err, store.ErrNotFound)
}

func testKVCRUD(ctx context.Context, t *testing.T, s store.Store) {
	ns := core.DefaultNamespace
	kvAbsent(ctx, t, s, ns, "counter")
	kvSet(ctx, t, s, ns, "counter", "1")
	kvWant(ctx, t, s, ns, "counter", "1")
	kvSet(ctx, t, s, ns, "counter", "2")
	kvWant(ctx, t, s, ns, "counter", "2")

	// Keys compare byte for byte: no case folding, no trailing-space padding.
	kvSet(ctx, t, s, ns, "a", "plain")
	kvSet(ctx, t, s, ns, "a ", "space")
	kvSet(ctx, t, s, ns, "A", "upper")
	kvSet(ctx, t, s, ns, "user 42/状态", "unicode")
	kvWant(ctx, t, s, ns, "a", "plain")
	kvWant(ctx, t, s, ns, "a ", "space")
	kvWant(ctx, t, s, ns, "A", "upper")
	kvWant(ctx, t, s, ns, "user 42/状态", "unicode")

	// Values are bytes: empty, binary and up to the store's limit.
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "empty"}))
	if v := ok(s.KVGet(ctx, ns, "empty"))(t); len(v) != 0 {
		t.Fatalf("empty value came back as %q", v)
	}
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "binary", Value: binary}))
	if v := ok(s.KVGet(ctx, ns, "binary"))(t); !bytes.Equal(v, binary) {
		t.Fatalf("binary value came back as %x", v)
	}
	big := fakeWasm(core.MaxKVValueBytes, 9)
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "big", Value: big}))
	if v := ok(s.KVGet(ctx, ns, "big"))(t); !bytes.Equal(v, big) {
		t.Fatalf("1 MiB value came back as %d bytes", len(v))
	}

	noErr(t, s.KVDelete(ctx, ns, "counter"))
	kvAbsent(ctx, t, s, ns, "counter")
	noErr(t, s.KVDelete(ctx, ns, "counter")) // absent: not an error
	kvWant(ctx, t, s, ns, "a", "plain")

	err := s.KVSet(ctx, store.KVSetParams{Namespace: "ghost", Key: "k", Value: []byte("v")})
	wantErr(t, err, store.ErrNotFound)
}

func testKVNamespaceIsolation(ctx context.Context, t *testing.T, s store.Store) {
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-b"}))(t)
	kvSet(ctx, t, s, "team-a", "token", "a-secret")
	kvAbsent(ctx, t, s, "team-b", "token")
	kvSet(ctx, t, s, "team-b", "token", "b-secret")
	kvWant(ctx, t, s, "team-a", "token", "a-secret")
	noErr(t, s.KVDelete(ctx, "team-b", "token"))
	kvWant(ctx, t, s, "team-a", "token", "a-secret")
	kvAbsent(ctx, t, s, "team-b", "token")
}

func testKVExpiry(ctx context.Context, t *testing.T, s store.Store) {
	clock := setClock(t, s)
	ns := core.DefaultNamespace
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "session", Value: []byte("x"), TTL: 10 * time.Second}))
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "tiny", Value: []byte("y"), TTL: time.Microsecond}))
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "forever", Value: []byte("z")}))
	kvWant(ctx, t, s, ns, "tiny", "y") // rounded up to 1ms: alive at the write
	clock.Add(10*time.Second - time.Millisecond)
	kvWant(ctx, t, s, ns, "session", "x")
	kvAbsent(ctx, t, s, ns, "tiny")
	clock.Add(time.Millisecond)
	kvAbsent(ctx, t, s, ns, "session")
	clock.Add(365 * 24 * time.Hour)
	kvWant(ctx, t, s, ns, "forever", "z")

	// Setting an expired key again revives it; setting without a TTL
	// clears the expiry.
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "session", Value: []byte("again"), TTL: time.Minute}))
	kvWant(ctx, t, s, ns, "session", "again")
	kvSet(ctx, t, s, ns, "session", "kept")
	clock.Add(time.Hour)
	kvWant(ctx, t, s, ns, "session", "kept")
}

func testKVQuota(ctx context.Context, t *testing.T, s store.Store) {
	clock := setClock(t, s)
	ns := core.DefaultNamespace
	set := func(key string, ttl time.Duration) error {
		return s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: key, Value: []byte(key), TTL: ttl, MaxKeys: 3})
	}
	noErr(t, set("k1", 0))
	noErr(t, set("k2", 0))
	noErr(t, set("k3", time.Minute))
	err := set("k4", 0)
	wantErr(t, err, store.ErrQuotaExceeded)
	if !strings.Contains(err.Error(), "limit is 3") {
		t.Errorf("error should name the limit: %v", err)
	}
	kvAbsent(ctx, t, s, ns, "k4")
	noErr(t, set("k2", 0)) // overwriting at the limit is allowed
	// Without MaxKeys there is no limit; other namespaces count their own.
	kvSet(ctx, t, s, ns, "unlimited", "x")
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-b"}))(t)
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: "team-b", Key: "k1", Value: []byte("b"), MaxKeys: 1}))
	// Now four live keys: still full.
	wantErr(t, set("k5", 0), store.ErrQuotaExceeded)
	noErr(t, s.KVDelete(ctx, ns, "unlimited"))
	noErr(t, s.KVDelete(ctx, ns, "k1"))
	noErr(t, set("k4", 0))
	wantErr(t, set("k5", 0), store.ErrQuotaExceeded)
	// An expired key no longer counts, and setting it again is a new key.
	clock.Add(time.Minute)
	noErr(t, set("k5", 0))
	wantErr(t, set("k3", 0), store.ErrQuotaExceeded)
}

func testKVInvalid(ctx context.Context, t *testing.T, s store.Store) {
	ns := core.DefaultNamespace
	for _, key := range []string{"", strings.Repeat("k", core.MaxKVKeyBytes+1), "bad \xff byte", "line\nbreak", "tab\there", "nul\x00"} {
		wantField(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: key, Value: []byte("v")}), "key")
		_, err := s.KVGet(ctx, ns, key)
		wantField(t, err, "key")
		wantField(t, s.KVDelete(ctx, ns, key), "key")
	}
	longest := strings.Repeat("é", core.MaxKVKeyBytes/2) // 256 bytes
	kvSet(ctx, t, s, ns, longest, "ok")
	kvWant(ctx, t, s, ns, longest, "ok")
	wantField(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "big", Value: make([]byte, core.MaxKVValueBytes+1)}), "value")
	wantField(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "k", TTL: -time.Second}), "ttl")
	wantField(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: "k", MaxKeys: -1}), "max_keys")
	kvAbsent(ctx, t, s, ns, "big")
	kvAbsent(ctx, t, s, ns, "k")
}

func testKVDeleteExpired(ctx context.Context, t *testing.T, s store.Store) {
	setClock(t, s)
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-b"}))(t)
	for _, kv := range []struct {
		ns, key string
		ttl     time.Duration
	}{
		{core.DefaultNamespace, "m1", time.Minute},
		{core.DefaultNamespace, "m2", time.Minute},
		{"team-b", "m1", time.Minute},
		{core.DefaultNamespace, "h1", time.Hour},
		{"team-b", "h1", time.Hour},
		{core.DefaultNamespace, "forever", 0},
	} {
		noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: kv.ns, Key: kv.key, Value: []byte("v"), TTL: kv.ttl}))
	}
	if n := ok(s.KVDeleteExpired(ctx, t0.Add(time.Minute-time.Millisecond)))(t); n != 0 {
		t.Fatalf("before the first expiry: deleted %d, want 0", n)
	}
	if n := ok(s.KVDeleteExpired(ctx, t0.Add(time.Minute)))(t); n != 3 {
		t.Fatalf("at the minute: deleted %d, want 3", n)
	}
	if n := ok(s.KVDeleteExpired(ctx, t0.Add(time.Minute)))(t); n != 0 {
		t.Fatalf("second sweep: deleted %d, want 0", n)
	}
	kvWant(ctx, t, s, core.DefaultNamespace, "h1", "v")
	if n := ok(s.KVDeleteExpired(ctx, t0.Add(48*time.Hour)))(t); n != 2 {
		t.Fatalf("after two days: deleted %d, want 2", n)
	}
	kvWant(ctx, t, s, core.DefaultNamespace, "forever", "v")
}

func testExecutionUpdateMany(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	var batch []core.Execution
	for i := range 3 {
		batch = append(batch, claimFor(task, t0.Add(time.Duration(i)*time.Second), core.TriggerSchedule, 1))
	}
	xs := ok(s.ExecutionClaim(ctx, batch))(t)
	pending := []core.ExecutionStatus{core.StatusPending}
	running := []core.ExecutionStatus{core.StatusRunning}
	errs := ok(s.ExecutionUpdateMany(ctx, []store.ExecutionUpdateParams{
		{ID: xs[0].ID, From: pending, Status: core.StatusRunning, StartedAt: t0},
		{ID: xs[0].ID, From: running, Status: core.StatusSucceeded, FinishedAt: t0.Add(time.Second), Output: "done"}, // sees the first
		{ID: xs[1].ID, From: running, Status: core.StatusFailed},                                                     // still pending: conflict
		{ID: "00000000-0000-0000-0000-000000000000", From: pending, Status: core.StatusRunning},                      // gone: conflict
		{ID: xs[2].ID, From: pending, Status: "exploded"},                                                            // invalid
		{ID: xs[2].ID, From: pending, Status: core.StatusSkipped, Reason: "forbid"},
	}))(t)
	if len(errs) != 6 || errs[0] != nil || errs[1] != nil || errs[5] != nil ||
		!errors.Is(errs[2], store.ErrConflict) || !errors.Is(errs[3], store.ErrConflict) || !core.IsValidation(errs[4]) {
		t.Fatalf("errors = %v", errs)
	}
	if x := ok(s.ExecutionGet(ctx, xs[0].ID))(t); x.Status != core.StatusSucceeded || x.Output != "done" || !x.StartedAt.Equal(t0) {
		t.Fatalf("first = %+v", x)
	}
	if x := ok(s.ExecutionGet(ctx, xs[1].ID))(t); x.Status != core.StatusPending {
		t.Fatalf("second = %+v", x)
	}
	if x := ok(s.ExecutionGet(ctx, xs[2].ID))(t); x.Status != core.StatusSkipped || x.Reason != "forbid" {
		t.Fatalf("third = %+v", x)
	}
}

func testExecutionUpdateManyLarge(ctx context.Context, t *testing.T, s store.Store) {
	task := ok(s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"}))(t)
	const n = 700 // more than one round trip's worth on drivers that batch
	claims := make([]core.Execution, n)
	for i := range claims {
		claims[i] = claimFor(task, t0.Add(time.Duration(i)*time.Second), core.TriggerSchedule, 1)
	}
	claimed := ok(s.ExecutionClaim(ctx, claims))(t)
	if len(claimed) != n {
		t.Fatalf("claimed %d, want %d", len(claimed), n)
	}
	ups := make([]store.ExecutionUpdateParams, n)
	for i, x := range claimed {
		from := core.StatusPending
		if i%3 == 0 {
			from = core.StatusRunning // wrong: a conflict
		}
		ups[i] = store.ExecutionUpdateParams{
			ID: x.ID, From: []core.ExecutionStatus{from}, Status: core.StatusSucceeded,
			StartedAt: t0, FinishedAt: t0.Add(time.Second), Output: fmt.Sprintf(`{"i":%d,"quote":"it's"}`, i),
		}
	}
	errs := ok(s.ExecutionUpdateMany(ctx, ups))(t)
	for i, err := range errs {
		if (i%3 == 0) != errors.Is(err, store.ErrConflict) {
			t.Fatalf("update %d: error %v", i, err)
		}
	}
	for _, i := range []int{1, 2, 299, 698} {
		x := ok(s.ExecutionGet(ctx, claimed[i].ID))(t)
		if x.Status != core.StatusSucceeded || x.Output != fmt.Sprintf(`{"i":%d,"quote":"it's"}`, i) {
			t.Fatalf("execution %d = %+v", i, x)
		}
	}
	if x := ok(s.ExecutionGet(ctx, claimed[3].ID))(t); x.Status != core.StatusPending {
		t.Fatalf("a conflicting update applied: %+v", x)
	}
}

func tokenHash(seed byte) []byte { return bytes.Repeat([]byte{seed}, core.TokenHashLen) }

func testTokens(ctx context.Context, t *testing.T, s store.Store) {
	clk := setClock(t, s)
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	in := core.APIToken{
		Name: "ci", Display: "kro_ab12", Hash: tokenHash(1), Namespace: "team-a",
		Roles: map[string]core.Role{"team-a": core.RoleEditor, "default": core.RoleViewer}, ExpiresAt: t0.Add(24 * time.Hour),
	}
	created := ok(s.TokenCreate(ctx, in))(t)
	if created.ID == "" || !created.CreatedAt.Equal(clk.Now().UTC().Truncate(time.Millisecond)) {
		t.Fatalf("created %+v", created)
	}
	got := ok(s.TokenGetByHash(ctx, tokenHash(1)))(t)
	if got.ID != created.ID || got.Name != "ci" || got.Display != "kro_ab12" || got.Namespace != "team-a" ||
		got.Roles["team-a"] != core.RoleEditor || got.Roles["default"] != core.RoleViewer || got.Owner ||
		!got.ExpiresAt.Equal(in.ExpiresAt) || !got.RevokedAt.IsZero() || !bytes.Equal(got.Hash, tokenHash(1)) {
		t.Fatalf("read back %+v", got)
	}
	_, err := s.TokenGetByHash(ctx, tokenHash(2))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.TokenCreate(ctx, in)
	wantErr(t, err, store.ErrAlreadyExists)
	_, err = s.TokenCreate(ctx, core.APIToken{Name: "x", Hash: tokenHash(3), Namespace: "nowhere", Owner: true})
	wantErr(t, err, store.ErrNotFound)
	owner := ok(s.TokenCreate(ctx, core.APIToken{Name: "bootstrap", Display: "kro_zz99", Hash: tokenHash(4), Namespace: core.DefaultNamespace, Owner: true}))(t)

	list := ok(s.TokenList(ctx))(t)
	if len(list) != 2 || list[0].Name != "bootstrap" || !list[0].Owner || list[1].Name != "ci" {
		t.Fatalf("list %+v", list)
	}

	// Touch moves last_used_at forward only.
	noErr(t, s.TokenTouch(ctx, created.ID, t0.Add(time.Hour)))
	noErr(t, s.TokenTouch(ctx, created.ID, t0))
	if got := ok(s.TokenGetByHash(ctx, tokenHash(1)))(t); !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("last used %v, want %v", got.LastUsedAt, t0.Add(time.Hour))
	}

	// Revoke once; a second revoke keeps the first time.
	clk.Add(time.Minute)
	first := ok(s.TokenRevoke(ctx, created.ID))(t)
	if first.RevokedAt.IsZero() || first.Active(clk.Now()) {
		t.Fatalf("revoked %+v", first)
	}
	clk.Add(time.Minute)
	if again := ok(s.TokenRevoke(ctx, created.ID))(t); !again.RevokedAt.Equal(first.RevokedAt) {
		t.Fatalf("second revoke moved the time: %v then %v", first.RevokedAt, again.RevokedAt)
	}
	if got := ok(s.TokenGetByHash(ctx, tokenHash(4)))(t); !got.Active(clk.Now()) || got.ID != owner.ID {
		t.Fatalf("the other token was touched: %+v", got)
	}
	_, err = s.TokenRevoke(ctx, "00000000-0000-0000-0000-000000000000")
	wantErr(t, err, store.ErrNotFound)
}

func testTokenInvalid(ctx context.Context, t *testing.T, s store.Store) {
	_, err := s.TokenCreate(ctx, core.APIToken{Name: "Bad Name", Hash: []byte("short"), Namespace: core.DefaultNamespace, Roles: map[string]core.Role{"default": "god"}})
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a validation error", err)
	}
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	if want := []string{"name", "hash", "roles.default"}; !slices.Equal(fields, want) {
		t.Fatalf("fields %v, want %v", fields, want)
	}
	_, err = s.TokenCreate(ctx, core.APIToken{Name: "none", Hash: tokenHash(9), Namespace: core.DefaultNamespace})
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "roles" {
		t.Fatalf("error = %v, want a field error on roles", err)
	}
	if list := ok(s.TokenList(ctx))(t); len(list) != 0 {
		t.Fatalf("an invalid token was stored: %+v", list)
	}
}

func testSecrets(ctx context.Context, t *testing.T, s store.Store) {
	clk := setClock(t, s)
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	first := ok(s.SecretPut(ctx, core.Secret{Namespace: "team-a", Name: "backup-token", KeyID: "k1", Sealed: []byte("sealed-1")}))(t)
	clk.Add(time.Minute)
	second := ok(s.SecretPut(ctx, core.Secret{Namespace: "team-a", Name: "backup-token", KeyID: "k2", Sealed: []byte("sealed-2")}))(t)
	if !second.CreatedAt.Equal(first.CreatedAt) || !second.UpdatedAt.After(first.UpdatedAt) || second.KeyID != "k2" {
		t.Fatalf("replaced: %+v then %+v", first, second)
	}
	got := ok(s.SecretGet(ctx, "team-a", "backup-token"))(t)
	if string(got.Sealed) != "sealed-2" || got.KeyID != "k2" {
		t.Fatalf("get %+v", got)
	}
	ok(s.SecretPut(ctx, core.Secret{Namespace: "team-a", Name: "api-key", KeyID: "k1", Sealed: []byte("x")}))(t)
	ok(s.SecretPut(ctx, core.Secret{Namespace: core.DefaultNamespace, Name: "api-key", KeyID: "k1", Sealed: []byte("y")}))(t)
	list := ok(s.SecretList(ctx, "team-a"))(t)
	if len(list) != 2 || list[0].Name != "api-key" || list[1].Name != "backup-token" || list[0].Sealed != nil || list[1].Sealed != nil {
		t.Fatalf("list %+v", list)
	}
	_, err := s.SecretGet(ctx, "team-a", "nope")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.SecretPut(ctx, core.Secret{Namespace: "nowhere", Name: "x", KeyID: "k1", Sealed: []byte("x")})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.SecretPut(ctx, core.Secret{Namespace: "team-a", Name: "x", Sealed: nil})
	var ve *core.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("an invalid secret: %v", err)
	}
	noErr(t, s.SecretDelete(ctx, "team-a", "api-key"))
	wantErr(t, s.SecretDelete(ctx, "team-a", "api-key"), store.ErrNotFound)
	// Deleting the namespace takes its secrets along, and only its own.
	noErr(t, s.NamespaceDelete(ctx, "team-a"))
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	if list := ok(s.SecretList(ctx, "team-a"))(t); len(list) != 0 {
		t.Fatalf("secrets outlived their namespace: %+v", list)
	}
	if got := ok(s.SecretGet(ctx, core.DefaultNamespace, "api-key"))(t); string(got.Sealed) != "y" {
		t.Fatalf("another namespace's secret: %+v", got)
	}
}

func testMQConnections(ctx context.Context, t *testing.T, s store.Store) {
	clk := setClock(t, s)
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-mq"}))(t)
	in := core.MQConnection{
		Namespace: "team-mq", Name: "orders", Description: "订单总线", URL: "amqps://rabbit.internal:5671/prod",
		Username: "kronos", PasswordSecret: "rabbit-password", CAPEM: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		Timeout: 7 * time.Second, Exchange: "orders", Persistent: true,
	}
	first := ok(s.MQConnectionPut(ctx, in))(t)
	in.CreatedAt, in.UpdatedAt = first.CreatedAt, first.UpdatedAt
	if !reflect.DeepEqual(first, in) {
		t.Fatalf("put returned\n%+v\nwant\n%+v", first, in)
	}
	clk.Add(time.Minute)
	in.URL, in.Persistent, in.Timeout = "amqp://rabbit.internal:5672/", false, 0
	second := ok(s.MQConnectionPut(ctx, in))(t)
	if !second.CreatedAt.Equal(first.CreatedAt) || !second.UpdatedAt.After(first.UpdatedAt) || second.URL != in.URL || second.Persistent || second.Timeout != 0 {
		t.Fatalf("replaced: %+v then %+v", first, second)
	}
	if got := ok(s.MQConnectionGet(ctx, "team-mq", "orders"))(t); !reflect.DeepEqual(got, second) {
		t.Fatalf("get %+v, want %+v", got, second)
	}
	ok(s.MQConnectionPut(ctx, core.MQConnection{Namespace: "team-mq", Name: "events", URL: "nats://nats:4222", JetStream: true}))(t)
	ok(s.MQConnectionPut(ctx, core.MQConnection{Namespace: core.DefaultNamespace, Name: "events", URL: "redis://redis:6379/0", MaxLen: 1000}))(t)
	list := ok(s.MQConnectionList(ctx, "team-mq"))(t)
	if len(list) != 2 || list[0].Name != "events" || !list[0].JetStream || list[1].Name != "orders" {
		t.Fatalf("list %+v", list)
	}
	_, err := s.MQConnectionGet(ctx, "team-mq", "nope")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.MQConnectionPut(ctx, core.MQConnection{Namespace: "nowhere", Name: "x", URL: "nats://nats:4222"})
	wantErr(t, err, store.ErrNotFound)
	// Every invalid field is named, and nothing is stored.
	_, err = s.MQConnectionPut(ctx, core.MQConnection{Namespace: "team-mq", Name: "bad", URL: "amqp://guest:guest@rabbit/", JetStream: true, MaxLen: -1})
	var ve *core.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 3 {
		t.Fatalf("an invalid connection: %v", err)
	}
	for i, field := range []string{"url", "max_len", "jetstream"} {
		if ve.Fields[i].Field != field {
			t.Errorf("field %d is %q, want %q: %v", i, ve.Fields[i].Field, field, err)
		}
	}
	_, err = s.MQConnectionGet(ctx, "team-mq", "bad")
	wantErr(t, err, store.ErrNotFound)
	noErr(t, s.MQConnectionDelete(ctx, "team-mq", "events"))
	wantErr(t, s.MQConnectionDelete(ctx, "team-mq", "events"), store.ErrNotFound)
	// Deleting the namespace takes its connections along, and only its own.
	noErr(t, s.NamespaceDelete(ctx, "team-mq"))
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-mq"}))(t)
	if list := ok(s.MQConnectionList(ctx, "team-mq"))(t); len(list) != 0 {
		t.Fatalf("connections outlived their namespace: %+v", list)
	}
	if got := ok(s.MQConnectionGet(ctx, core.DefaultNamespace, "events"))(t); got.MaxLen != 1000 {
		t.Fatalf("another namespace's connection: %+v", got)
	}
}

func testKVSetIfAbsent(ctx context.Context, t *testing.T, s store.Store) {
	clock := setClock(t, s)
	ns := core.DefaultNamespace
	set := func(key, value string, ttl time.Duration) {
		t.Helper()
		noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: ns, Key: key, Value: []byte(value), TTL: ttl, IfAbsent: true}))
	}
	set("k", "first", 0)
	set("k", "second", 0)
	kvWant(ctx, t, s, ns, "k", "first")
	set("lease", "old", time.Second)
	clock.Add(2 * time.Second)
	set("lease", "new", 0)
	kvWant(ctx, t, s, ns, "lease", "new")
	// Kronos's own namespace needs no namespace row.
	noErr(t, s.KVSet(ctx, store.KVSetParams{Namespace: store.SystemNamespacePrefix + "test", Key: "k", Value: []byte("v"), IfAbsent: true}))
	if v, err := s.KVGet(ctx, store.SystemNamespacePrefix+"test", "k"); err != nil || string(v) != "v" {
		t.Errorf("system kv = %q, %v", v, err)
	}
}
