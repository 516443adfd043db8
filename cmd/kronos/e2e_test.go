package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/cmd/kronos/internal/datadir"
	"github.com/shiyu-coder/kronos/internal/wasmtest"
	"github.com/shiyu-coder/kronos/plugins"
)

// Deadlines are generous: the tests run on loaded 2-core machines, and they
// assert what happens, not how fast.
const (
	startDeadline = 90 * time.Second
	exitDeadline  = 90 * time.Second
	// warmDeadline bounds the first compile of the built-in plugins,
	// minutes under load.
	warmDeadline = 5 * time.Minute
)

const e2eVersion = "e2e-test"

// bin is the kronos binary, built once by kronosBinary.
var bin struct {
	once sync.Once
	dir  string // removed by TestMain
	path string
	err  error // why the build failed
}

func TestMain(m *testing.M) {
	// The client commands run in-process read the CLI config file and
	// KRONOS_TOKEN: the developer's must not reach the test servers.
	cleanup := isolateCLIEnvironment()
	code := m.Run()
	cleanup()
	if bin.dir != "" {
		_ = os.RemoveAll(bin.dir)
	}
	os.Exit(code)
}

// kronosBinary builds the kronos binary once per test run, with the version
// stamped the way `just build` stamps it.
func kronosBinary(t *testing.T) string {
	t.Helper()
	bin.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			bin.err = fmt.Errorf("the end-to-end tests build kronos and need the go command on PATH: %w", err)
			return
		}
		bin.dir, bin.err = os.MkdirTemp("", "kronos-e2e-")
		if bin.err != nil {
			return
		}
		bin.path = filepath.Join(bin.dir, "kronos")
		cmd := exec.CommandContext(context.Background(), goTool, "build",
			"-ldflags", "-X main.version="+e2eVersion, "-o", bin.path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			bin.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		bin.err = warmWasmCache(bin.path, bin.dir)
	})
	if bin.err != nil {
		t.Fatal(bin.err)
	}
	return bin.path
}

// testWasmCache is the compilation cache of every server the tests start
// (and of the api tests' runtimes): warmWasmCache fills it once, so that
// no server compiles the built-in plugins itself.
var testWasmCache = filepath.Join(wasmtest.CacheDir(), "compiled")

// warmWasmCache runs the kronos binary once, until it has compiled its
// built-in plugins into testWasmCache. On a cold cache this is the script
// plugin's native compile (about 13 s on an idle 2-CPU machine), paid once
// instead of by every server, in the background of the timing-sensitive
// tests; on a warm one, well under a second.
func warmWasmCache(path, dir string) error {
	cmd := exec.CommandContext(context.Background(), path, "server", "--addr", "127.0.0.1:0",
		"--data-dir", filepath.Join(dir, "warm-up"), "--log-format", "json", "--wasm-cache-dir", testWasmCache)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	log := watchLog(stderr)
	defer func() {
		_ = cmd.Process.Kill()
		<-log.eof
		_ = cmd.Wait()
	}()
	last := `"plugin":"` + plugins.Names[len(plugins.Names)-1] + `","took"`
	for deadline := time.Now().Add(warmDeadline); time.Now().Before(deadline); {
		select {
		case <-log.eof:
			return fmt.Errorf("warm the compilation cache: kronos exited\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if strings.Contains(log.String(), last) {
			return nil
		}
	}
	return fmt.Errorf("warm the compilation cache: the built-in plugins were not ready within %s\n%s", warmDeadline, log)
}

// logWatch collects a server's log output and reports the URL it listens on.
type logWatch struct {
	mu  sync.Mutex
	buf strings.Builder
	url chan string
	eof chan struct{} // closed once the output has been read to its end
}

// watchLog reads JSON log lines from r until EOF.
func watchLog(r io.Reader) *logWatch {
	w := &logWatch{url: make(chan string, 1), eof: make(chan struct{})}
	go func() {
		defer close(w.eof)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			w.mu.Lock()
			w.buf.WriteString(line + "\n")
			w.mu.Unlock()
			var rec struct {
				URL string `json:"url"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.URL != "" {
				select {
				case w.url <- rec.URL:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return w
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// server is a kronos process started by a test.
type server struct {
	cmd  *exec.Cmd
	log  *logWatch
	done chan struct{} // closed once the process has exited
	err  error         // cmd.Wait's result, set before done closes
}

// startServer runs the kronos binary with args and a clean KRONOS_
// environment, and kills it at the end of the test if it still runs.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), kronosBinary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, envName(keyWasmCacheDir)+"="+testWasmCache)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, log: watchLog(stderr), done: make(chan struct{})}
	go func() {
		// Wait closes the pipe: read it to the end first, or the last
		// lines of a process that exits at once are lost.
		<-s.log.eof
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// waitURL returns the URL the server logged it listens on.
func (s *server) waitURL(t *testing.T) string {
	t.Helper()
	select {
	case u := <-s.log.url:
		return u
	case <-s.done:
		t.Fatalf("kronos exited before listening: %v\n%s", s.err, s.log)
	case <-time.After(startDeadline):
		t.Fatalf("kronos did not log its URL within %s\n%s", startDeadline, s.log)
	}
	return ""
}

// waitLog waits until the server has logged a line containing want.
func (s *server) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(startDeadline)
	for !strings.Contains(s.log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("kronos did not log %s within %s\n%s", want, startDeadline, s.log)
		}
		select {
		case <-s.done:
			t.Fatalf("kronos exited before logging %s: %v\n%s", want, s.err, s.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// wait waits for the process to exit and returns its exit code.
func (s *server) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(exitDeadline):
		t.Fatalf("kronos did not exit within %s\n%s", exitDeadline, s.log)
	}
	if ee := (*exec.ExitError)(nil); errors.As(s.err, &ee) {
		return ee.ExitCode()
	} else if s.err != nil {
		t.Fatalf("wait for kronos: %v", s.err)
	}
	return 0
}

// get fetches url and returns the status code and body.
func get(t *testing.T, url string) (int, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitHealthy polls base/healthz until it answers 200.
func waitHealthy(t *testing.T, base string, s *server) {
	t.Helper()
	deadline := time.Now().Add(startDeadline)
	for {
		code, _, err := get(t, base+"/healthz")
		if err == nil && code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz did not answer 200 within %s (last: %d, %v)\n%s", startDeadline, code, err, s.log)
		}
		select {
		case <-s.done:
			t.Fatalf("kronos exited: %v\n%s", s.err, s.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestServerEndToEnd(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "kronos-data") // created by the server
	first := startServer(t, "server", "--addr", "127.0.0.1:0", "--data-dir", dataDir,
		"--log-format", "json", "--shutdown-timeout", "60s")
	base := first.waitURL(t)
	waitHealthy(t, base, first)

	if code, body, err := get(t, base+"/readyz"); err != nil || code != http.StatusOK || !strings.Contains(body, `"status":"ready"`) {
		t.Errorf("/readyz: %d %q %v; want 200 ready", code, body, err)
	}
	// Built without the kronos_ui tag, / is the page that says how to build the web UI.
	if code, body, err := get(t, base+"/"); err != nil || code != http.StatusOK || !strings.Contains(body, "built without the web UI") ||
		!strings.Contains(body, "/healthz") {
		t.Errorf("GET /: %d %q %v; want the no-UI page with /healthz", code, body, err)
	}
	if code, _, err := get(t, base+"/nope"); err != nil || code != http.StatusNotFound {
		t.Errorf("GET /nope: %d %v; want 404", code, err)
	}
	// The built-in plugins compile in the background, each logged when
	// ready, from the shared compilation cache.
	for _, name := range plugins.Names {
		first.waitLog(t, `"plugin":"`+name+`","took"`)
	}
	for _, want := range []string{`"msg":"kronos started"`, `"compilation_cache":"` + testWasmCache + `"`, `"version":"` + e2eVersion + `"`, `"driver":"sqlite"`, `"node_id":"`} {
		if !strings.Contains(first.log.String(), want) {
			t.Errorf("start-up log lacks %s\n%s", want, first.log)
		}
	}
	if fi, err := os.Stat(dataDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v, %v; want mode 0700", fi, err)
	}

	// A second server on the same data dir is refused at once and names the
	// first one.
	second := startServer(t, "server", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	if code := second.wait(t); code == 0 {
		t.Errorf("second server exited 0, want non-zero\n%s", second.log)
	}
	for _, want := range []string{
		fmt.Sprintf("is in use by kronos pid %d", first.cmd.Process.Pid),
		"stop it first, or give this server its own --data-dir",
		"kronos server --store mysql://",
	} {
		if !strings.Contains(second.log.String(), want) {
			t.Errorf("second server's message lacks %q:\n%s", want, second.log)
		}
	}
	if code, _, err := get(t, base+"/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("first server after the refusal: %d %v; want still healthy", code, err)
	}

	// SIGTERM shuts the first down gracefully.
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := first.wait(t); code != 0 {
		t.Errorf("after SIGTERM: exit code %d, want 0\n%s", code, first.log)
	}
	for _, want := range []string{"HTTP stopped", "wasm runtime closed", "store closed", "data dir lock released", "kronos stopped"} {
		if !strings.Contains(first.log.String(), want) {
			t.Errorf("shutdown log lacks %q\n%s", want, first.log)
		}
	}
	l, err := datadir.Acquire(dataDir, datadir.Owner{PID: os.Getpid()})
	if err != nil {
		t.Fatalf("data dir still locked after shutdown: %v", err)
	}
	_ = l.Release()

	// The node ID is kept: a restart reuses it.
	id, created, err := datadir.NodeID(dataDir)
	if err != nil || created || !strings.Contains(first.log.String(), `"node_id":"`+id+`"`) {
		t.Errorf("node ID %q (created %v, %v) is not the one the server logged", id, created, err)
	}
}

func TestServerPortTaken(t *testing.T) {
	t.Parallel()
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := startServer(t, "server", "--addr", ln.Addr().String(), "--data-dir", t.TempDir())
	if code := s.wait(t); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if want := "listen on --addr " + ln.Addr().String(); !strings.Contains(s.log.String(), want) {
		t.Errorf("message lacks %q:\n%s", want, s.log)
	}
}

func TestServerInvalidConfig(t *testing.T) {
	t.Parallel()
	s := startServer(t, "server", "--store", "postgres://u:hunter2@db/k", "--data-dir", t.TempDir())
	if code := s.wait(t); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if out := s.log.String(); !strings.Contains(out, `unsupported scheme "postgres"`) || strings.Contains(out, "hunter2") {
		t.Errorf("message %q: want the scheme named and the password hidden", out)
	}
}

func TestBinaryVersion(t *testing.T) {
	t.Parallel()
	out, err := exec.CommandContext(t.Context(), kronosBinary(t), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "kronos "+e2eVersion+"\n") {
		t.Errorf("kronos version printed %q, want it to start with kronos %s", out, e2eVersion)
	}
}

// runServer in-process, under the race detector: it serves until its
// context ends, then shuts down cleanly. Its plugins load from the
// compilation cache kronosBinary warms: compiling the script plugin under
// the race detector would take minutes of CPU.
func TestRunServerInProcess(t *testing.T) {
	t.Parallel()
	kronosBinary(t)
	cfg, err := load(t, []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-format", "json", "--wasm-cache-dir", testWasmCache}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	logs := watchLog(pr)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	result := make(chan error, 1)
	go func() {
		result <- runServer(ctx, cfg, pw)
		_ = pw.Close()
	}()

	var base string
	select {
	case base = <-logs.url:
	case err := <-result:
		t.Fatalf("runServer returned before listening: %v\n%s", err, logs)
	case <-time.After(startDeadline):
		t.Fatalf("no URL logged within %s\n%s", startDeadline, logs)
	}
	deadline := time.Now().Add(startDeadline)
	for {
		code, body, err := get(t, base+"/readyz")
		if err == nil && code == http.StatusOK && strings.Contains(body, "ready") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz: %d %q %v\n%s", code, body, err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The built-in plugins are ready soon after, from the warm cache.
	for _, name := range plugins.Names {
		for want := `"plugin":"` + name + `","took"`; !strings.Contains(logs.String(), want); {
			if time.Now().After(deadline) {
				t.Fatalf("no %s logged within %s\n%s", want, startDeadline, logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"built-in plugin ready"`) {
			t.Log(strings.TrimSpace(line))
		}
	}

	cancel()
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("runServer after cancel: %v\n%s", err, logs)
		}
	case <-time.After(exitDeadline):
		t.Fatalf("runServer did not return within %s\n%s", exitDeadline, logs)
	}
}
