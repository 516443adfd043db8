package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// BenchmarkClaim measures ExecutionClaim with batches of the given sizes:
// the cost of fencing a second's worth of fires ahead of time. It reports
// the time per claimed execution as ns/fire.
func BenchmarkClaim(ctx context.Context, b *testing.B, s store.Store, sizes ...int) {
	task, err := s.TaskCreate(ctx, core.Task{Name: "bench", Executor: "http"})
	if err != nil {
		b.Fatal(err)
	}
	next := t0
	for _, size := range sizes {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			batch := make([]core.Execution, size)
			for b.Loop() {
				for i := range batch {
					batch[i] = claimFor(task, next, core.TriggerSchedule, 1)
					next = next.Add(time.Second)
				}
				got, err := s.ExecutionClaim(ctx, batch)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != size {
					b.Fatalf("claimed %d of %d", len(got), size)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/fire")
		})
	}
}
