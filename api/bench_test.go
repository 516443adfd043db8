package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// BenchmarkTaskPages measures what the web UI's tasks page asks for with
// KRONOS_BENCH_UI_TASKS tasks (default 10000) in one namespace on the
// embedded store, each with a recorded execution: the first page of 50
// (with each task's next fire instant and last execution), a page deep in
// the listing (by cursor), a text search and a label filter. It reports
// the time per request of each.
func BenchmarkTaskPages(b *testing.B) {
	n := envInt("KRONOS_BENCH_UI_TASKS", 10000)
	ctx := b.Context()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "kronos.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	at := time.Now().Add(-time.Hour).Truncate(time.Minute)
	var xs []core.Execution
	for i := range n {
		t, err := st.TaskCreate(ctx, core.Task{
			Name: fmt.Sprintf("task-%05d", i), Schedule: "*/5 * * * *", Executor: "http",
			Labels: map[string]string{"team": fmt.Sprintf("team-%d", i%20)},
		})
		if err != nil {
			b.Fatal(err)
		}
		xs = append(xs, core.Execution{Namespace: t.Namespace, TaskID: t.ID, TaskName: t.Name, ScheduledAt: at, Trigger: core.TriggerSchedule, Attempt: 1, Node: "bench"})
	}
	claimed, err := st.ExecutionClaim(ctx, xs)
	if err != nil {
		b.Fatal(err)
	}
	ups := make([]store.ExecutionUpdateParams, len(claimed))
	for i, x := range claimed {
		ups[i] = store.ExecutionUpdateParams{ID: x.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusSucceeded, StartedAt: at, FinishedAt: at.Add(time.Second)}
	}
	if _, err := st.ExecutionUpdateMany(ctx, ups); err != nil {
		b.Fatal(err)
	}
	authn, err := api.NewAuthenticator(api.AuthConfig{Store: st, HashKey: []byte("bench-key-bench-key-bench-key-32"), Anonymous: true})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.New(ctx, engine.Config{Store: st, Executor: &executor{}, NodeID: "bench", Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{})})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	api.New(mux, api.Config{Store: st, Scheduler: eng, Auth: authn})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(b *testing.B, path string) {
		b.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+api.Prefix+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	// A cursor half way down, as paging there would reach it.
	page, err := st.TaskList(ctx, store.TaskListParams{Namespace: core.DefaultNamespace, Limit: 1000})
	if err != nil {
		b.Fatal(err)
	}
	for range n / 2 / 1000 {
		if page.NextCursor == "" {
			break
		}
		if page, err = st.TaskList(ctx, store.TaskListParams{Namespace: core.DefaultNamespace, Limit: 1000, Cursor: page.NextCursor}); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct{ name, path string }{
		{"first-page", "/tasks?limit=50"},
		{"deep-page", "/tasks?limit=50&cursor=" + url.QueryEscape(page.NextCursor)},
		{"search", "/tasks?limit=50&q=task-099"},
		{"label", "/tasks?limit=50&selector=team%3Dteam-7"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				get(b, c.path)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/request")
		})
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
