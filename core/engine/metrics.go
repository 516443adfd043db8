package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shiyu-coder/kronos/core"
)

// metrics are the engine's Prometheus metrics. Labels are the namespace,
// the executor type, the trigger kind and the status: all bounded by what
// users create, never by executions or instants.
type metrics struct {
	fires      *prometheus.CounterVec
	lag        prometheus.Histogram
	executions *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	claim      prometheus.Histogram
	quota      *prometheus.CounterVec
}

// lagBuckets run from a millisecond (the target's scale) to a minute.
var lagBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func newMetrics(reg prometheus.Registerer, e *Engine) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry() // unexported: the engine counts, nobody reads
	}
	m := &metrics{
		fires: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kronos_fires_total",
			Help: "Executions started on this node, by namespace and trigger (schedule, catch_up, manual).",
		}, []string{"namespace", "trigger"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kronos_fire_lag_seconds",
			Help:    "Executor start minus scheduled instant, for executions fired on time by the schedule (first attempts).",
			Buckets: lagBuckets,
		}),
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kronos_executions_total",
			Help: "Executions that reached a final status on this node, by namespace, executor and status.",
		}, []string{"namespace", "executor", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kronos_execution_duration_seconds",
			Help:    "How long executors ran, by executor.",
			Buckets: prometheus.ExponentialBuckets(.001, 4, 12), // 1 ms to about 70 min
		}, []string{"executor"}),
		claim: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kronos_claim_batch_seconds",
			Help:    "Time to claim one batch of executions ahead of their instants in the store.",
			Buckets: prometheus.ExponentialBuckets(.0005, 2, 14), // 0.5 ms to 4 s
		}),
		quota: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kronos_quota_rejections_total",
			Help: "Executions refused on this node by a namespace quota (skipped, or a manual trigger refused), by namespace and quota.",
		}, []string{"namespace", "quota"}),
	}
	gauges := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kronos_executions_running",
			Help: "Executions holding a worker slot on this node.",
		}, func() float64 { busy, _ := e.pool.stats(); return float64(busy) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kronos_executions_waiting",
			Help: "Executions due on this node and waiting for a worker slot.",
		}, func() float64 { _, waiting := e.pool.stats(); return float64(waiting) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kronos_queue_tasks",
			Help: "Tasks queued for their next instant on this node.",
		}, func() float64 { e.mu.Lock(); defer e.mu.Unlock(); return float64(e.queue.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kronos_queue_claimed",
			Help: "Executions claimed ahead (or retries in backoff) waiting for their time on this node.",
		}, func() float64 { e.mu.Lock(); defer e.mu.Unlock(); return float64(len(e.ready)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kronos_partitions_held",
			Help: "Partitions whose tasks this node fires.",
		}, func() float64 { e.mu.Lock(); defer e.mu.Unlock(); return float64(len(e.leases)) }),
	}
	var errs []error
	for _, c := range append([]prometheus.Collector{m.fires, m.lag, m.executions, m.duration, m.claim, m.quota}, gauges...) {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("engine: register metrics: %w", err)
	}
	return m, nil
}

// started counts an execution that got a worker slot at `at`.
func (m *metrics) started(x core.Execution, at time.Time) {
	m.fires.WithLabelValues(x.Namespace, string(x.Trigger)).Inc()
	if x.Trigger == core.TriggerSchedule && x.Attempt == 1 {
		m.lag.Observe(max(at.Sub(x.ScheduledAt), 0).Seconds())
	}
}

// ended counts an execution that reached a final status.
func (m *metrics) ended(x core.Execution, executor string, status core.ExecutionStatus, started, finished time.Time) {
	m.executions.WithLabelValues(x.Namespace, executor, string(status)).Inc()
	if !started.IsZero() {
		m.duration.WithLabelValues(executor).Observe(finished.Sub(started).Seconds())
	}
}

// recorded counts n executions recorded with a final status without
// running (skipped).
func (m *metrics) recorded(namespace, executor string, status core.ExecutionStatus, n int) {
	m.executions.WithLabelValues(namespace, executor, string(status)).Add(float64(n))
}

// quotaRejected counts an execution refused by the namespace's quota.
func (m *metrics) quotaRejected(namespace, quota string) {
	m.quota.WithLabelValues(namespace, quota).Inc()
}
