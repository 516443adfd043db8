package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// The whole path, in the binary: a task in the store fires on its
// schedule, the engine runs the built-in HTTP plugin in the Wasm host, the
// request reaches a local sink with the execution id as Idempotency-Key,
// and the execution is recorded. (Tasks are put in the store directly until
// the REST API exists.)
func TestServerFiresATaskThroughTheHTTPPlugin(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var keys []string
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(sink.Close)

	dataDir := filepath.Join(t.TempDir(), "kronos-data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dataDir, "kronos.db")
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"method": "POST", "url": sink.URL + "/v1/backup"})
	if _, err := st.TaskCreate(t.Context(), core.Task{Name: "ping", Schedule: "* * * * * *", Executor: "http", Config: cfg}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json", "--allow-private-networks")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	deadline := time.Now().Add(startDeadline)
	for {
		mu.Lock()
		n := len(keys)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sink saw %d requests in %s\n%s", n, startDeadline, srv.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The fires show in the Prometheus metrics (the result of the first is
	// counted once it is recorded: poll for it).
	var body string
	for deadline := time.Now().Add(startDeadline); ; time.Sleep(50 * time.Millisecond) {
		code, b, err := get(t, base+"/metrics")
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET /metrics: %d %v", code, err)
		}
		body = b
		if strings.Contains(body, `status="succeeded"`) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`kronos_fires_total{namespace="default",trigger="schedule"}`,
		`kronos_fire_lag_seconds_bucket{le="0.001"}`,
		`kronos_executions_total{executor="http",namespace="default",status="succeeded"}`,
		`kronos_partitions_held 256`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := srv.wait(t); code != 0 {
		t.Fatalf("exit code %d\n%s", code, srv.log)
	}

	st, err = sqlite.Open(t.Context(), sqlite.Config{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	byID := map[string]core.Execution{}
	for _, x := range page.Executions {
		byID[x.ID] = x
	}
	// Every request the sink saw belongs to one execution; the last may
	// have been cut by the shutdown (interrupted), the others succeeded.
	seen := map[string]bool{}
	succeeded := 0
	for _, k := range keys {
		x, ok := byID[k]
		if !ok {
			t.Fatalf("the sink got Idempotency-Key %q, which is no execution (have %d)", k, len(byID))
		}
		if seen[k] {
			t.Fatalf("execution %s reached the sink twice", k)
		}
		seen[k] = true
		if x.StartedAt.Before(x.ScheduledAt) {
			t.Fatalf("started before its instant: %+v", x)
		}
		switch x.Status {
		case core.StatusSucceeded:
			succeeded++
		case core.StatusInterrupted:
		default:
			t.Fatalf("execution %+v", x)
		}
	}
	if succeeded == 0 {
		t.Fatalf("no execution recorded as succeeded: %+v", byID)
	}
}
