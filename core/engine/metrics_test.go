package engine_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/engine"
)

func TestMetricsCountFiresLagAndResults(t *testing.T) {
	st := newStore(t)
	clk := clock.NewFake(e0.Add(100 * time.Millisecond))
	rec := &recorder{clock: clk}
	reg := prometheus.NewRegistry()
	e, err := engine.New(t.Context(), engine.Config{
		Store: st, Executor: rec, Clock: clk, NodeID: "node-1", Metrics: reg,
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	createTask(t, st, "tick", "* * * * * *")
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, []*engine.Engine{e}, e0.Add(3*time.Second))
	// A worker gives its slot back just after the result it recorded, so
	// the running gauge reaches 0 a moment after the last result.
	var families []*dto.MetricFamily
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if families, err = reg.Gather(); err != nil {
			t.Fatal(err)
		}
		if gaugeValue(families, "kronos_executions_running") == 0 || time.Now().After(deadline) {
			break
		}
	}
	got := map[string]*dto.MetricFamily{}
	for _, f := range families {
		got[f.GetName()] = f
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		f := got[name]
		if f == nil {
			t.Fatalf("metric %s missing", name)
		}
	next:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
		t.Fatalf("metric %s has no series %v", name, labels)
		return 0
	}
	if n := value("kronos_fires_total", map[string]string{"namespace": core.DefaultNamespace, "trigger": "schedule"}); n != 3 {
		t.Errorf("fires = %v, want 3", n)
	}
	if n := value("kronos_fire_lag_seconds", nil); n != 3 {
		t.Errorf("lag observations = %v, want 3", n)
	}
	if s := got["kronos_fire_lag_seconds"].GetMetric()[0].GetHistogram().GetSampleSum(); s != 0 {
		t.Errorf("lag sum = %v s, want 0 (the fake clock fires exactly on the instant)", s)
	}
	if n := value("kronos_executions_total", map[string]string{"executor": "rec", "status": "succeeded"}); n != 3 {
		t.Errorf("succeeded = %v, want 3", n)
	}
	if n := value("kronos_execution_duration_seconds", map[string]string{"executor": "rec"}); n != 3 {
		t.Errorf("durations = %v, want 3", n)
	}
	if n := value("kronos_partitions_held", nil); n != engine.DefaultPartitions {
		t.Errorf("partitions held = %v, want %d", n, engine.DefaultPartitions)
	}
	if n := value("kronos_queue_tasks", nil); n != 1 {
		t.Errorf("queued tasks = %v, want 1", n)
	}
	if n := value("kronos_executions_running", nil); n != 0 {
		t.Errorf("running = %v after all ended", n)
	}
	if value("kronos_claim_batch_seconds", nil) == 0 {
		t.Error("no claim batch observed")
	}
}

// gaugeValue is the value of the first series of the gauge name, or -1.
func gaugeValue(families []*dto.MetricFamily, name string) float64 {
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) > 0 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}
