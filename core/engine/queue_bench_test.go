package engine_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core/engine"
)

// benchTasks is the queue size the design targets on one node.
const benchTasks = 1_000_000

// benchIDs returns n IDs shaped like the store's UUIDv7 task IDs.
func benchIDs(n int) []string {
	r := rand.New(rand.NewPCG(1, 1))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("0192f6a3-%04x-7%03x-%04x-%012x",
			i>>12, r.IntN(1<<12), 0x8000|r.IntN(1<<14), r.Uint64()&(1<<48-1))
	}
	return ids
}

// fullQueue returns a queue of benchTasks entries spread over a day at
// whole seconds (about a dozen tasks per second), and their IDs.
func fullQueue(b *testing.B) (*engine.Queue, []string) {
	b.Helper()
	ids := benchIDs(benchTasks)
	r := rand.New(rand.NewPCG(2, 2))
	q := engine.NewQueue(len(ids))
	for _, id := range ids {
		q.Upsert(id, t0.Add(time.Duration(r.IntN(86400))*time.Second))
	}
	return q, ids
}

// BenchmarkQueueUpsert measures one Upsert into a queue of a million
// entries: "reschedule" moves a queued task to a new instant (a schedule
// change), "insert" adds a task that was not queued (rescheduling after a
// fire, since PopDue removed it).
func BenchmarkQueueUpsert(b *testing.B) {
	b.Run("reschedule-1M", func(b *testing.B) {
		q, ids := fullQueue(b)
		r := rand.New(rand.NewPCG(3, 3))
		for i := 0; b.Loop(); i++ {
			q.Upsert(ids[r.IntN(len(ids))], t0.Add(time.Duration(r.IntN(86400))*time.Second))
		}
	})
	b.Run("insert-1M", func(b *testing.B) {
		q, ids := fullQueue(b)
		const batch = 1000
		for _, id := range ids[:batch] {
			q.Remove(id)
		}
		r := rand.New(rand.NewPCG(4, 4))
		for i := 0; b.Loop(); i++ {
			q.Upsert(ids[i%batch], t0.Add(time.Duration(r.IntN(86400))*time.Second))
			if i%batch == batch-1 {
				b.StopTimer()
				for _, id := range ids[:batch] {
					q.Remove(id)
				}
				b.StartTimer()
			}
		}
	})
}

// BenchmarkQueuePopDue measures PopDue on a queue of a million entries.
// "batch=1" pops the earliest entry; "batch=1000" pops the thousand tasks
// due at one second (the aligned-second case), and also reports the cost
// per entry. Popped entries are put back, with the timer stopped, so the
// queue stays at about a million.
func BenchmarkQueuePopDue(b *testing.B) {
	b.Run("batch=1-1M", func(b *testing.B) {
		q, _ := fullQueue(b)
		const refill = 1000
		popped := make([]engine.Entry, 0, refill)
		far := t0.Add(365 * 24 * time.Hour)
		for b.Loop() {
			popped = append(popped, q.PopDue(far, 1)...)
			if len(popped) == refill {
				b.StopTimer()
				for _, e := range popped {
					q.Upsert(e.TaskID, e.At.Add(24*time.Hour))
				}
				popped = popped[:0]
				b.StartTimer()
			}
		}
	})
	b.Run("batch=1000-1M", func(b *testing.B) {
		// A thousand tasks on each of a thousand seconds.
		ids := benchIDs(benchTasks)
		q := engine.NewQueue(len(ids))
		for i, id := range ids {
			q.Upsert(id, at(i%1000))
		}
		sec, entries := 0, 0
		for b.Loop() {
			due := q.PopDue(at(sec), 0)
			b.StopTimer()
			if len(due) != 1000 {
				b.Fatalf("popped %d entries at second %d, want 1000", len(due), sec)
			}
			for _, e := range due {
				q.Upsert(e.TaskID, e.At.Add(1000*time.Second))
			}
			sec++
			entries += len(due)
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(entries), "ns/entry")
	})
}
