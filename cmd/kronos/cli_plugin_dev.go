package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/cmd/kronos/internal/plugindev"
	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/sdk"
)

// nearLimit is the share of a limit from which `kronos plugin test` warns
// that a run came near it.
const nearLimit = 0.8

func newPluginCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Write, check and run an executor plugin locally (init, validate, test)",
		Long: `Plugin is the plugin author's toolkit; it needs no server.

  kronos plugin init NAME       writes a skeleton plugin (Go or AssemblyScript) with a test
  kronos plugin validate FILE   runs the checks an upload runs, offline
  kronos plugin test FILE       runs one execution under the real host functions and limits

To upload, list or delete the plugins of a running server, use "kronos plugins".
docs/plugins.md walks from init to a task that runs the plugin.`,
		Example: `  kronos plugin init hello --lang go
  cd hello && go mod tidy && go test ./... && make
  kronos plugin validate hello.wasm
  kronos plugin test hello.wasm --config config.json
  kronos plugins upload hello.wasm --name hello`,
	}
	cmd.AddCommand(newPluginInitCmd(), newPluginValidateCmd(), newPluginTestCmd())
	return cmd
}

func newPluginInitCmd() *cobra.Command {
	var lang, dir, kronos string
	cmd := &cobra.Command{
		Use:   "init NAME",
		Short: "Write a skeleton plugin that builds as it is, with a test",
		Long: `Init writes a working plugin into --dir (default ./NAME), which must be new or
empty: for --lang go, a module using the Kronos Go SDK with the execute and
describe exports, a config schema, a unit test with sdk/sdktest and a Makefile;
for --lang assemblyscript, an npm package with @extism/as-pdk pinned whose
"npm test" builds the module and runs "kronos plugin test" on it.

A Go skeleton's go.mod needs the Kronos module. With --kronos PATH (or when the
directory is inside a Kronos checkout) it requires the module through a replace
directive to that checkout; otherwise it requires the release this kronos is
(a development build has none: pass --kronos).`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if dir == "" {
				dir = name
			}
			if kronos == "" && lang != "assemblyscript" {
				kronos = plugindev.FindKronos(dir)
			}
			p := plugindev.InitParams{Name: name, Lang: lang, Dir: dir, Kronos: kronos}
			if semverRE.MatchString(version) {
				p.Version = version
			}
			files, err := plugindev.Init(p)
			if err != nil {
				if len(files) == 0 {
					return &usageError{err: fmtUsage(cmd, err)}
				}
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %s plugin %q into %s:\n", langOrGo(lang), name, dir)
			for _, f := range files {
				fmt.Fprintf(w, "  %s\n", f)
			}
			fmt.Fprintf(w, "\nnext:\n  cd %s\n", dir)
			if langOrGo(lang) == "go" {
				fmt.Fprintf(w, "  go mod tidy && go test ./...\n  GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o %s.wasm .\n", name)
				fmt.Fprintf(w, "  kronos plugin test %s.wasm --config config.json\n", name)
			} else {
				fmt.Fprintf(w, "  npm ci && npm test\n")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "go", "the plugin's language: go or assemblyscript")
	cmd.Flags().StringVar(&dir, "dir", "", "the directory to write, new or empty (default: ./NAME)")
	cmd.Flags().StringVar(&kronos, "kronos", "", "a Kronos checkout whose sdk a Go skeleton uses (default: the checkout holding --dir, if any)")
	return cmd
}

var semverRE = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

func langOrGo(lang string) string {
	if lang == "" {
		return "go"
	}
	return lang
}

// moduleCheck is a module that passed the checks an upload runs.
type moduleCheck struct {
	info     *host.ModuleInfo
	compiled *host.Compiled
	desc     host.Description
	schema   *host.ConfigSchema
}

// moduleError is a module the server would refuse: exit code 5, as the
// 422 of an upload (1 for a module too large, the upload's 413).
type moduleError struct {
	what string
	err  *host.ModuleError
}

func (e *moduleError) Error() string {
	return fmt.Sprintf("%s: the module was refused (%s)\n  %s", e.what, e.err.Reason, e.err.Msg)
}

func (e *moduleError) ExitCode() int {
	if e.err.Reason == host.RejectTooLarge {
		return exitFailure
	}
	return exitInvalid
}

// newLocalRuntime returns a Wasm runtime for local runs: kv in memory, the
// MQ connections given (nil: none), and the compilation cache of
// --wasm-cache-dir, else $KRONOS_WASM_CACHE_DIR, else the one under the
// user's cache directory that servers share (as `kronos server`).
func newLocalRuntime(ctx context.Context, cacheDir string, mqs *plugindev.MQConnections) (*host.Runtime, error) {
	cfg := host.Config{KV: &plugindev.MemoryKV{}, NodeID: "local", Logger: slog.New(slog.DiscardHandler)}
	if mqs != nil {
		cfg.MQ = mqs
	}
	if cacheDir == "" {
		cacheDir = os.Getenv(envName(keyWasmCacheDir))
	}
	switch cacheDir {
	case wasmCacheOff:
	case "":
		if dir, err := os.UserCacheDir(); err == nil {
			cfg.CacheDir = filepath.Join(dir, "kronos", wasmCacheDir)
		}
	default:
		cfg.CacheDir = cacheDir
		rt, err := host.NewRuntime(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %w; choose a directory this user owns, or %q to compile in memory", keyWasmCacheDir, cacheDir, err, wasmCacheOff)
		}
		return rt, nil
	}
	rt, err := host.NewRuntime(ctx, cfg)
	if err != nil && cfg.CacheDir != "" {
		cfg.CacheDir = "" // an unwritable default directory: compile in memory
		rt, err = host.NewRuntime(ctx, cfg)
	}
	return rt, err
}

// wasmCacheFlag adds --wasm-cache-dir to a command that compiles plugins.
func wasmCacheFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, keyWasmCacheDir, "", "`dir` of the compiled plugins' native code (default: $"+envName(keyWasmCacheDir)+", else <user cache dir>/kronos/wasm-cache, as kronos server; \""+wasmCacheOff+"\" compiles in memory)")
}

// checkModule runs the checks of an upload (host.Executor.Install): the
// module's format, size, imports and exports, that it compiles for the
// memory limit, and that its describe export answers with a config schema
// that compiles.
func checkModule(ctx context.Context, rt *host.Runtime, what string, wasm []byte, function string, pages uint32) (*moduleCheck, error) {
	refused := func(err error) error {
		var me *host.ModuleError
		if errors.As(err, &me) {
			return &moduleError{what: what, err: me}
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	info, err := rt.Validate(ctx, wasm, host.ValidateOptions{MaxBytes: api.MaxPluginBytes, Function: function})
	if err != nil {
		return nil, refused(err)
	}
	c, err := rt.Compile(ctx, wasm, pages)
	if err != nil {
		return nil, refused(&host.ModuleError{Reason: host.RejectCompile, Msg: err.Error()})
	}
	mc := &moduleCheck{info: info, compiled: c}
	if info.Describes {
		mc.desc, err = c.Describe(ctx, core.DefaultNamespace)
		if err == nil {
			mc.schema, err = host.CompileConfigSchema(mc.desc.ConfigSchema)
		}
		if err != nil {
			return nil, refused(&host.ModuleError{Reason: host.RejectDescribe, Msg: "its describe export failed: " + err.Error()})
		}
	}
	return mc, nil
}

// readModule reads a .wasm file, calling a missing file a usage error.
func readModule(cmd *cobra.Command, file string) ([]byte, error) {
	wasm, err := os.ReadFile(file)
	if err != nil {
		return nil, &usageError{err: fmtUsage(cmd, fmt.Errorf("read the plugin: %w", err))}
	}
	return wasm, nil
}

func newPluginValidateCmd() *cobra.Command {
	var function, cacheDir string
	cmd := &cobra.Command{
		Use:   "validate FILE.wasm",
		Short: "Check a module as an upload would, offline",
		Long: `Validate runs the checks "kronos plugins upload" runs on the server, without
one: the module's format and size (at most 32 MiB), its imports (WASI preview 1,
extism:host/env, kronos:host/v1), the execute export (or --function's), that it
compiles, and that its describe export returns a config schema that compiles.
It prints the plugin's name, version, description, digest, size, exports and
config schema. A module an upload would refuse prints the same message and
exits with code 5 (1 for one too large).`,
		Args: exactArgs("FILE.wasm"),
		RunE: func(cmd *cobra.Command, args []string) error {
			wasm, err := readModule(cmd, args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			rt, err := newLocalRuntime(ctx, cacheDir, nil)
			if err != nil {
				return err
			}
			defer rt.Close(context.WithoutCancel(ctx))
			mc, err := checkModule(ctx, rt, "validate "+args[0], wasm, function, 0)
			if err != nil {
				return err
			}
			printModule(cmd.OutOrStdout(), args[0], mc)
			return nil
		},
	}
	cmd.Flags().StringVar(&function, "function", "", "the export a plain Extism plugin runs (default: execute)")
	wasmCacheFlag(cmd, &cacheDir)
	return cmd
}

// printModule writes what validate found.
func printModule(w io.Writer, file string, mc *moduleCheck) {
	d := mc.desc
	fmt.Fprintf(w, "%s: valid\n", file)
	fmt.Fprintf(w, "  name:        %s\n", orDash(d.Name))
	fmt.Fprintf(w, "  version:     %s\n", orDash(d.Version))
	fmt.Fprintf(w, "  description: %s\n", orDash(d.Description))
	fmt.Fprintf(w, "  sha256:      %s\n", mc.info.SHA256)
	fmt.Fprintf(w, "  size:        %d bytes (%s)\n", mc.info.Size, humanBytes(int64(mc.info.Size)))
	fmt.Fprintf(w, "  exports:     %s\n", strings.Join(mc.info.Exports, ", "))
	if !mc.info.Describes {
		fmt.Fprintln(w, "  config:      no describe export: any config is accepted")
		return
	}
	fmt.Fprintf(w, "  config:      %s\n", schemaSummary(d.ConfigSchema))
}

// schemaSummary lists the top-level properties of a config schema, with
// their types and which are required.
func schemaSummary(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return "no schema: any config is accepted"
	}
	var s struct {
		Type                 any                        `json:"type"`
		Required             []string                   `json:"required"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
		Properties           map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return "a schema that is not an object"
	}
	if len(s.Properties) == 0 {
		return fmt.Sprintf("a schema of type %v without properties", orDash(fmt.Sprint(s.Type)))
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	if len(names) == 1 {
		b.WriteString("1 property")
	} else {
		fmt.Fprintf(&b, "%d properties", len(names))
	}
	if s.AdditionalProperties != nil && !*s.AdditionalProperties {
		b.WriteString(", no others")
	}
	for _, n := range names {
		var p struct {
			Type        any    `json:"type"`
			Description string `json:"description"`
			Default     any    `json:"default"`
		}
		_ = json.Unmarshal(s.Properties[n], &p)
		b.WriteString("\n    " + n)
		if p.Type != nil {
			fmt.Fprintf(&b, " (%v", p.Type)
			for _, r := range s.Required {
				if r == n {
					b.WriteString(", required")
				}
			}
			if p.Default != nil {
				def, _ := json.Marshal(p.Default)
				b.WriteString(", default " + string(def))
			}
			b.WriteString(")")
		}
		if p.Description != "" {
			b.WriteString(": " + p.Description)
		}
	}
	return b.String()
}

func newPluginTestCmd() *cobra.Command {
	var (
		configFile, task string
		timeout          time.Duration
		pages            uint32
		allowPrivate     bool
		allowHosts       []string
		mqFlags          []string
		mqFile, cacheDir string
	)
	cmd := &cobra.Command{
		Use:   "test FILE.wasm --config CONFIG.json",
		Short: "Run one execution locally under the real host functions and limits",
		Long: `Test runs one execution of a plugin the way a server would: the checks of an
upload, the task config validated against the plugin's schema (and by its
validate export, if it has one), then execute
with the real host functions (http through the egress policy, which refuses
private addresses unless --allow-private-networks; kv in memory, empty at the
start; log; mq_publish over the connections of --mq-connection and
--mq-connections, through the same policy) and the server's default limits:
memory 1024 pages (64 MiB), timeout 5m, output 1 MiB, log 256 KiB.

An MQ connection is NAME=URL, such as orders=nats://127.0.0.1:4222 or
events=amqp://guest:guest@127.0.0.1:5672/ (a password in the URL is used as the
connection's password: a local run has no secrets). For broker options, give a
JSON file of connections by name, with the fields of "kronos mq create" and a
password: {"events": {"url": "amqp://127.0.0.1:5672/", "username": "guest",
"password": "guest", "exchange": "events", "persistent": true}}. Messages are
really published.

It prints the status, the duration, the peak memory of the plugin's instance,
the output (pretty JSON), the log lines and which limits the run came near (80 %
or more). A config of the form
{"extism": {"function": …, "input": …, "config": {…}}} runs a plain Extism
plugin, as on a server. Exit codes: 0 succeeded, 1 failed, timed out or
canceled, 5 a module or config a server would refuse, 2 a usage error.
Compiled modules are cached under the user's cache directory
(kronos/wasm-cache), so that the next run of the same module starts at once.`,
		Args: exactArgs("FILE.wasm"),
		RunE: func(cmd *cobra.Command, args []string) error {
			wasm, err := readModule(cmd, args[0])
			if err != nil {
				return err
			}
			config := json.RawMessage(`{}`)
			if configFile != "" {
				b, err := readInput(cmd, configFile)
				if err != nil {
					return err
				}
				if !json.Valid(b) {
					return &usageError{err: fmtUsage(cmd, fmt.Errorf("--config %s is not JSON", configFile))}
				}
				config = b
			}
			if timeout < 0 {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--timeout %s is negative", timeout))}
			}
			if pages != 0 && (pages < host.MinMemoryPages || pages > host.MaxMemoryPages) {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--memory-pages %d: use %d (1 MiB) to %d (4 GiB) pages of 64 KiB", pages, host.MinMemoryPages, host.MaxMemoryPages))}
			}
			if task == "" {
				task = strings.TrimSuffix(filepath.Base(args[0]), ".wasm")
			}
			var mqs plugindev.MQConnections
			for _, spec := range mqFlags {
				if err := mqs.AddFlag(spec); err != nil {
					return &usageError{err: fmtUsage(cmd, err)}
				}
			}
			if mqFile != "" {
				b, err := readInput(cmd, mqFile)
				if err != nil {
					return err
				}
				if err := mqs.AddFile(mqFile, b); err != nil {
					return &usageError{err: fmtUsage(cmd, err)}
				}
			}
			lim := host.Limits{MemoryPages: pages, Timeout: timeout, Network: host.NetworkPolicy{AllowPrivate: allowPrivate, AllowedHosts: allowHosts}}
			return runPluginTest(cmd, args[0], wasm, config, task, lim, localRun{cacheDir: cacheDir, mq: &mqs})
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", `the task config, a JSON file or - for stdin (default: {})`)
	f.StringVar(&task, "task", "", "the task name the execution envelope carries (default: the file name without .wasm)")
	f.DurationVar(&timeout, "timeout", 0, "the execution's timeout (default: the server's, 5m)")
	f.Uint32Var(&pages, "memory-pages", 0, "the memory limit in 64 KiB pages, 16 to 65536 (default: the server's, 1024 = 64 MiB)")
	f.BoolVar(&allowPrivate, "allow-private-networks", false, "let http reach loopback, private and link-local addresses (as kronos server --allow-private-networks)")
	f.StringArrayVar(&allowHosts, "allow-host", nil, `a host http and mq_publish may reach, such as api.example.com or *.example.com; repeat it (default: any public host)`)
	f.StringArrayVar(&mqFlags, "mq-connection", nil, "an MQ connection mq_publish may name, as `NAME=URL`; repeat it")
	f.StringVar(&mqFile, "mq-connections", "", "a JSON `file` of MQ connections by name, with broker options and passwords (- for stdin)")
	wasmCacheFlag(cmd, &cacheDir)
	return cmd
}

// localRun is where a local run's host functions lead.
type localRun struct {
	cacheDir string
	mq       *plugindev.MQConnections
}

// readInput reads a file, or stdin for "-".
func readInput(cmd *cobra.Command, file string) ([]byte, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(cmd.InOrStdin())
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, &usageError{err: fmtUsage(cmd, fmt.Errorf("read the config: %w", err))}
	}
	return b, nil
}

// logLine is one line a local run logged.
type logLine struct {
	at    time.Duration
	level host.Level
	msg   string
}

// testRun is how a local run ended.
type testRun struct {
	status core.ExecutionStatus
	output []byte // the plugin's raw output
	errMsg string
	kind   host.ErrorKind
	res    host.CallResult
	logs   []logLine
}

// runPluginTest checks the module and the config, runs one execution and
// prints the report.
func runPluginTest(cmd *cobra.Command, file string, wasm []byte, config json.RawMessage, task string, lim host.Limits, local localRun) error {
	ctx := cmd.Context()
	// A broker that refuses shows in the run's result; go-redis's own line
	// about the failed dial would only repeat it on stderr.
	redis.SetLogger(redisLogger{slog.New(slog.DiscardHandler)})
	rt, err := newLocalRuntime(ctx, local.cacheDir, local.mq)
	if err != nil {
		return err
	}
	defer rt.Close(context.WithoutCancel(ctx))

	call, err := extismCallOf(config)
	if err != nil {
		return &taskConfigError{fields: []*core.FieldError{{Field: "config.extism", Message: err.Error()}}}
	}
	function := ""
	if call != nil {
		function = call.Function
	}
	mc, err := checkModule(ctx, rt, "test "+file, wasm, function, lim.MemoryPages)
	if err != nil {
		return err
	}
	req := host.CallRequest{Namespace: core.DefaultNamespace, Limits: lim}
	if call != nil {
		req.Function, req.Input, req.ExtismConfig = call.Function, []byte(call.Input), call.Config
	} else {
		if fes := mc.schema.Validate(config); len(fes) > 0 {
			return &taskConfigError{fields: fes}
		}
		// What a schema cannot say the plugin's optional validate export
		// checks, as when a server creates the task.
		fes, err := mc.compiled.ValidateConfig(ctx, core.DefaultNamespace, config)
		if err != nil {
			return fmt.Errorf("test %s: %w", file, err)
		}
		if len(fes) > 0 {
			return &taskConfigError{fields: fes}
		}
		now := time.Now().UTC().Truncate(time.Second)
		req.Input, err = json.Marshal(sdk.Input{Config: config, Execution: sdk.Execution{
			ID: uuid.Must(uuid.NewV7()).String(), Attempt: 1, ScheduledAt: now, Trigger: "manual",
			Namespace: core.DefaultNamespace, Task: task, Labels: map[string]string{},
		}})
		if err != nil {
			return fmt.Errorf("encode the plugin input: %w", err)
		}
	}
	run := testRun{}
	var mu sync.Mutex
	start := time.Now()
	req.Log = func(l host.Level, msg string) {
		mu.Lock()
		run.logs = append(run.logs, logLine{at: time.Since(start), level: l, msg: msg})
		mu.Unlock()
	}
	res, err := mc.compiled.Call(ctx, req)
	run.res = res
	mu.Lock()
	defer mu.Unlock()
	// The server's reading of the call, so that the status is the one a
	// task would record.
	r := host.ResultOf(res, err, call != nil)
	run.status, run.errMsg = r.Status, r.Error
	if err == nil {
		run.output = res.Output // as the plugin wrote it: the output limit counts these bytes
	}
	if ce, ok := errors.AsType[*host.CallError](err); ok {
		run.kind = ce.Kind
	}
	printRun(cmd.OutOrStdout(), run, lim, mc.compiled.MemoryPages())
	if run.status != core.StatusSucceeded {
		return &runError{status: run.status}
	}
	return nil
}

// extismCall is the config of a task that runs a plain Extism plugin (as
// host.Executor reads it).
type extismCall struct {
	Function string            `json:"function"`
	Input    string            `json:"input"`
	Config   map[string]string `json:"config"`
}

// extismCallOf returns the config's "extism" object, or nil when it has
// none.
func extismCallOf(config json.RawMessage) (*extismCall, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(config, &probe); err != nil {
		return nil, nil //nolint:nilerr // not an object: the schema reports it, as on a server
	}
	if probe["extism"] == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(probe["extism"]))
	dec.DisallowUnknownFields()
	var c extismCall
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("is not {\"function\": …, \"input\": …, \"config\": {…}}: %w", err)
	}
	if c.Function == "" {
		return nil, errors.New("function is required: the export to call")
	}
	return &c, nil
}

// taskConfigError is a config the plugin's schema refuses: exit code 5, as the
// 422 a server answers when the task is created.
type taskConfigError struct {
	fields []*core.FieldError
}

func (e *taskConfigError) Error() string {
	var b strings.Builder
	b.WriteString("the config is invalid")
	for _, f := range e.fields {
		b.WriteString("\n  " + f.Field + ": " + f.Message)
	}
	return b.String()
}

func (e *taskConfigError) ExitCode() int { return exitInvalid }

// runError is a local run that did not succeed; the report is printed
// already.
type runError struct {
	status core.ExecutionStatus
}

func (e *runError) Error() string { return fmt.Sprintf("the execution %s", e.status) }

func (e *runError) ExitCode() int { return exitFailure }

// printRun writes the report of a local run.
func printRun(w io.Writer, run testRun, lim host.Limits, pages uint32) {
	fmt.Fprintf(w, "status:   %s\n", run.status)
	if run.errMsg != "" {
		fmt.Fprintf(w, "error:    %s\n", run.errMsg)
		if strings.Contains(run.errMsg, "does not allow private networks") {
			// The message speaks of a server's namespace policy.
			fmt.Fprintln(w, "hint:     a local run reaches loopback and private addresses with --allow-private-networks")
		}
	}
	fmt.Fprintf(w, "duration: %s\n", run.res.Duration.Round(time.Microsecond))
	// The instance's memory when the call ended: Wasm memory only grows,
	// so this is its peak (the instance ran describe, and validate if
	// exported, first, as on a server).
	limit := int64(pages) * 65536
	if m := int64(run.res.MemoryBytes); m > 0 {
		fmt.Fprintf(w, "memory:   %s peak of %s limit (%.0f %%, %d pages)\n", humanBytes(m), humanBytes(limit), 100*float64(m)/float64(limit), pages)
	} else {
		fmt.Fprintf(w, "memory:   limit %d pages (%s); peak not measured\n", pages, humanBytes(limit))
	}
	if run.output != nil {
		fmt.Fprintf(w, "output:   %d bytes\n", len(run.output))
		var pretty bytes.Buffer
		if json.Indent(&pretty, run.output, "  ", "  ") == nil {
			fmt.Fprintf(w, "  %s\n", pretty.String())
		} else {
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(string(run.output), "\n", "\n  "))
		}
	}
	fmt.Fprintf(w, "logs:     %d lines, %d bytes\n", len(run.logs), run.res.LogBytes)
	for _, l := range run.logs {
		fmt.Fprintf(w, "  %8s  %-5s  %s\n", l.at.Round(time.Microsecond), l.level, l.msg)
	}
	lim.MemoryPages = pages
	near := nearLimits(run, lim)
	if len(near) == 0 {
		fmt.Fprintln(w, "limits:   none came near")
		return
	}
	fmt.Fprintln(w, "limits:")
	for _, n := range near {
		fmt.Fprintf(w, "  %s\n", n)
	}
}

// nearLimits lists the limits a run reached or came within nearLimit of.
func nearLimits(run testRun, lim host.Limits) []string {
	def := func(v, d int) int {
		if v == 0 {
			return d
		}
		return v
	}
	timeout := lim.Timeout
	if timeout == 0 {
		timeout = host.DefaultTimeout
	}
	maxOut, maxLog := def(lim.MaxOutputBytes, host.DefaultMaxOutputBytes), def(lim.MaxLogBytes, host.DefaultMaxLogBytes)
	var out []string
	add := func(hit bool, what string, used, limit float64, unit, setting string) {
		switch {
		case hit:
			out = append(out, fmt.Sprintf("%s: reached the limit of %s (%s)", what, fmtAmount(limit, unit), setting))
		case limit > 0 && used >= nearLimit*limit:
			out = append(out, fmt.Sprintf("%s: %s of %s, %.0f %% (%s)", what, fmtAmount(used, unit), fmtAmount(limit, unit), 100*used/limit, setting))
		}
	}
	add(run.kind == host.KindTimeout, "time", float64(run.res.Duration), float64(timeout), "duration", "--timeout; a task's timeout")
	add(run.kind == host.KindOutputLimit, "output", float64(len(run.output)), float64(maxOut), "bytes", "settings.wasm.max_output_bytes")
	add(run.kind == host.KindLogLimit, "log", float64(run.res.LogBytes), float64(maxLog), "bytes", "settings.wasm.max_log_bytes")
	pages := lim.MemoryPages
	if pages == 0 {
		pages = host.DefaultMemoryPages
	}
	oom := run.kind == host.KindTrap && strings.Contains(run.errMsg, "out of memory")
	add(oom, "memory", float64(run.res.MemoryBytes), float64(pages)*65536, "bytes", "--memory-pages; settings.wasm.memory_pages")
	return out
}

func fmtAmount(v float64, unit string) string {
	if unit == "duration" {
		return time.Duration(v).Round(time.Millisecond).String()
	}
	return humanBytes(int64(v))
}

// humanBytes writes n as B, KiB or MiB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
