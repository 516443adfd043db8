package engine

import (
	"fmt"
	"testing"
	"time"
)

func TestRateWindowCountsTheLastMinute(t *testing.T) {
	var w rateWindow
	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	for i := range 3 {
		w.add(t0.Add(time.Duration(i) * 10 * time.Second)) // :00, :10, :20
	}
	for _, c := range []struct {
		at   time.Duration
		want int
	}{
		{0, 1},
		{20 * time.Second, 3},
		{60*time.Second + 999*time.Millisecond, 3}, // :00 is less than a minute before :60.999's second began
		{61 * time.Second, 2},                      // :00 left the window
		{81 * time.Second, 0},
		{10 * time.Hour, 0}, // a bucket reused an hour later starts afresh
	} {
		if got := w.count(t0.Add(c.at)); got != c.want {
			t.Errorf("count at +%v = %d, want %d", c.at, got, c.want)
		}
	}
	w.add(t0.Add(10 * time.Hour))
	if got := w.count(t0.Add(10 * time.Hour)); got != 1 {
		t.Fatalf("count after reuse = %d, want 1", got)
	}
}

// setLimit lowers a namespace's cap below perNamespace, and lifting it
// starts the waiting executions at once.
func TestPoolSetLimit(t *testing.T) {
	rec := newRecorderPool()
	p := newPool(4, 4, rec.run)
	p.setLimit("a", 1)
	hold := make(chan struct{})
	for i := range 3 {
		p.submit("a", gate{name: fmt.Sprintf("a%d", i), release: hold})
	}
	<-rec.started
	if busy, waiting := p.stats(); busy != 1 || waiting != 2 {
		t.Fatalf("busy %d waiting %d, want 1 and 2 under a limit of 1", busy, waiting)
	}
	p.setLimit("a", 0) // back to perNamespace: both start now
	<-rec.started
	<-rec.started
	close(hold)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.most["a"] != 3 {
		t.Fatalf("a ran %d at once, want 3 once the limit was lifted", rec.most["a"])
	}
}
