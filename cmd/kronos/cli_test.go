package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cliResult is what a client command printed and its exit code.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs a kronos command line in-process, as the binary does, and
// returns its output and exit code.
func runCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), startDeadline)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := executeWithInput(ctx, args, strings.NewReader(stdin), &stdout, &stderr)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// cli runs a command line that must exit 0 and returns its stdout.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	r := runCLI(t, "", args...)
	if r.code != 0 {
		t.Fatalf("kronos %s: exit code %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// The CLI against the real binary: a task created from a YAML file fires
// every second at a local sink, and is listed, read, applied, triggered,
// followed, paused, resumed and deleted; namespaces are created, listed and
// deleted; each class of error has its exit code.
func TestCLIAgainstAServer(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(sink.Close)
	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json", "--allow-private-networks")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	s := "--server=" + base

	dir := t.TempDir()
	taskFile := filepath.Join(dir, "task.yaml")
	writeFile(t, taskFile, fmt.Sprintf(`# fires every second
name: ping
schedule: "* * * * * *"
executor: http
labels: {team: ops}
config:
  method: POST
  url: %s/ping
`, sink.URL))

	// Create from YAML, then watch it fire: executions of trigger
	// "schedule" succeed.
	if out := cli(t, "tasks", "create", "-f", taskFile, s); !strings.Contains(out, `task "ping" created`) {
		t.Errorf("create printed %q", out)
	}
	var fired string
	for deadline := time.Now().Add(startDeadline); fired == ""; time.Sleep(100 * time.Millisecond) {
		var list struct {
			Executions []struct{ ID, Status, Trigger string } `json:"executions"`
		}
		decodeJSON(t, cli(t, "executions", "list", "--task", "ping", "--status", "succeeded", "-o", "json", s), &list)
		for _, x := range list.Executions {
			if x.Trigger == "schedule" {
				fired = x.ID
			}
		}
		if fired == "" && time.Now().After(deadline) {
			t.Fatalf("no scheduled execution succeeded within %s\n%s", startDeadline, srv.log)
		}
	}
	if out := cli(t, "executions", "list", "--task", "ping", s); !strings.HasPrefix(out, "ID ") ||
		!strings.Contains(out, "TASK") || !strings.Contains(out, fired) || !strings.Contains(out, "schedule") {
		t.Errorf("executions list --task ping:\n%s", out)
	}
	if out := cli(t, "executions", "get", fired, s); !strings.Contains(out, "succeeded") {
		t.Errorf("executions get:\n%s", out)
	}

	// List as a table and as JSON; get as YAML.
	out := cli(t, "tasks", "list", s)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "NAME SCHEDULE EXECUTOR PAUSED VERSION" ||
		strings.Join(strings.Fields(lines[1]), " ") != "ping * * * * * * http false 1" {
		t.Errorf("tasks list:\n%s", out)
	}
	var tasks struct {
		Tasks []struct {
			Name, Schedule string
			Version        int
		} `json:"tasks"`
	}
	decodeJSON(t, cli(t, "tasks", "list", "--selector", "team=ops", "-o", "json", s), &tasks)
	if len(tasks.Tasks) != 1 || tasks.Tasks[0].Name != "ping" || tasks.Tasks[0].Version != 1 {
		t.Errorf("tasks list -o json: %+v", tasks)
	}
	if out := cli(t, "tasks", "list", "--selector", "team=dev", s); strings.Contains(out, "ping") {
		t.Errorf("a selector that matches nothing listed:\n%s", out)
	}
	yamlOut := cli(t, "tasks", "get", "ping", "-o", "yaml", s)
	if !strings.HasPrefix(yamlOut, "id: ") || !strings.Contains(yamlOut, "\nname: ping\n") || strings.Contains(yamlOut, "$schema") {
		t.Errorf("tasks get -o yaml:\n%s", yamlOut)
	}

	// Apply: the file as get printed it is unchanged; a new schedule
	// updates the task; a new name creates one.
	exported := filepath.Join(dir, "exported.yaml")
	writeFile(t, exported, yamlOut)
	if out := cli(t, "tasks", "apply", "-f", exported, s); !strings.Contains(out, `task "ping" unchanged`) {
		t.Errorf("apply of the exported task printed %q", out)
	}
	if out := cli(t, "tasks", "apply", "-f", taskFile, s); !strings.Contains(out, `task "ping" unchanged`) {
		t.Errorf("apply of the original file printed %q", out)
	}
	writeFile(t, taskFile, strings.Replace(readFile(t, taskFile), `"* * * * * *"`, `"*/2 * * * * *"`, 1))
	if out := cli(t, "tasks", "apply", "-f", taskFile, s); !strings.Contains(out, `task "ping" updated (namespace default, version 2)`) {
		t.Errorf("apply of a new schedule printed %q", out)
	}
	if out := cli(t, "tasks", "get", "ping", s); !strings.Contains(out, "*/2 * * * * *") {
		t.Errorf("after apply, get:\n%s", out)
	}
	manual := `{"name": "manual", "executor": "http", "config": {"method": "POST", "url": "` + sink.URL + `/manual"}}`
	if r := runCLI(t, manual, "tasks", "apply", "-f", "-", s); r.code != 0 || !strings.Contains(r.stdout, `task "manual" created`) {
		t.Errorf("apply from stdin: %+v", r)
	}

	// Trigger, then follow its log lines to the end.
	var x struct{ ID, Trigger string }
	decodeJSON(t, cli(t, "tasks", "trigger", "manual", "-o", "json", s), &x)
	if x.ID == "" || x.Trigger != "manual" {
		t.Fatalf("trigger -o json: %+v", x)
	}
	r := runCLI(t, "", "executions", "logs", x.ID, "--follow", s)
	if r.code != 0 || !strings.Contains(r.stdout, " info  response status=204") ||
		!strings.Contains(r.stderr, "execution "+x.ID+" succeeded") {
		t.Errorf("logs --follow: %+v", r)
	}
	if out := cli(t, "executions", "logs", x.ID, s); !strings.Contains(out, "response status=204") {
		t.Errorf("logs:\n%s", out)
	}
	if out := cli(t, "tasks", "logs", "manual", "--limit", "5", s); !strings.Contains(out, x.ID) || !strings.Contains(out, "response status=204") {
		t.Errorf("tasks logs:\n%s", out)
	}
	// A run with a config that fails: --follow exits 1 and says why.
	r = runCLI(t, "", "tasks", "trigger", "manual", "--config", `{"method":"POST","url":"http://127.0.0.1:1/refused"}`, "--follow", s)
	if r.code != exitFailure || !strings.Contains(r.stderr, `of task "manual" failed`) {
		t.Errorf("a failing run followed: %+v", r)
	}

	// Pause and resume.
	if out := cli(t, "tasks", "pause", "ping", s); !strings.Contains(out, `task "ping" paused`) {
		t.Errorf("pause printed %q", out)
	}
	if out := cli(t, "tasks", "list", "--paused", "true", s); !strings.Contains(out, "ping") || strings.Contains(out, "manual") {
		t.Errorf("list --paused true:\n%s", out)
	}
	if out := cli(t, "tasks", "resume", "ping", s); !strings.Contains(out, `task "ping" resumed`) {
		t.Errorf("resume printed %q", out)
	}
	if out := cli(t, "tasks", "preview", "ping", "--count", "3", s); len(strings.Split(strings.TrimSpace(out), "\n")) != 4 {
		t.Errorf("preview --count 3:\n%s", out)
	}

	// Namespaces.
	if out := cli(t, "namespaces", "create", "team-a", "--description", "Team A", s); !strings.Contains(out, `namespace "team-a" created`) {
		t.Errorf("namespaces create printed %q", out)
	}
	cli(t, "tasks", "create", "-f", taskFile, "-n", "team-a", s)
	if out := cli(t, "namespaces", "list", s); !strings.Contains(out, "team-a") || !strings.Contains(out, "Team A") {
		t.Errorf("namespaces list:\n%s", out)
	}
	if r := runCLI(t, "", "namespaces", "delete", "team-a", s); r.code != exitConflict {
		t.Errorf("delete of a namespace with a task: %+v", r)
	}
	cli(t, "namespaces", "delete", "team-a", "--force", s)
	if r := runCLI(t, "", "namespaces", "get", "team-a", s); r.code != exitNotFound {
		t.Errorf("get of a deleted namespace: %+v", r)
	}

	// Each class of error has its exit code and says what is wrong.
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string
	}{
		{"an unknown task is not found", "", []string{"tasks", "get", "nope"}, exitNotFound, []string{`kronos: Not Found: get task "nope"`}},
		{"a duplicate create is a conflict", "", []string{"tasks", "create", "-f", taskFile}, exitConflict, []string{"kronos: Conflict: ", "already exists"}},
		{
			"a bad cron is invalid, with the field's location", "name: bad\ncron: \"0 2 * *\"\ntype: http\n",
			[]string{"tasks", "create", "-f", "-"},
			exitInvalid,
			[]string{"kronos: Unprocessable Entity: ", "\n  body.cron: cron: expected 5 or 6 fields, got 4"},
		},
		{"an unknown flag is a usage error", "", []string{"tasks", "list", "--bogus"}, exitUsage, []string{"unknown flag: --bogus", `run "kronos tasks list --help"`}},
		{"a missing argument is a usage error", "", []string{"tasks", "get"}, exitUsage, []string{"kronos tasks get needs NAME"}},
		{"an unknown subcommand is a usage error", "", []string{"tasks", "lst"}, exitUsage, []string{`unknown command "lst"`, "did you mean list"}},
		{"a bad output format is a usage error", "", []string{"tasks", "list", "-o", "xml"}, exitUsage, []string{`--output "xml"`}},
		{"an unreadable file is a usage error", "", []string{"tasks", "create", "-f", filepath.Join(dir, "missing.yaml")}, exitUsage, []string{"read ", "missing.yaml"}},
		{"a file that is not YAML is a usage error", "name: [", []string{"tasks", "apply", "-f", "-"}, exitUsage, []string{"read stdin: not valid YAML"}},
		{"an ended execution cannot be canceled", "", []string{"executions", "cancel", x.ID}, exitConflict, []string{"already ended"}},
	} {
		r := runCLI(t, c.stdin, append(c.args, s)...)
		if r.code != c.code {
			t.Errorf("%s: exit code %d, want %d\n%s", c.name, r.code, c.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", c.name, w, r.stderr)
			}
		}
	}

	// Delete.
	if out := cli(t, "tasks", "delete", "ping", s); !strings.Contains(out, `task "ping" deleted`) {
		t.Errorf("delete printed %q", out)
	}
	// The binary exits with the same codes.
	for args, want := range map[string]int{"tasks get nope": exitNotFound, "tasks frobnicate": exitUsage} {
		cmd := exec.CommandContext(t.Context(), kronosBinary(t), append(strings.Fields(args), s)...)
		err := cmd.Run()
		if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != want {
			t.Errorf("kronos %s: %v, want exit code %d", args, err, want)
		}
	}
	if r := runCLI(t, "", "tasks", "delete", "ping", s); r.code != exitNotFound {
		t.Errorf("a second delete: %+v", r)
	}
	if hits.Load() == 0 {
		t.Error("the sink saw no request")
	}
}

// A server that does not answer: exit code 1, and the message names it
// and the way out.
func TestCLIServerUnreachable(t *testing.T) {
	t.Parallel()
	ln := httptest.NewServer(http.NotFoundHandler())
	addr := ln.URL
	ln.Close() // nothing listens there any more
	r := runCLI(t, "", "tasks", "list", "--server", addr)
	if r.code != exitFailure || !strings.Contains(r.stderr, "cannot reach the Kronos server at "+addr) ||
		!strings.Contains(r.stderr, `"just dev"`) || !strings.Contains(r.stderr, "--server") {
		t.Errorf("%+v", r)
	}
	if r := runCLI(t, "", "tasks", "list", "--server", "localhost:8080"); r.code != exitUsage || !strings.Contains(r.stderr, `--server "localhost:8080"`) {
		t.Errorf("a server without a scheme: %+v", r)
	}
}

// KRONOS_SERVER and KRONOS_NAMESPACE stand in for the flags, which beat
// them. (Not parallel: it sets the environment.)
func TestCLIEnvironment(t *testing.T) {
	var mu sync.Mutex
	var got []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"tasks":[]}`))
	}))
	t.Cleanup(api.Close)
	t.Setenv(envServer, api.URL+"/api/v1/")
	t.Setenv(envNamespace, "team-a")
	cli(t, "tasks", "list")
	cli(t, "tasks", "list", "-n", "team-b")
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != "/api/v1/tasks?namespace=team-a" || got[1] != "/api/v1/tasks?namespace=team-b" {
		t.Errorf("requests %q", got)
	}
}

// The task file formats: YAML and JSON by extension or content.
func TestCLIDecodeDocument(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in, ext, want, err string
	}{
		{"yaml by extension", "name: a\nconfig: {url: x}\n", ".yaml", `{"config":{"url":"x"},"name":"a"}`, ""},
		{"json by extension", `{"name":"a"}`, ".json", `{"name":"a"}`, ""},
		{"json by content", ` {"name":"a"}`, "", `{"name":"a"}`, ""},
		{"yaml by content", "name: a", "", `{"name":"a"}`, ""},
		{"json that is not", "name: a", ".json", "", "not valid JSON"},
		{"two yaml documents", "name: a\n---\nname: b\n", ".yml", "", "more than one YAML document"},
		{"empty", " \n", ".yaml", "", "it is empty"},
	} {
		got, err := decodeDocument([]byte(c.in), c.ext)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %s, %v; want %s", c.name, got, err, c.want)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}

func TestCLIPlugins(t *testing.T) {
	t.Parallel()
	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	s := "--server=" + base
	// The built-in HTTP plugin is a plugin like any other: upload it
	// under another name.
	wasm := filepath.Join("..", "..", "plugins", "dist", "http.wasm")
	if out := cli(t, "plugins", "upload", wasm, "--name", "myhttp", s); !strings.Contains(out, "myhttp") {
		t.Fatalf("upload printed %q", out)
	}
	if out := cli(t, "plugins", "list", s); !strings.Contains(out, "myhttp") || !strings.Contains(out, "http") {
		t.Fatalf("list printed %q", out)
	}
	if out := cli(t, "plugins", "get", "myhttp", "-o", "json", s); !strings.Contains(out, `"config_schema"`) {
		t.Fatalf("get printed %q", out)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.wasm")
	writeFile(t, garbage, "not a module")
	if r := runCLI(t, "", "plugins", "upload", garbage, s); r.code != exitInvalid {
		t.Fatalf("garbage upload: exit %d, stderr %s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "plugins", "upload", filepath.Join(t.TempDir(), "missing.wasm"), s); r.code != exitUsage {
		t.Fatalf("missing file: exit %d", r.code)
	}
	cli(t, "plugins", "delete", "myhttp", s)
	if r := runCLI(t, "", "plugins", "delete", "myhttp", s); r.code != exitNotFound {
		t.Fatalf("second delete: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestCLISecrets(t *testing.T) {
	t.Parallel()
	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	s := "--server=" + base
	if r := runCLI(t, "s3cr3t-from-stdin\n", "secrets", "set", "tok", s); r.code != 0 || strings.Contains(r.stdout, "s3cr3t") || !strings.Contains(r.stdout, "tok") {
		t.Fatalf("set: %+v", r)
	}
	file := filepath.Join(t.TempDir(), "v.txt")
	writeFile(t, file, "rotated-value")
	cli(t, "secrets", "set", "tok", "--from-file", file, s)
	if out := cli(t, "secrets", "list", "-o", "json", s); !strings.Contains(out, `"tok"`) || strings.Contains(out, "rotated-value") {
		t.Fatalf("list %s", out)
	}
	if r := runCLI(t, "", "secrets", "set", "empty", s); r.code != exitUsage {
		t.Fatalf("an empty secret: exit %d", r.code)
	}
	cli(t, "secrets", "delete", "tok", s)
	if r := runCLI(t, "", "secrets", "delete", "tok", s); r.code != exitNotFound {
		t.Fatalf("second delete: exit %d", r.code)
	}
}
