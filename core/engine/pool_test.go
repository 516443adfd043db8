package engine

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

// waiter queues an acquire and reports on got when it is granted.
func waiter(t *testing.T, p *pool, ns string, got chan<- string) {
	t.Helper()
	before := waitingOf(p, ns)
	go func() {
		if err := p.acquire(context.Background(), ns); err == nil {
			got <- ns
		}
	}()
	for waitingOf(p, ns) == before { // until it is queued, so the order is known
		runtime.Gosched()
	}
}

func waitingOf(p *pool, ns string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiting[ns])
}

// A namespace that floods the pool delays another namespace by one turn,
// not by the length of its flood.
func TestPoolTakesTurnsAcrossNamespaces(t *testing.T) {
	p := newPool(2, 2)
	for range 2 {
		if err := p.acquire(t.Context(), "flood"); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan string, 20)
	for range 5 {
		waiter(t, p, "flood", got)
	}
	waiter(t, p, "quiet", got)
	var order []string
	for range 6 {
		p.release("flood")
		order = append(order, <-got)
	}
	if order[0] != "flood" || order[1] != "quiet" {
		t.Fatalf("grant order %v: the quiet namespace waited behind the flood", order)
	}
}

func TestPoolCapsANamespace(t *testing.T) {
	p := newPool(4, 2)
	for range 2 {
		if err := p.acquire(t.Context(), "a"); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan string, 4)
	waiter(t, p, "a", got) // a is at its cap: waits although 2 slots are free
	if err := p.acquire(t.Context(), "b"); err != nil {
		t.Fatal("b could not take a free slot while a waited at its cap")
	}
	if busy, waiting := p.stats(); busy != 3 || waiting != 1 {
		t.Fatalf("busy %d waiting %d, want 3 and 1", busy, waiting)
	}
	p.release("a")
	if ns := <-got; ns != "a" {
		t.Fatal(ns)
	}
}

func TestPoolAcquireGivesUpWhenCanceled(t *testing.T) {
	p := newPool(1, 1)
	if err := p.acquire(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	var err error
	go func() {
		defer wg.Done()
		err = p.acquire(ctx, "b")
	}()
	for waitingOf(p, "b") == 0 {
		runtime.Gosched()
	}
	cancel()
	wg.Wait()
	if err == nil {
		t.Fatal("acquire returned a slot after its context ended")
	}
	p.release("a")
	if busy, waiting := p.stats(); busy != 0 || waiting != 0 {
		t.Fatalf("busy %d waiting %d after all left", busy, waiting)
	}
}
