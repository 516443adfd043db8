package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/plugins"
)

// The built-in script plugin in the server: listed with the other
// built-ins and described; a script that does not parse is refused when
// the task is saved; a triggered one runs and records what it returned.
func TestServerScriptBuiltin(t *testing.T) {
	t.Parallel()
	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	api, c := base+"/api/v1", http.DefaultClient

	code, list := doJSON(t, c, http.MethodGet, api+"/plugins", "", nil)
	var builtins []string
	for _, p := range list["plugins"].([]any) {
		if p := p.(map[string]any); p["builtin"] == true {
			builtins = append(builtins, p["name"].(string))
		}
	}
	if code != http.StatusOK || !slices.Equal(builtins, plugins.Names) {
		t.Fatalf("list-plugins: %d, built-ins %v, want %v", code, builtins, plugins.Names)
	}
	if code, p := doJSON(t, c, http.MethodGet, api+"/plugins/script", "", nil); code != http.StatusOK || p["builtin"] != true || p["config_schema"] == nil {
		t.Fatalf("get-plugin script: %d %v", code, p)
	}

	task := func(script string) map[string]any {
		return map[string]any{"name": "report", "schedule": "@every 1h", "executor": "script", "config": map[string]any{"script": script}}
	}
	code, problem := doJSON(t, c, http.MethodPost, api+"/tasks", "", task("return 1 +)"))
	if b, _ := json.Marshal(problem); code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "config.script") || !strings.Contains(string(b), "SyntaxError") {
		t.Fatalf("a script that does not parse: %d %s", code, b)
	}
	if code, created := doJSON(t, c, http.MethodPost, api+"/tasks", "", task(`console.log("summing"); return {sum: 1 + 2, task: execution.task}`)); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, created)
	}
	code, x := doJSON(t, c, http.MethodPost, api+"/tasks/report/trigger", "", map[string]any{})
	if code != http.StatusAccepted {
		t.Fatalf("trigger: %d %v", code, x)
	}
	id, _ := x["id"].(string)
	for deadline := time.Now().Add(startDeadline); ; {
		_, x = doJSON(t, c, http.MethodGet, api+"/executions/"+id, "", nil)
		if x["status"] == "succeeded" {
			break
		}
		if x["status"] != "pending" && x["status"] != "running" || time.Now().After(deadline) {
			t.Fatalf("execution %s: %v\n%s", id, x, srv.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if x["output"] != `{"sum":3,"task":"report"}` {
		t.Fatalf("output = %q", x["output"])
	}
}
