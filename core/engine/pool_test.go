package engine

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// gate is a pool job that records its start and waits to be released.
type gate struct {
	name    string
	release chan struct{}
}

type recorderPool struct {
	mu      sync.Mutex
	order   []string
	running map[string]int
	most    map[string]int
	started chan string
}

func newRecorderPool() *recorderPool {
	return &recorderPool{running: map[string]int{}, most: map[string]int{}, started: make(chan string, 100)}
}

func (r *recorderPool) run(g gate) {
	ns := g.name[:1]
	r.mu.Lock()
	r.order = append(r.order, g.name)
	r.running[ns]++
	r.most[ns] = max(r.most[ns], r.running[ns])
	r.mu.Unlock()
	r.started <- g.name
	<-g.release
	r.mu.Lock()
	r.running[ns]--
	r.mu.Unlock()
}

// A namespace that floods the pool delays another namespace by one turn,
// not by the length of its flood.
func TestPoolTakesTurnsAcrossNamespaces(t *testing.T) {
	rec := newRecorderPool()
	p := newPool(1, 1, rec.run)
	release := make(chan struct{})
	for i := range 5 {
		p.submit("f", gate{name: fmt.Sprintf("f%d", i), release: release})
	}
	p.submit("q", gate{name: "q0", release: release})
	close(release)
	for range 6 {
		<-rec.started
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// q0 came behind four waiting executions of f; it waits at most one
	// turn of f (which may hold the turn before it), never all four.
	if i := slices.Index(rec.order, "q0"); i < 0 || i > 2 {
		t.Fatalf("order %v: the quiet namespace waited behind the flood", rec.order)
	}
}

func TestPoolCapsANamespaceAndLetsOthersThrough(t *testing.T) {
	rec := newRecorderPool()
	p := newPool(4, 2, rec.run)
	hold := make(chan struct{})
	for i := range 4 {
		p.submit("a", gate{name: fmt.Sprintf("a%d", i), release: hold})
	}
	<-rec.started
	<-rec.started
	// a is at its cap of 2 with 2 waiting: b still gets a worker.
	bRelease := make(chan struct{})
	p.submit("b", gate{name: "b0", release: bRelease})
	if got := <-rec.started; got != "b0" {
		t.Fatalf("started %s, want b0 while a waits at its cap", got)
	}
	if busy, waiting := p.stats(); busy != 3 || waiting != 2 {
		t.Fatalf("busy %d waiting %d, want 3 and 2", busy, waiting)
	}
	close(bRelease)
	close(hold)
	<-rec.started
	<-rec.started
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.most["a"] != 2 {
		t.Fatalf("namespace a ran %d at once, want at most its cap of 2", rec.most["a"])
	}
}

func TestPoolWorkersExitWhenIdle(t *testing.T) {
	var wg sync.WaitGroup
	p := newPool(3, 3, func(int) { wg.Done() })
	wg.Add(100)
	for i := range 100 {
		p.submit("a", i)
	}
	wg.Wait()
	for {
		p.mu.Lock()
		n := p.running
		p.mu.Unlock()
		if n == 0 {
			break
		}
	}
	if busy, waiting := p.stats(); busy != 0 || waiting != 0 {
		t.Fatalf("busy %d waiting %d after all ran", busy, waiting)
	}
}
