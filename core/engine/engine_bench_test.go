package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// lagRecorder is a no-op executor that records each fire's lag: when it
// started minus its scheduled instant.
type lagRecorder struct {
	mu   sync.Mutex
	lags []time.Duration
}

func (r *lagRecorder) Execute(_ context.Context, req core.ExecuteRequest) core.ExecuteResult {
	lag := time.Since(req.Execution.ScheduledAt)
	r.mu.Lock()
	r.lags = append(r.lags, lag)
	r.mu.Unlock()
	return core.ExecuteResult{Status: core.StatusSucceeded}
}

func (r *lagRecorder) ValidateConfig(context.Context, core.Task) error { return nil }

// BenchmarkEngineEverySecond runs N tasks that fire every second (six-field
// cron) on the embedded store for a few seconds of real time, with a no-op
// executor, and reports fires per second and the fire lag (executor start
// minus scheduled instant) p50, p99 and max. N is KRONOS_BENCH_TASKS
// (default 200, small so that CI stays quick; the target is 10000); the
// run lasts KRONOS_BENCH_SECONDS (default 2).
func BenchmarkEngineEverySecond(b *testing.B) {
	tasks := envInt("KRONOS_BENCH_TASKS", 200)
	seconds := envInt("KRONOS_BENCH_SECONDS", 2)
	st, err := sqlite.Open(b.Context(), sqlite.Config{Path: filepath.Join(b.TempDir(), "kronos.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for i := range tasks {
		if _, err := st.TaskCreate(b.Context(), core.Task{Name: fmt.Sprintf("t%06d", i), Schedule: "* * * * * *", Executor: "noop"}); err != nil {
			b.Fatal(err)
		}
	}
	rec := &lagRecorder{}
	e, err := engine.New(b.Context(), engine.Config{
		Store: st, Executor: rec, Clock: clock.Real(), NodeID: "bench", Workers: envInt("KRONOS_BENCH_WORKERS", 0),
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(b.Context(), time.Duration(seconds)*time.Second)
		if err := e.Run(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
	b.StopTimer()
	rec.mu.Lock()
	lags := slices.Clone(rec.lags)
	rec.mu.Unlock()
	if len(lags) == 0 {
		b.Fatal("nothing fired")
	}
	slices.Sort(lags)
	pct := func(p float64) float64 { return float64(lags[int(p*float64(len(lags)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(float64(len(lags))/b.Elapsed().Seconds(), "fires/s")
	b.ReportMetric(pct(0.50), "p50-lag-ms")
	b.ReportMetric(pct(0.99), "p99-lag-ms")
	b.ReportMetric(pct(1), "max-lag-ms")
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkEngineLoad measures a start: reading KRONOS_BENCH_LOAD_TASKS
// (default 1000) every-second tasks, queueing each one's next instant and
// settling the instants missed since they were created an hour before
// (misfire skip: recorded, the latest 1000 one by one). It reports the
// start-up time per task.
func BenchmarkEngineLoad(b *testing.B) {
	n := envInt("KRONOS_BENCH_LOAD_TASKS", 1000)
	st, err := sqlite.Open(b.Context(), sqlite.Config{Path: filepath.Join(b.TempDir(), "kronos.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	created := time.Now().Add(-time.Duration(envInt("KRONOS_BENCH_LOAD_DOWN_SECONDS", 3600)) * time.Second)
	st.SetNow(func() time.Time { return created })
	for i := range n {
		if _, err := st.TaskCreate(b.Context(), core.Task{Name: fmt.Sprintf("t%07d", i), Schedule: "0 * * * * *", Executor: "noop", Misfire: core.MisfireSkip}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		e, err := engine.New(b.Context(), engine.Config{
			Store: st, Executor: &lagRecorder{}, Clock: clock.Real(), NodeID: "bench",
			Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := e.Load(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/task")
}
