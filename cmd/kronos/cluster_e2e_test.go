package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/mysql"
	"github.com/shiyu-coder/kronos/core/store/mysql/mysqltest"
	"github.com/shiyu-coder/kronos/internal/redistest"
)

// TestClusterSharesAndFailsOver runs two nodes on one MariaDB database and
// one Redis: they split the partitions, tasks created through one fire on
// both, and when one is killed -9 the other holds every partition within
// the lease TTL. In the whole window no instant of any task has two
// executions, and none is without one.
func TestClusterSharesAndFailsOver(t *testing.T) {
	redisURL := redistest.URL(t)
	dbURL := mysqltest.DatabaseURL(t)
	prefix := redistest.Prefix()
	keys, err := auth.NewKeyringFile("k1")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "secret.keys")
	if err := os.WriteFile(keyFile, []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	const ttl = 2 * time.Second
	start := func(name string) (*server, string, string) {
		dataDir := filepath.Join(t.TempDir(), name)
		s := startServer(t, "server", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json",
			"--node-id", name, "--store", dbURL, "--redis", redisURL, "--redis-prefix", prefix,
			"--lease-ttl", ttl.String(), "--secret-key-file", keyFile, "--allow-private-networks")
		base := s.waitURL(t)
		waitHealthy(t, base, s)
		return s, base, dataDir
	}
	a, baseA, dirA := start("node-a")
	raw, err := os.ReadFile(filepath.Join(dirA, ownerTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(raw))
	bNode, baseB, _ := start("node-b")

	held := func(base string) map[string]int {
		code, m := doJSON(t, http.DefaultClient, "GET", base+"/api/v1/nodes", token, nil)
		if code != http.StatusOK {
			return nil
		}
		out := map[string]int{}
		for _, n := range m["nodes"].([]any) {
			n := n.(map[string]any)
			out[n["id"].(string)] = int(n["partitions_held"].(float64))
		}
		return out
	}
	waitUntil := func(what string, within time.Duration, ok func() bool) time.Duration {
		t.Helper()
		began := time.Now()
		for !ok() {
			if time.Since(began) > within {
				t.Fatalf("%s: not within %s\nnode-a:\n%s\nnode-b:\n%s", what, within, a.log, bNode.log)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(began)
	}
	waitUntil("the partitions split between two nodes", 20*time.Second, func() bool {
		h := held(baseA)
		return len(h) == 2 && h["node-a"] > 0 && h["node-b"] > 0 && h["node-a"]+h["node-b"] == 256
	})
	t.Logf("split: %v", held(baseA))

	const tasks = 20
	for i := range tasks {
		code, m := doJSON(t, http.DefaultClient, "POST", baseA+"/api/v1/tasks", token, map[string]any{
			"name": fmt.Sprintf("tick-%02d", i), "schedule": "* * * * * *", "executor": "http",
			"config": map[string]any{"url": "http://127.0.0.1:1/unreachable"},
		})
		if code != http.StatusCreated {
			t.Fatalf("create a task through node-a: %d %v", code, m)
		}
	}
	time.Sleep(4 * time.Second)
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	failover := waitUntil("node-b holds every partition after node-a's death", 6*ttl, func() bool {
		return held(baseB)["node-b"] == 256
	})
	time.Sleep(4 * time.Second)
	end := time.Now()
	if err := bNode.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	bNode.wait(t)

	st, err := mysql.Open(t.Context(), mysql.Config{URL: dbURL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.TaskList(t.Context(), store.TaskListParams{Namespace: core.DefaultNamespace, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	checked, byNode, orphans := 0, map[string]int{}, 0
	for _, task := range page.Tasks {
		xs, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Namespace: core.DefaultNamespace, TaskID: task.ID, Limit: store.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		at := map[int64]int{}
		first := time.Time{}
		for _, x := range xs.Executions {
			at[x.ScheduledAt.Unix()]++
			if first.IsZero() || x.ScheduledAt.Before(first) {
				first = x.ScheduledAt
			}
			byNode[x.Node+"/"+string(x.Status)]++
			if x.Status == core.StatusPending && x.Node == "node-a" && x.ScheduledAt.Before(end.Add(-time.Second)) {
				orphans++
			}
		}
		// Every second from the task's first instant to just before the end.
		for s := first; s.Before(end.Add(-2 * time.Second)); s = s.Add(time.Second) {
			checked++
			if n := at[s.Unix()]; n != 1 {
				t.Errorf("%s at %s: %d executions, want 1", task.Name, s.Format("15:04:05"), n)
			}
		}
	}
	if orphans > 0 {
		t.Errorf("%d executions whose instant passed were left pending: claimed by a node that died, and never adopted", orphans)
	}
	if t.Failed() {
		t.Logf("node-a:\n%s\nnode-b:\n%s", a.log, bNode.log)
	}
	if len(page.Tasks) != tasks || checked < tasks*8 {
		t.Fatalf("checked %d instants of %d tasks; want %d tasks over about 10 s", checked, len(page.Tasks), tasks)
	}
	t.Logf("instants checked %d; executions by node/status %v; left pending by the dead node: %d; failover (kill to all 256 held): %s (TTL %s; kill at %s)",
		checked, byNode, orphans, failover.Round(time.Millisecond), ttl, killed.Format("15:04:05.000"))
}
