package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/mysql"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
	"github.com/shiyu-coder/kronos/host"
)

// Benchmark defaults.
const (
	// defaultBenchTasks is how many every-second tasks kronos bench fires.
	defaultBenchTasks = 1000
	// defaultBenchDuration is how long kronos bench runs the engine.
	defaultBenchDuration = 10 * time.Second
	// benchWarmup is the start of a run left out of the figures: loading
	// the tasks and the first claims.
	benchWarmup = time.Second
	// benchExecutorName is the executor name of the benchmark's tasks.
	benchExecutorName = "noop"
)

// noopModule is the smallest Wasm module the host runs as a Kronos
// plugin: it exports memory and an `execute` that returns 0 and sets no
// output (which the host records as a success with empty output). With it
// a fire takes the whole host path (envelope, pool checkout, Extism call,
// output) and no guest work. --plugin swaps in a real module.
var noopModule = []byte{
	0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
	0x03, 0x02, 0x01, 0x00, // function 0 has type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
	0x07, 0x14, 0x02, // exports: 2
	0x07, 'e', 'x', 'e', 'c', 'u', 't', 'e', 0x00, 0x00, // "execute" = func 0
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // "memory" = memory 0
	0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b, // code: i32.const 0; end
}

// benchOptions are the flags of kronos bench.
type benchOptions struct {
	tasks      int
	duration   time.Duration
	store      string
	workers    int
	executor   string
	plugin     string
	cpuProfile string
	claimAhead time.Duration
	claimBatch int
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Fire N every-second tasks on a throwaway store and report fires per second, fire lag and where the time goes",
		Long: `Bench creates N tasks firing every second ("* * * * * *") in namespace
default of a throwaway store, runs the engine on the real clock for the
duration, and prints the fires per second it sustained, the fire lag
(executor start minus scheduled instant) and where the time goes: the
store's claim and record batches, the executor, and the lag at each step.

The store is a temporary SQLite file unless --store names one: a
sqlite:///path.db that does not exist yet (removed afterwards), or a MySQL
server, mysql://user:pass@host:3306[/db], on which bench creates a database
kronos_bench_<random> and drops it at the end.

--executor wasm (the default) runs each fire through the Wasm host with a
minimal module whose execute does nothing (the host's whole path, no guest
work), or with the plugin --plugin names; --executor go runs an in-process
no-op, the engine's and store's ceiling.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return &usageError{err: fmtUsage(cmd, err)}
			}
			return runBench(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.tasks, "tasks", defaultBenchTasks, "number of tasks, each firing every second")
	f.DurationVar(&o.duration, "duration", defaultBenchDuration, "how long the engine runs; the first second is warm-up")
	f.StringVar(&o.store, "store", "", "sqlite:///new/file.db or mysql://user:pass@host:3306 (default: a temporary SQLite file)")
	f.IntVar(&o.workers, "workers", 0, "executions running at once (default: the engine's, 16 per CPU)")
	f.StringVar(&o.executor, "executor", "wasm", "wasm (a no-op Wasm plugin through the host) or go (an in-process no-op)")
	f.StringVar(&o.plugin, "plugin", "", "with --executor wasm, a .wasm plugin to run instead of the built-in no-op module")
	f.DurationVar(&o.claimAhead, "claim-ahead", 0, "how long before its instant an execution is claimed (default: the engine's)")
	f.IntVar(&o.claimBatch, "claim-batch", 0, "the most executions one claim inserts (default: the engine's)")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	return cmd
}

func (o benchOptions) validate() error {
	switch {
	case o.tasks < 1:
		return fmt.Errorf("--tasks is %d; it must be at least 1", o.tasks)
	case o.duration < 2*time.Second:
		return fmt.Errorf("--duration is %s; it must be at least 2s (the first second is warm-up)", o.duration)
	case o.workers < 0 || o.claimBatch < 0 || o.claimAhead < 0:
		return errors.New("--workers, --claim-batch and --claim-ahead must be positive, or 0 for the engine's default")
	case o.executor != "wasm" && o.executor != "go":
		return fmt.Errorf("--executor is %q; use wasm or go", o.executor)
	case o.plugin != "" && o.executor != "wasm":
		return errors.New("--plugin needs --executor wasm")
	}
	if o.store != "" && !strings.HasPrefix(o.store, "sqlite://") && !strings.HasPrefix(o.store, "mysql://") {
		return fmt.Errorf("--store %q: use sqlite:///new/file.db, mysql://user:pass@host:3306, or nothing for a temporary SQLite file", o.store)
	}
	return nil
}

// runBench runs one benchmark and writes its report to out.
func runBench(ctx context.Context, o benchOptions, out, logOut io.Writer) (err error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, where, cleanup, err := openBenchStore(ctx, o.store, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cleanup()) }()

	ts := newTimedStore(st)
	var inner core.Executor = noopExecutor{}
	what := "go (in-process no-op)"
	if o.executor == "wasm" {
		wasm, name := noopModule, fmt.Sprintf("built-in no-op module, %d bytes", len(noopModule))
		if o.plugin != "" {
			if wasm, err = os.ReadFile(o.plugin); err != nil {
				return fmt.Errorf("read --plugin: %w", err)
			}
			name = fmt.Sprintf("%s, %d bytes", o.plugin, len(wasm))
		}
		rt, err := host.NewRuntime(ctx, host.Config{KV: host.StoreKV{Store: st}, Logger: log})
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, rt.Close(context.WithoutCancel(ctx))) }()
		inner = host.NewExecutor(host.ExecutorConfig{
			Runtime: rt, Builtins: map[string][]byte{benchExecutorName: wasm}, Plugins: st,
		})
		what = "wasm (" + name + ")"
	}

	fmt.Fprintf(logOut, "bench: creating %d tasks on %s\n", o.tasks, where)
	tasks, err := createBenchTasks(ctx, st, o.tasks)
	if err != nil {
		return err
	}
	// A first call compiles the plugin and checks that it runs.
	if res := inner.Execute(ctx, core.ExecuteRequest{
		Task:      tasks[0],
		Execution: core.Execution{ID: "warm-up", Namespace: core.DefaultNamespace, TaskID: tasks[0].ID, TaskName: tasks[0].Name, ScheduledAt: time.Now(), Attempt: 1, Trigger: core.TriggerManual},
	}); res.Status != core.StatusSucceeded {
		return fmt.Errorf("bench: the executor fails a warm-up call (%s): %s", res.Status, res.Error)
	}
	tx := &timedExecutor{inner: inner}

	e, err := engine.New(ctx, engine.Config{
		Store: ts, Executor: tx, Clock: clock.Real(), NodeID: "bench",
		Leaser:  engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
		Workers: o.workers, ClaimAhead: o.claimAhead, ClaimBatch: o.claimBatch, Logger: log,
	})
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(logOut, "bench: running the engine for %s\n", o.duration)
	cpu0 := readCPU()
	start := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	if err := e.Run(runCtx); err != nil {
		return err
	}
	end := start.Add(o.duration)
	cpu := readCPU().sub(cpu0)
	if ctx.Err() != nil {
		return errors.New("bench: interrupted")
	}
	r := benchReport{
		opts: o, store: where, executor: what, start: start, end: end, stopped: time.Now(),
		st: ts, ex: tx, cpu: cpu, workers: o.workers,
	}
	if r.workers == 0 {
		r.workers = 16 * runtime.GOMAXPROCS(0)
	}
	r.claimAhead, r.claimBatch = cmp.Or(o.claimAhead, engine.DefaultClaimAhead), cmp.Or(o.claimBatch, engine.DefaultClaimBatch)
	return r.write(out)
}

// openBenchStore opens the store --store names, made for this run, and
// returns a description of it and a function that closes and removes it.
func openBenchStore(ctx context.Context, raw string, log *slog.Logger) (store.Store, string, func() error, error) {
	switch {
	case strings.HasPrefix(raw, "mysql://"):
		return openBenchMySQL(ctx, raw, log)
	case raw == "":
		dir, err := os.MkdirTemp("", "kronos-bench-")
		if err != nil {
			return nil, "", nil, err
		}
		st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "kronos.db"), Logger: log})
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, "", nil, err
		}
		return st, "sqlite (temporary file in " + dir + ")", func() error {
			return errors.Join(st.Close(), os.RemoveAll(dir))
		}, nil
	default:
		path := strings.TrimPrefix(raw, "sqlite://")
		if _, err := os.Stat(path); err == nil {
			return nil, "", nil, fmt.Errorf("--store %s exists; bench fills and then removes its store, so name a file that does not exist yet", raw)
		}
		st, err := sqlite.Open(ctx, sqlite.Config{Path: path, Logger: log})
		if err != nil {
			return nil, "", nil, err
		}
		return st, "sqlite " + path, func() error {
			return errors.Join(st.Close(), os.Remove(path), rmIfExists(path+"-wal"), rmIfExists(path+"-shm"))
		}, nil
	}
}

func rmIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// openBenchMySQL creates a database kronos_bench_<random> on the server
// the URL names (its database, if any, is not touched) and opens it; the
// cleanup drops it.
func openBenchMySQL(ctx context.Context, raw string, log *slog.Logger) (store.Store, string, func() error, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, "", nil, fmt.Errorf("--store %s is not a MySQL URL: use mysql://user:pass@host:3306", mysql.Redact(raw))
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "kronos_bench_" + hex.EncodeToString(b)
	u.Path = "/" + name
	dbURL := u.String()
	cfg, err := mysql.ParseURL(dbURL)
	if err != nil {
		return nil, "", nil, err
	}
	cfg.DBName = ""
	cfg.Timeout = 5 * time.Second
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, "", nil, fmt.Errorf("bench: mysql: %w", err)
	}
	admin := sql.OpenDB(conn)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		admin.Close()
		return nil, "", nil, fmt.Errorf("bench: create database %s on %s: %w", name, u.Host, err)
	}
	drop := func() error {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, err := admin.ExecContext(dctx, "DROP DATABASE IF EXISTS "+name)
		if err != nil {
			err = fmt.Errorf("bench: drop database %s: %w", name, err)
		}
		return errors.Join(err, admin.Close())
	}
	st, err := mysql.Open(ctx, mysql.Config{URL: dbURL, Logger: log})
	if err != nil {
		return nil, "", nil, errors.Join(err, drop())
	}
	return st, "mysql " + mysql.Redact(dbURL) + " (dropped at the end)", func() error {
		return errors.Join(st.Close(), drop())
	}, nil
}

// createBenchTasks creates n every-second tasks, a few at a time.
func createBenchTasks(ctx context.Context, st store.Store, n int) ([]core.Task, error) {
	const parallel = 8
	tasks := make([]core.Task, n)
	errs := make([]error, parallel)
	var wg sync.WaitGroup
	for w := range parallel {
		wg.Go(func() {
			for i := w; i < n && errs[w] == nil; i += parallel {
				tasks[i], errs[w] = st.TaskCreate(ctx, core.Task{
					Namespace: core.DefaultNamespace, Name: fmt.Sprintf("bench-%06d", i),
					Schedule: "* * * * * *", Executor: benchExecutorName, Config: []byte("{}"),
				})
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bench: create tasks: %w", err)
	}
	return tasks, nil
}

// noopExecutor succeeds at once.
type noopExecutor struct{}

func (noopExecutor) Execute(context.Context, core.ExecuteRequest) core.ExecuteResult {
	return core.ExecuteResult{Status: core.StatusSucceeded}
}

func (noopExecutor) ValidateConfig(context.Context, core.Task) error { return nil }

// fire is one executor call.
type fire struct {
	instant time.Time
	lag     time.Duration // call start minus instant
	took    time.Duration
}

// timedExecutor times each call of the executor it wraps.
type timedExecutor struct {
	inner core.Executor

	mu       sync.Mutex
	fires    []fire
	failed   int
	firstErr string
}

func (t *timedExecutor) Execute(ctx context.Context, req core.ExecuteRequest) core.ExecuteResult {
	start := time.Now()
	res := t.inner.Execute(ctx, req)
	took := time.Since(start)
	t.mu.Lock()
	t.fires = append(t.fires, fire{instant: req.Execution.ScheduledAt, lag: start.Sub(req.Execution.ScheduledAt), took: took})
	if res.Status != core.StatusSucceeded {
		t.failed++
		if t.firstErr == "" {
			t.firstErr = string(res.Status) + ": " + res.Error
		}
	}
	t.mu.Unlock()
	return res
}

func (t *timedExecutor) ValidateConfig(ctx context.Context, task core.Task) error {
	return t.inner.ValidateConfig(ctx, task)
}

// stage is the timings of one kind of call.
type stage struct {
	mu    sync.Mutex
	took  []time.Duration
	items int
}

func (s *stage) add(took time.Duration, items int) {
	s.mu.Lock()
	s.took = append(s.took, took)
	s.items += items
	s.mu.Unlock()
}

// timedStore times the store calls of the engine's hot path, and notes
// each claimed execution's instant so that the start records give the lag
// at which a worker took it.
type timedStore struct {
	store.Store
	claim, record, logs stage

	mu        sync.Mutex
	instants  map[string]time.Time // by execution ID
	startLags []fire               // instant and lag; took is unused
}

func newTimedStore(st store.Store) *timedStore {
	return &timedStore{Store: st, instants: map[string]time.Time{}}
}

func (s *timedStore) ExecutionClaim(ctx context.Context, xs []core.Execution) ([]core.Execution, error) {
	start := time.Now()
	claimed, err := s.Store.ExecutionClaim(ctx, xs)
	s.claim.add(time.Since(start), len(claimed))
	s.mu.Lock()
	for _, x := range claimed {
		s.instants[x.ID] = x.ScheduledAt
	}
	s.mu.Unlock()
	return claimed, err
}

func (s *timedStore) ExecutionUpdateMany(ctx context.Context, ps []store.ExecutionUpdateParams) ([]error, error) {
	start := time.Now()
	errs, err := s.Store.ExecutionUpdateMany(ctx, ps)
	s.record.add(time.Since(start), len(ps))
	s.mu.Lock()
	for _, p := range ps {
		if at, ok := s.instants[p.ID]; ok && p.Status == core.StatusRunning {
			s.startLags = append(s.startLags, fire{instant: at, lag: p.StartedAt.Sub(at)})
		}
	}
	s.mu.Unlock()
	return errs, err
}

func (s *timedStore) LogAppend(ctx context.Context, lines []core.LogLine) error {
	start := time.Now()
	err := s.Store.LogAppend(ctx, lines)
	s.logs.add(time.Since(start), len(lines))
	return err
}

// cpuTimes are the Go runtime's CPU estimates, in seconds.
type cpuTimes struct{ total, idle, gc float64 }

func readCPU() cpuTimes {
	ss := []metrics.Sample{
		{Name: "/cpu/classes/total:cpu-seconds"},
		{Name: "/cpu/classes/idle:cpu-seconds"},
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
	}
	metrics.Read(ss)
	v := func(i int) float64 {
		if ss[i].Value.Kind() == metrics.KindFloat64 {
			return ss[i].Value.Float64()
		}
		return 0
	}
	return cpuTimes{total: v(0), idle: v(1), gc: v(2)}
}

func (c cpuTimes) sub(d cpuTimes) cpuTimes {
	return cpuTimes{total: c.total - d.total, idle: c.idle - d.idle, gc: c.gc - d.gc}
}

// benchReport is what one run measured.
type benchReport struct {
	opts                benchOptions
	store, executor     string
	start, end, stopped time.Time
	st                  *timedStore
	ex                  *timedExecutor
	cpu                 cpuTimes
	workers, claimBatch int
	claimAhead          time.Duration
}

func (r benchReport) write(out io.Writer) error {
	ex := r.ex
	ex.mu.Lock()
	fires := slices.Clone(ex.fires)
	failed, firstErr := ex.failed, ex.firstErr
	ex.mu.Unlock()

	// The measured window: whole seconds after the warm-up, up to the
	// last instant before the end.
	from := r.start.Truncate(time.Second).Add(time.Second + benchWarmup)
	to := r.end.Truncate(time.Second)
	seconds := int(to.Sub(from) / time.Second)
	in := func(f fire) bool { return !f.instant.Before(from) && f.instant.Before(to) }
	var lags, took, startLags []time.Duration
	for _, f := range fires {
		if in(f) {
			lags = append(lags, f.lag)
			took = append(took, f.took)
		}
	}
	inWindow := len(lags)
	r.st.mu.Lock()
	for _, f := range r.st.startLags {
		if in(f) {
			startLags = append(startLags, f.lag)
		}
	}
	r.st.mu.Unlock()

	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("kronos bench\n")
	p("tasks\t%d, \"* * * * * *\" in namespace %s\n", r.opts.tasks, core.DefaultNamespace)
	p("store\t%s\n", r.store)
	p("executor\t%s\n", r.executor)
	p("engine\t%d workers, claim ahead %s, claim batch %d\n", r.workers, r.claimAhead, r.claimBatch)
	p("machine\t%d CPUs, GOMAXPROCS %d, %s %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	p("duration\t%s (shutdown took %s more)\n", r.opts.duration, r.stopped.Sub(r.end).Round(time.Millisecond))
	p("fires\t%d in all\n", len(fires))
	if seconds <= 0 {
		p("window\tnone: the run is too short for a whole second after the warm-up\n")
	} else {
		expected := seconds * r.opts.tasks
		p("window\t%d s, instants %s to %s (the first second is warm-up)\n", seconds, from.Format("15:04:05"), to.Add(-time.Second).Format("15:04:05"))
		p("fires in window\t%d of %d expected (%d not started by the end)\n", inWindow, expected, expected-inWindow)
		p("fires/s sustained\t%.1f (target %d)\n", float64(inWindow)/float64(seconds), r.opts.tasks)
	}
	if len(lags) > 0 {
		q := quantiles(lags)
		p("fire lag\tp50 %s  p90 %s  p99 %s  max %s\n", ms(q.p50), ms(q.p90), ms(q.p99), ms(q.max))
	}
	if failed > 0 {
		p("failed fires\t%d (first: %s)\n", failed, firstErr)
	}
	if err := w.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(out, "\nwhere the time goes (over the whole run)")
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	p("step\tcalls\titems/call\tp50\tp99\tmax\ttotal\t\n")
	row := func(name string, s *stage) {
		s.mu.Lock()
		durs, items := slices.Clone(s.took), s.items
		s.mu.Unlock()
		if len(durs) == 0 {
			p("%s\t0\t\t\t\t\t\t\n", name)
			return
		}
		q := quantiles(durs)
		p("%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n", name, len(durs), float64(items)/float64(len(durs)), ms(q.p50), ms(q.p99), ms(q.max), ms(q.sum))
	}
	row("claim batch (ExecutionClaim)", &r.st.claim)
	row("record batch (ExecutionUpdateMany)", &r.st.record)
	row("log lines (LogAppend)", &r.st.logs)
	if len(took) > 0 {
		q := quantiles(took)
		p("executor call (window)\t%d\t1\t%s\t%s\t%s\t%s\t\n", len(took), ms(q.p50), ms(q.p99), ms(q.max), ms(q.sum))
	}
	if first, spread := perInstant(fires, in); len(first) > 0 {
		q := quantiles(first)
		p("first fire of each instant (window)\t%d\t\t%s\t%s\t%s\t\t\n", len(first), ms(q.p50), ms(q.p99), ms(q.max))
		q = quantiles(spread)
		p("spread of an instant's fires (last − first)\t%d\t\t%s\t%s\t%s\t\t\n", len(spread), ms(q.p50), ms(q.p99), ms(q.max))
	}
	if len(startLags) > 0 {
		q := quantiles(startLags)
		p("lag at worker slot (window)\t%d\t\t%s\t%s\t%s\t\t\n", len(startLags), ms(q.p50), ms(q.p99), ms(q.max))
	} else {
		// Every start lost to its result in the same batch, or none fired.
		p("lag at worker slot (window)\t0\t\t\t\t\t\t\n")
	}
	if len(lags) > 0 {
		q := quantiles(lags)
		p("lag at executor call (window)\t%d\t\t%s\t%s\t%s\t\t\n", len(lags), ms(q.p50), ms(q.p99), ms(q.max))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if r.cpu.total > 0 {
		busy := r.cpu.total - r.cpu.idle
		wall := r.stopped.Sub(r.start).Seconds()
		fmt.Fprintf(out, "\ncpu  %.2f of %d cores busy (%.0f%%), of which GC %.0f%% (Go runtime estimate, whole run)\n",
			busy/wall, runtime.GOMAXPROCS(0), 100*busy/r.cpu.total, 100*r.cpu.gc/max(busy, 1e-9))
	}
	return nil
}

// perInstant returns, for each instant in the window, the lag of its
// first fire (the engine waking and starting the first execution) and the
// spread between its first and last fire (starting all of them).
func perInstant(fires []fire, in func(fire) bool) (first, spread []time.Duration) {
	type span struct{ lo, hi time.Duration }
	by := map[time.Time]*span{}
	for _, f := range fires {
		if !in(f) {
			continue
		}
		s := by[f.instant]
		if s == nil {
			by[f.instant] = &span{f.lag, f.lag}
			continue
		}
		s.lo, s.hi = min(s.lo, f.lag), max(s.hi, f.lag)
	}
	for _, s := range by {
		first = append(first, s.lo)
		spread = append(spread, s.hi-s.lo)
	}
	return first, spread
}

type quants struct{ p50, p90, p99, max, sum time.Duration }

func quantiles(ds []time.Duration) quants {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[int(p*float64(len(s)-1))] }
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return quants{p50: at(0.50), p90: at(0.90), p99: at(0.99), max: s[len(s)-1], sum: sum}
}

// ms prints a duration in milliseconds with a precision that fits it.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 0:
		return fmt.Sprintf("%.2fms", v)
	case v < 10:
		return fmt.Sprintf("%.3fms", v)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.0fms", v)
}

var (
	_ core.Executor = noopExecutor{}
	_ core.Executor = (*timedExecutor)(nil)
	_ store.Store   = (*timedStore)(nil)
)
