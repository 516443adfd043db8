package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A secret set through the API reaches the target inside the execution,
// and appears in no API response, execution output, error or log line,
// even when the target echoes it back; the key file in the data dir is
// the user's alone.
func TestServerResolvesAndRedactsSecrets(t *testing.T) {
	t.Parallel()
	const value = "s3cr3t-value-9f2c"
	var mu sync.Mutex
	var seen []string
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		_, _ = io.WriteString(w, "you sent "+r.Header.Get("Authorization"))
	}))
	t.Cleanup(sink.Close)
	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json", "--allow-private-networks")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	api := base + "/api/v1"
	var everything strings.Builder // every response body, to grep for the value
	call := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		var rd io.Reader = http.NoBody
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(t.Context(), method, api+path, rd)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		everything.Write(b)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	call(http.MethodPut, "/secrets/backup-token", map[string]string{"value": value}, http.StatusOK)
	call(http.MethodGet, "/secrets", nil, http.StatusOK)
	call(http.MethodPost, "/tasks", map[string]any{
		"name": "backup", "type": "http",
		"config": map[string]any{"method": "POST", "url": sink.URL, "headers": map[string]string{"Authorization": `Bearer {{ secret "backup-token" }}`}},
	}, http.StatusCreated)
	id := call(http.MethodPost, "/tasks/backup/trigger", nil, http.StatusAccepted)["id"].(string)
	deadline := time.Now().Add(startDeadline)
	for {
		x := call(http.MethodGet, "/executions/"+id, nil, http.StatusOK)
		if x["status"] == "succeeded" {
			if out, _ := x["output"].(string); !strings.Contains(out, "[secret backup-token]") {
				t.Errorf("the echoed value is not redacted in the output: %s", out)
			}
			break
		}
		if s, _ := x["status"].(string); s == "failed" || time.Now().After(deadline) {
			t.Fatalf("execution %v\n%s", x, srv.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	call(http.MethodGet, "/executions/"+id+"/logs", nil, http.StatusOK)
	call(http.MethodGet, "/tasks/backup", nil, http.StatusOK)
	mu.Lock()
	if len(seen) != 1 || seen[0] != "Bearer "+value {
		t.Errorf("the target saw %q, want the resolved secret", seen)
	}
	mu.Unlock()
	// A task whose secret is missing fails, naming it.
	call(http.MethodDelete, "/secrets/backup-token", nil, http.StatusNoContent)
	id = call(http.MethodPost, "/tasks/backup/trigger", nil, http.StatusAccepted)["id"].(string)
	for {
		x := call(http.MethodGet, "/executions/"+id, nil, http.StatusOK)
		if x["status"] == "failed" {
			if e, _ := x["error"].(string); !strings.Contains(e, `secret "backup-token"`) {
				t.Errorf("error %q does not name the missing secret", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %v", x)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The audit log holds the changes, before and after, without the value.
	audit := call(http.MethodGet, "/audit?limit=1000", nil, http.StatusOK)
	if n := len(audit["events"].([]any)); n < 4 {
		t.Errorf("the audit log holds %d events, want the put, create and delete at least", n)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.wait(t)
	if strings.Contains(everything.String(), value) {
		t.Error("an API response holds the secret value")
	}
	if strings.Contains(srv.log.String(), value) {
		t.Error("the server log holds the secret value")
	}
	for _, f := range []string{"kronos.db", "kronos.db-wal"} {
		db, err := os.ReadFile(filepath.Join(dataDir, f))
		if err == nil && bytes.Contains(db, []byte(value)) {
			t.Errorf("%s holds the secret value in clear", f)
		}
	}
	info, err := os.Stat(filepath.Join(dataDir, "secret.keys"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("secret.keys: %v %v, want mode 0600", info, err)
	}
}
