package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// Summary bounds.
const (
	// maxStatsWindow is the longest window get-execution-stats sums up.
	maxStatsWindow = 7 * 24 * time.Hour
	// maxStatsBuckets bounds the series' length.
	maxStatsBuckets = 1440
)

// niceBuckets are the bucket sizes get-execution-stats picks from when it
// is given none: the smallest that cuts the window into at most 120.
var niceBuckets = []time.Duration{
	time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute,
	10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// ExecutionStats sums up a namespace's executions over a window.
type ExecutionStats struct {
	From          time.Time    `json:"from" doc:"The window's start: executions whose instant is at or after it."`
	To            time.Time    `json:"to" doc:"The window's end: the end of the current bucket. Executions whose instant is before it."`
	BucketSeconds int64        `json:"bucket_seconds" doc:"The length of each point of series."`
	Totals        StatsCounts  `json:"totals"`
	Series        []StatsPoint `json:"series" doc:"One point per bucket, oldest first, empty ones included."`
	Lag           LagStats     `json:"lag" doc:"Fire lag (start minus instant) of the latest scheduled fires that started."`
	Tasks         []TaskStat   `json:"tasks" doc:"The tasks with the lowest success rate first (then the most failures), at most limit."`
	Slowest       []TaskStat   `json:"slowest" doc:"The tasks with the longest average run time, at most limit."`
}

// StatsCounts counts executions by outcome.
type StatsCounts struct {
	Total     int `json:"total"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed" doc:"Failed, timed out or interrupted."`
	Skipped   int `json:"skipped" doc:"Recorded skipped (misfire, concurrency, quota)."`
	Canceled  int `json:"canceled"`
	Active    int `json:"active" doc:"Pending or running."`
}

func (c *StatsCounts) add(by map[core.ExecutionStatus]int) {
	for st, n := range by {
		c.Total += n
		switch st {
		case core.StatusSucceeded:
			c.Succeeded += n
		case core.StatusFailed, core.StatusTimedOut, core.StatusInterrupted:
			c.Failed += n
		case core.StatusSkipped:
			c.Skipped += n
		case core.StatusCanceled:
			c.Canceled += n
		case core.StatusPending, core.StatusRunning:
			c.Active += n
		}
	}
}

// StatsPoint is one bucket of the series.
type StatsPoint struct {
	Start time.Time `json:"start"`
	StatsCounts
}

// LagStats are percentiles of the fire lag, in milliseconds.
type LagStats struct {
	Samples int     `json:"samples" doc:"How many fires they were read from (at most 10,000, the latest)."`
	P50MS   float64 `json:"p50_ms"`
	P90MS   float64 `json:"p90_ms"`
	P99MS   float64 `json:"p99_ms"`
	MaxMS   float64 `json:"max_ms"`
}

// TaskStat sums up one task's executions in the window.
type TaskStat struct {
	TaskName string `json:"task_name"`
	StatsCounts
	SuccessRate   *float64 `json:"success_rate,omitempty" doc:"Succeeded over succeeded and failed, 0 to 1; absent when none ended so."`
	AvgDurationMS *float64 `json:"avg_duration_ms,omitempty" doc:"Average run time of those that started and ended."`
	MaxDurationMS *float64 `json:"max_duration_ms,omitempty"`
}

func (s *server) registerStats(g huma.API) {
	huma.Register(g, huma.Operation{
		OperationID: "get-execution-stats", Method: http.MethodGet, Path: "/stats/executions", Tags: []string{"Executions"},
		Summary: "Sum up a namespace's executions",
		Description: "For the dashboard: executions whose instant falls in the last `window`, counted by outcome in all and " +
			"per bucket, the fire lag percentiles, the tasks with the lowest success rate and the slowest tasks. " +
			"Every figure is read from the store, so it covers every node.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		Window string `query:"window" default:"1h" doc:"How far back from now (Go duration, up to 168h)." example:"1h"`
		Bucket string `query:"bucket" doc:"The series' interval (Go duration, at least 1s); by default the smallest of 1s, 5s, 10s, 30s, 1m, 5m, … that makes at most 120 points." example:"1m"`
		Limit  int    `query:"limit" default:"10" minimum:"1" maximum:"100" doc:"How many tasks in tasks and in slowest."`
	},
	) (*struct{ Body ExecutionStats }, error) {
		window, err := time.ParseDuration(in.Window)
		if err != nil || window < time.Second || window > maxStatsWindow {
			return nil, huma.Error422UnprocessableEntity("invalid window",
				&huma.ErrorDetail{Location: "query.window", Message: fmt.Sprintf("want a duration from 1s to %s, such as 1h", maxStatsWindow), Value: in.Window})
		}
		bucket := niceBuckets[len(niceBuckets)-1]
		for _, b := range niceBuckets {
			if window/b <= 120 {
				bucket = b
				break
			}
		}
		if in.Bucket != "" {
			bucket, err = time.ParseDuration(in.Bucket)
			if err != nil || bucket < time.Second || bucket%time.Second != 0 || window/bucket > maxStatsBuckets {
				return nil, huma.Error422UnprocessableEntity("invalid bucket",
					&huma.ErrorDetail{Location: "query.bucket", Message: fmt.Sprintf("want whole seconds, at least 1s, and at most %d buckets in the window", maxStatsBuckets), Value: in.Bucket})
			}
		}
		if _, err := s.namespace(ctx, in.Namespace); err != nil {
			return nil, err
		}
		// Buckets line up with the clock (a 1m bucket starts on the
		// minute); the last one is the current one, still filling.
		to := time.Now().UTC().Truncate(bucket).Add(bucket)
		from := to.Add(-window).Truncate(bucket)
		st, err := s.cfg.Store.ExecutionStats(ctx, store.ExecutionStatsParams{Namespace: in.Namespace, From: from, To: to, Bucket: bucket})
		if err != nil {
			return nil, problem("sum up executions", err)
		}
		return &struct{ Body ExecutionStats }{statsOut(st, from, to, bucket, in.Limit)}, nil
	})
}

func statsOut(st store.ExecutionStats, from, to time.Time, bucket time.Duration, limit int) ExecutionStats {
	out := ExecutionStats{From: from, To: to, BucketSeconds: int64(bucket / time.Second), Series: make([]StatsPoint, len(st.Buckets))}
	for i, b := range st.Buckets {
		out.Series[i].Start = b.Start
		out.Series[i].add(b.ByStatus)
		out.Totals.add(b.ByStatus)
	}
	lags := slices.Sorted(slices.Values(st.Lags))
	out.Lag.Samples = len(lags)
	if len(lags) > 0 {
		pct := func(p float64) float64 { return ms(lags[int(p*float64(len(lags)-1))]) }
		out.Lag.P50MS, out.Lag.P90MS, out.Lag.P99MS, out.Lag.MaxMS = pct(0.5), pct(0.9), pct(0.99), pct(1)
	}
	tasks := make([]TaskStat, len(st.Tasks))
	for i, ts := range st.Tasks {
		t := TaskStat{TaskName: ts.TaskName}
		t.add(ts.ByStatus)
		if ended := t.Succeeded + t.Failed; ended > 0 {
			rate := float64(t.Succeeded) / float64(ended)
			t.SuccessRate = &rate
		}
		if ts.Timed > 0 {
			avg, longest := ms(ts.Duration)/float64(ts.Timed), ms(ts.Longest)
			t.AvgDurationMS, t.MaxDurationMS = &avg, &longest
		}
		tasks[i] = t
	}
	rate := func(t TaskStat) float64 {
		if t.SuccessRate == nil {
			return 2 // nothing ended: after every task that has a rate
		}
		return *t.SuccessRate
	}
	slices.SortFunc(tasks, func(a, b TaskStat) int {
		return cmp.Or(cmp.Compare(rate(a), rate(b)), cmp.Compare(b.Failed, a.Failed), cmp.Compare(a.TaskName, b.TaskName))
	})
	out.Tasks = tasks[:min(limit, len(tasks))]
	var timed []TaskStat
	for _, t := range tasks {
		if t.AvgDurationMS != nil {
			timed = append(timed, t)
		}
	}
	slices.SortFunc(timed, func(a, b TaskStat) int {
		return cmp.Or(cmp.Compare(*b.AvgDurationMS, *a.AvgDurationMS), cmp.Compare(a.TaskName, b.TaskName))
	})
	out.Slowest = append([]TaskStat{}, timed[:min(limit, len(timed))]...)
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
