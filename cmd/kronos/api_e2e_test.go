package main

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core/store/mysql/mysqltest"
	"github.com/shiyu-coder/kronos/openapi/client"
)

// The binary's API driven through the generated Go client, on the embedded
// store and on MySQL: the seed's task (its executor aimed at a local sink),
// a trigger, the execution read back until it succeeds, its log lines, and
// the node.
func TestServerAPIThroughTheGeneratedClient(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		serverAPIThroughTheGeneratedClient(t, "sqlite")
	})
	t.Run("mysql", func(t *testing.T) {
		t.Parallel()
		serverAPIThroughTheGeneratedClient(t, "mysql", "--store", mysqltest.DatabaseURL(t))
	})
}

func serverAPIThroughTheGeneratedClient(t *testing.T, driver string, extra ...string) {
	var mu sync.Mutex
	var keys []string
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(sink.Close)
	dataDir, _ := newDataDir(t)
	srv := startServer(t, append([]string{"server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json", "--allow-private-networks"}, extra...)...)
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	c, err := client.NewClientWithResponses(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	name, cron, typ := "daily_backup", "0 2 * * *", "http"
	created, err := c.CreateTaskWithResponse(ctx, nil, client.TaskInput{
		Name: &name, Cron: &cron, Type: &typ,
		Config: map[string]any{"method": "POST", "url": sink.URL + "/v1/backup", "headers": map[string]string{"Authorization": "Bearer ____"}},
	})
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create: %v %d %s", err, created.StatusCode(), created.Body)
	}
	if created.JSON201.Schedule != cron || created.JSON201.Executor != typ || created.JSON201.Version != 1 {
		t.Fatalf("created %+v", created.JSON201)
	}
	bad := "0 2 * *"
	refused, err := c.CreateTaskWithResponse(ctx, nil, client.TaskInput{Name: &name, Cron: &bad, Type: &typ})
	if err != nil || refused.ApplicationproblemJSON422 == nil || (*refused.ApplicationproblemJSON422.Errors)[0].Location == nil ||
		*(*refused.ApplicationproblemJSON422.Errors)[0].Location != "body.cron" {
		t.Fatalf("a bad cron: %v %d %s", err, refused.StatusCode(), refused.Body)
	}

	triggered, err := c.TriggerTaskWithResponse(ctx, name, nil, client.TriggerTaskJSONRequestBody{})
	if err != nil || triggered.JSON202 == nil {
		t.Fatalf("trigger: %v %d %s", err, triggered.StatusCode(), triggered.Body)
	}
	id := triggered.JSON202.Id
	deadline := time.Now().Add(startDeadline)
	for {
		x, err := c.GetExecutionWithResponse(ctx, id, nil)
		if err != nil || x.JSON200 == nil {
			t.Fatalf("get execution: %v %s", err, x.Body)
		}
		if x.JSON200.Status == client.ExecutionStatusSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s is %s\n%s", id, x.JSON200.Status, srv.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	if len(keys) != 1 || keys[0] != id {
		t.Errorf("the sink saw %v, want the execution id %s once", keys, id)
	}
	mu.Unlock()
	limit := int64(20)
	logs, err := c.GetTaskLogsWithResponse(ctx, name, &client.GetTaskLogsParams{Limit: &limit})
	if err != nil || logs.JSON200 == nil || logs.JSON200.Lines == nil || len(*logs.JSON200.Lines) == 0 {
		t.Fatalf("logs: %v %s", err, logs.Body)
	}
	// The operations the CLI does not use: patch-task (with a stale and a
	// current version), preview-schedule, replace-namespace.
	stale := `"9"`
	conflict, err := c.PatchTaskWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, name, &client.PatchTaskParams{IfMatch: &stale},
		client.PatchTaskApplicationMergePatchPlusJSONRequestBody{"paused": true})
	if err != nil || conflict.ApplicationproblemJSON409 == nil {
		t.Fatalf("patch with a stale version: %v %d %s", err, conflict.StatusCode(), conflict.Body)
	}
	patched, err := c.PatchTaskWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, name, nil,
		client.PatchTaskApplicationMergePatchPlusJSONRequestBody{"cron": "30 1 * * *", "labels": map[string]string{"team": "ops"}})
	if err != nil || patched.JSON200 == nil || patched.JSON200.Schedule != "30 1 * * *" || patched.JSON200.Version != 2 {
		t.Fatalf("patch: %v %d %s", err, patched.StatusCode(), patched.Body)
	}
	tz, count := "Asia/Shanghai", int64(3)
	preview, err := c.PreviewScheduleWithResponse(ctx, &client.PreviewScheduleParams{Expr: "0 9 * * 1-5", Timezone: &tz, Count: &count})
	if err != nil || preview.JSON200 == nil || preview.JSON200.Next == nil || len(*preview.JSON200.Next) != 3 {
		t.Fatalf("preview: %v %d %s", err, preview.StatusCode(), preview.Body)
	}
	desc := "the default namespace"
	ns, err := c.ReplaceNamespaceWithResponse(ctx, "default", nil, client.NamespaceInput{Description: &desc})
	if err != nil || ns.JSON200 == nil || ns.JSON200.Description == nil || *ns.JSON200.Description != desc {
		t.Fatalf("replace namespace: %v %d %s", err, ns.StatusCode(), ns.Body)
	}
	node, err := c.GetNodeWithResponse(ctx)
	if err != nil || node.JSON200 == nil || string(node.JSON200.Store) != driver || node.JSON200.PartitionsHeld != 256 {
		t.Fatalf("node: %v %s", err, node.Body)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := srv.wait(t); code != 0 {
		t.Fatalf("exit code %d\n%s", code, srv.log)
	}
}
