package engine

import (
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
)

func everySecond(t *testing.T) *entry {
	t.Helper()
	task := core.Task{Name: "tick", Schedule: "* * * * * *"}
	sched, err := task.ParseSchedule()
	if err != nil {
		t.Fatal(err)
	}
	return &entry{task: task, sched: sched}
}

func TestMissedEdges(t *testing.T) {
	en := everySecond(t)
	now := time.Date(2026, 12, 1, 2, 0, 0, 500_000_000, time.UTC)
	cases := []struct {
		name      string
		since     time.Time
		wantTail  int
		wantFirst time.Time
		wantCount int
	}{
		{name: "zero since counts nothing", since: time.Time{}},
		{name: "since after now", since: now.Add(time.Second)},
		{name: "gap under a second, no instant in it", since: now.Add(-400 * time.Millisecond)},
		{name: "gap under a second with an instant", since: now.Add(-900 * time.Millisecond), wantTail: 1},
		{name: "exactly the bound", since: now.Add(-10*time.Second - 400*time.Millisecond), wantTail: 10},
		{
			name: "one over the bound, counted", since: now.Add(-11*time.Second - 400*time.Millisecond), wantTail: 10,
			wantFirst: now.Add(-10*time.Second - 500*time.Millisecond), wantCount: 1,
		},
		{
			name: "far over the bound, not counted", since: now.Add(-1000 * time.Hour), wantTail: 10,
			wantFirst: now.Add(-1000*time.Hour + 500*time.Millisecond),
		},
		{name: "since in 1970", since: time.Unix(0, 0), wantTail: 10, wantFirst: time.Unix(1, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tail, om := en.missed(c.since, now, 10)
			if len(tail) != c.wantTail || !om.first.Equal(c.wantFirst) || om.count != c.wantCount {
				t.Fatalf("tail %d, omitted %+v; want tail %d, first %v, count %d", len(tail), om, c.wantTail, c.wantFirst, c.wantCount)
			}
			for i := 1; i < len(tail); i++ {
				if tail[i].Sub(tail[i-1]) != time.Second {
					t.Fatalf("tail not consecutive: %v", tail)
				}
			}
			if len(tail) > 0 && !tail[len(tail)-1].Equal(now.Truncate(time.Second)) {
				t.Fatalf("the latest missed instant is %v, want %v", tail[len(tail)-1], now.Truncate(time.Second))
			}
			if !om.first.IsZero() && !om.last.Equal(tail[0].Add(-time.Second)) {
				t.Fatalf("omitted range ends at %v, want %v", om.last, tail[0].Add(-time.Second))
			}
		})
	}
}
