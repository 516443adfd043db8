package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/internal/brokertest"
	"github.com/shiyu-coder/kronos/internal/redistest"
	"github.com/shiyu-coder/kronos/internal/wasmtest"
	"github.com/shiyu-coder/kronos/plugins"
)

// devPlugins are the modules the `kronos plugin` tests run, built once.
var devPlugins struct {
	once    sync.Once
	hello   string // examples/go-hello
	fixture string // host/testdata/fixture: has loop, flood, bigout exports
	err     error
}

// devPlugin returns the path of a built test plugin: "hello" or "fixture".
func devPlugin(t *testing.T, which string) string {
	t.Helper()
	devPlugins.once.Do(func() {
		dir, err := os.MkdirTemp("", "kronos-plugin-dev-")
		if err != nil {
			devPlugins.err = err
			return
		}
		build := func(pkg string, srcs ...string) (string, error) {
			wasm, err := wasmtest.Build("../..", pkg, srcs...)
			if err != nil {
				return "", err
			}
			path := filepath.Join(dir, filepath.Base(pkg)+".wasm")
			return path, os.WriteFile(path, wasm, 0o600)
		}
		if devPlugins.hello, devPlugins.err = build("examples/go-hello", "examples/go-hello", "sdk"); devPlugins.err != nil {
			return
		}
		devPlugins.fixture, devPlugins.err = build("host/testdata/fixture", "host/testdata/fixture")
	})
	if devPlugins.err != nil {
		t.Fatal("build the test plugins:", devPlugins.err)
	}
	if which == "hello" {
		return devPlugins.hello
	}
	return devPlugins.fixture
}

func TestPluginValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notWasm := filepath.Join(dir, "notes.wasm")
	writeFile(t, notWasm, "hello, I am text")
	noExecute := filepath.Join(dir, "empty.wasm")
	// The smallest valid module: the magic and version, no sections.
	if err := os.WriteFile(noExecute, []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		code      int
		stdout    []string
		stderr    []string
		notStdout string
	}{
		{
			name: "go-hello is valid and described",
			args: []string{devPlugin(t, "hello")},
			stdout: []string{
				"go-hello.wasm: valid", "name:        go-hello", "version:     0.1.0", "sha256:      ",
				"exports:     _initialize, describe, execute", "1 property, no others", `name (string, default "world"): Who to greet.`,
			},
		},
		{
			name:   "a text file is not Wasm, as an upload says (422: exit 5)",
			args:   []string{notWasm},
			code:   exitInvalid,
			stderr: []string{"the module was refused (not_wasm)", "does not start with \\0asm"},
		},
		{
			name:   "a module without execute is refused",
			args:   []string{noExecute},
			code:   exitInvalid,
			stderr: []string{"(missing_export)", `exports no function "execute"`},
		},
		{
			name:   "--function names a plain Extism export",
			args:   []string{devPlugin(t, "fixture"), "--function", "loop"},
			stdout: []string{"fixture.wasm: valid", "loop"},
		},
		{
			name:   "a missing file is a usage error",
			args:   []string{filepath.Join(dir, "absent.wasm")},
			code:   exitUsage,
			stderr: []string{"read the plugin"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, "", append([]string{"plugin", "validate"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

func TestPluginTest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.json")
	writeFile(t, cfg, `{"name": "Kronos"}`)
	badCfg := filepath.Join(dir, "bad.json")
	writeFile(t, badCfg, `{"nam": "Kronos"}`)
	loopCfg := filepath.Join(dir, "loop.json")
	writeFile(t, loopCfg, `{"extism": {"function": "loop"}}`)
	floodCfg := filepath.Join(dir, "flood.json")
	writeFile(t, floodCfg, `{"extism": {"function": "flood"}}`)
	allocCfg := filepath.Join(dir, "alloc.json")
	writeFile(t, allocCfg, `{"extism": {"function": "alloc"}}`)
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{
			name: "go-hello with a config succeeds and prints output and logs",
			args: []string{devPlugin(t, "hello"), "--config", cfg},
			stdout: []string{
				"status:   succeeded", "duration: ", `"greeting": "hello, Kronos"`, `"count": 1`,
				"logs:     1 lines", "info   hello, Kronos execution=", "MiB peak of 64.0 MiB limit (", " %, 1024 pages)",
				"limits:   none came near",
			},
		},
		{
			name:   "the config from stdin, with a memory limit",
			stdin:  `{"name": "stdin"}`,
			args:   []string{devPlugin(t, "hello"), "--config", "-", "--memory-pages", "512"},
			stdout: []string{"hello, stdin", "MiB peak of 32.0 MiB limit (", " %, 512 pages)"},
		},
		{
			name: "a plugin that allocates without bound reaches the memory limit",
			args: []string{devPlugin(t, "fixture"), "--config", allocCfg, "--memory-pages", "256"},
			code: exitFailure,
			stdout: []string{
				"status:   failed", "ran out of memory", "memory:   16.0 MiB peak of 16.0 MiB limit (100 %, 256 pages)",
				"memory: reached the limit of 16.0 MiB (--memory-pages; settings.wasm.memory_pages)",
			},
		},
		{
			name:   "a config the schema refuses is invalid (exit 5)",
			args:   []string{devPlugin(t, "hello"), "--config", badCfg},
			code:   exitInvalid,
			stderr: []string{"the config is invalid", "config"},
		},
		{
			name:   "a plugin that loops times out",
			args:   []string{devPlugin(t, "fixture"), "--config", loopCfg, "--timeout", "1s"},
			code:   exitFailure,
			stdout: []string{"status:   timed_out", "time: reached the limit of 1s"},
		},
		{
			name:   "a plugin that logs too much is stopped at the log limit",
			args:   []string{devPlugin(t, "fixture"), "--config", floodCfg, "--timeout", "30s"},
			code:   exitFailure,
			stdout: []string{"status:   failed", "log: reached the limit of 256.0 KiB"},
		},
		{
			name:   "memory pages out of range is a usage error",
			args:   []string{devPlugin(t, "hello"), "--memory-pages", "8"},
			code:   exitUsage,
			stderr: []string{"--memory-pages 8"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tc.stdin, append([]string{"plugin", "test"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

// The report's memory line, and memory among the limits a run came near.
func TestPluginTestReportsMemory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		used   uint64
		pages  uint32
		memory string
		near   string
	}{
		{"far from the limit", 18 << 20, 1024, "memory:   18.0 MiB peak of 64.0 MiB limit (28 %, 1024 pages)\n", "limits:   none came near"},
		{"at 80 % of the limit", 52429 << 10, 1024, "memory:   51.2 MiB peak of 64.0 MiB limit (80 %, 1024 pages)\n", "memory: 51.2 MiB of 64.0 MiB, 80 % (--memory-pages; settings.wasm.memory_pages)"},
		{"not measured", 0, 512, "memory:   limit 512 pages (32.0 MiB); peak not measured\n", "limits:   none came near"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			printRun(&b, testRun{status: "succeeded", res: host.CallResult{MemoryBytes: tc.used}}, host.Limits{}, tc.pages)
			for _, s := range []string{tc.memory, tc.near} {
				if !strings.Contains(b.String(), s) {
					t.Errorf("report lacks %q:\n%s", s, b.String())
				}
			}
		})
	}
}

// A Go skeleton builds for wasip1 as it is written, passes its own tests
// and passes validate and test.
func TestPluginInitGo(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "hello")
	out := cli(t, "plugin", "init", "hello", "--lang", "go", "--dir", dir, "--kronos", repo)
	for _, f := range []string{"go.mod", "main.go", "plugin.go", "plugin_test.go", "exports_wasip1.go", "Makefile", "README.md", "config.json"} {
		if !strings.Contains(out, "  "+f+"\n") {
			t.Errorf("init did not list %s:\n%s", f, out)
		}
	}
	if gomod := readFile(t, filepath.Join(dir, "go.mod")); !strings.Contains(gomod, "replace github.com/shiyu-coder/kronos => "+filepath.ToSlash(repo)) {
		t.Errorf("go.mod:\n%s", gomod)
	}
	run := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), goTool, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	run(nil, "mod", "tidy")
	run(nil, "test", "./...")
	run([]string{"GOOS=wasip1", "GOARCH=wasm"}, "build", "-trimpath", "-buildmode=c-shared", "-o", "hello.wasm", ".")
	wasm := filepath.Join(dir, "hello.wasm")
	if out := cli(t, "plugin", "validate", wasm); !strings.Contains(out, "name:        hello") {
		t.Errorf("validate:\n%s", out)
	}
	if out := cli(t, "plugin", "test", wasm, "--config", filepath.Join(dir, "config.json")); !strings.Contains(out, `"greeting": "hello, Kronos"`) {
		t.Errorf("test:\n%s", out)
	}

	// A directory that is not empty is refused.
	if r := runCLI(t, "", "plugin", "init", "again", "--dir", dir, "--kronos", repo); r.code != exitUsage || !strings.Contains(r.stderr, "is not empty") {
		t.Errorf("init into a full directory: exit %d, stderr %s", r.code, r.stderr)
	}
}

// An AssemblyScript skeleton builds with npm and passes validate. It needs
// npm, and the network for `npm ci` unless npm's cache has the packages;
// under CI=true npm must be there.
func TestPluginInitAssemblyScript(t *testing.T) {
	t.Parallel()
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and npm is not on PATH")
		}
		t.Skip("needs npm")
	}
	dir := filepath.Join(t.TempDir(), "ashello")
	cli(t, "plugin", "init", "ashello", "--lang", "assemblyscript", "--dir", dir)
	for _, args := range [][]string{{"ci", "--no-audit", "--no-fund", "--prefer-offline"}, {"run", "build"}} {
		cmd := exec.CommandContext(context.WithoutCancel(t.Context()), npm, args...)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	wasm := filepath.Join(dir, "build", "ashello.wasm")
	if out := cli(t, "plugin", "validate", wasm); !strings.Contains(out, "name:        ashello") {
		t.Errorf("validate:\n%s", out)
	}
	if out := cli(t, "plugin", "test", wasm, "--config", filepath.Join(dir, "test", "config.json")); !strings.Contains(out, `"greeting": "hello, Kronos"`) {
		t.Errorf("test:\n%s", out)
	}
}

func TestPluginInitRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown language", []string{"x", "--lang", "rust", "--kronos", "."}, `--lang "rust": use go or assemblyscript`},
		{"a name that is not an executor name", []string{"Hello_World", "--kronos", "."}, `"Hello_World" is not a valid name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "p")
			r := runCLI(t, "", append([]string{"plugin", "init", "--dir", dir}, tc.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %s", r.code, r.stderr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("%s was written", dir)
			}
		})
	}
}

// `kronos plugin test` of the built-in mq plugin publishes through the
// connections given on the command line: to the machine's Redis (the
// entry is read back), and to RabbitMQ with the password taken from the
// URL (a consumer gets the message); a connection the run lacks says which
// flag to pass, and loopback without --allow-private-networks says so too.
func TestPluginTestPublishesMQ(t *testing.T) {
	t.Parallel()
	kronosBinary(t) // warms testWasmCache with the built-in plugins
	found, _ := plugins.Builtins()
	if found["mq"] == nil {
		t.Fatalf("this binary embeds no mq plugin: run %s first", plugins.BuildCommand)
	}
	dir := t.TempDir()
	module := filepath.Join(dir, "mq.wasm")
	writeFile(t, module, string(found["mq"]))

	rdb := redistest.Client(t)
	prefix := redistest.Prefix()
	stream := prefix + "plugin-test"
	t.Cleanup(func() { _ = rdb.Del(context.WithoutCancel(t.Context()), stream).Err() })
	rabbitURL := brokertest.AMQP(t)
	_, queue, deliveries := brokertest.AMQPQueue(t, rabbitURL, "", "")

	redisCfg := filepath.Join(dir, "redis.json")
	writeFile(t, redisCfg, `{"connection": "events", "topic": "`+stream+`", "payload": "hello ${execution.task}"}`)
	rabbitCfg := filepath.Join(dir, "rabbit.json")
	writeFile(t, rabbitCfg, `{"connection": "rabbit", "topic": "`+queue+`", "payload_json": {"task": "${execution.task}"}}`)
	base := []string{"plugin", "test", module, "--wasm-cache-dir", testWasmCache, "--task", "nightly"}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
	}{
		{
			name:   "to Redis",
			args:   []string{"--config", redisCfg, "--mq-connection", "events=" + redistest.URL(t), "--allow-private-networks"},
			stdout: []string{"status:   succeeded", `"broker": "redis"`, `"id": "`, "published connection=events broker=redis"},
		},
		{
			name:   "to RabbitMQ, the password from the URL",
			args:   []string{"--config", rabbitCfg, "--mq-connection", "rabbit=" + rabbitURL, "--allow-private-networks"},
			stdout: []string{"status:   succeeded", `"broker": "rabbitmq"`},
		},
		{
			name:   "a connection the run lacks",
			args:   []string{"--config", redisCfg, "--mq-connection", "other=" + redistest.URL(t)},
			code:   exitFailure,
			stdout: []string{"not_found", "pass --mq-connection events=URL to kronos plugin test (this run has other)"},
		},
		{
			name:   "loopback without --allow-private-networks",
			args:   []string{"--config", redisCfg, "--mq-connection", "events=" + redistest.URL(t)},
			code:   exitFailure,
			stdout: []string{"refused", "hint:     a local run reaches loopback and private addresses with --allow-private-networks"},
		},
	} {
		r := runCLI(t, "", append(slices.Clone(base), tc.args...)...)
		if r.code != tc.code {
			t.Fatalf("%s: exit code %d, want %d\nstdout: %s\nstderr: %s", tc.name, r.code, tc.code, r.stdout, r.stderr)
		}
		for _, s := range tc.stdout {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("%s: stdout lacks %q:\n%s", tc.name, s, r.stdout)
			}
		}
		if strings.Contains(r.stdout+r.stderr, "guest:guest") {
			t.Errorf("%s: the password was printed:\n%s\n%s", tc.name, r.stdout, r.stderr)
		}
	}

	entries, err := rdb.XRange(t.Context(), stream, "-", "+").Result()
	if err != nil || len(entries) != 1 || entries[0].Values["payload"] != "hello nightly" {
		t.Errorf("the stream holds %v (%v); want one entry with payload \"hello nightly\"", entries, err)
	}
	got := brokertest.AMQPReceive(t, deliveries)
	if string(got.Body) != `{"task":"nightly"}` {
		t.Errorf("RabbitMQ got %q, want {\"task\":\"nightly\"}", got.Body)
	}
}
