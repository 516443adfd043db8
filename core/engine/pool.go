package engine

import (
	"context"
	"slices"
	"sync"
)

// pool hands out the node's worker slots. A namespace holds at most
// perNamespace of them, and when slots are scarce they go round-robin to
// the namespaces with executions waiting, first come first served within
// each, so that one tenant's flood delays another tenant's executions by
// at most one turn, never by the length of the flood.
type pool struct {
	mu           sync.Mutex
	free         int
	perNamespace int
	busy         map[string]int
	waiting      map[string][]chan struct{}
	// turns lists the namespaces with executions waiting, in the order
	// they get the next free slot; next is whose turn it is.
	turns []string
	next  int
}

func newPool(workers, perNamespace int) *pool {
	return &pool{
		free: workers, perNamespace: min(perNamespace, workers),
		busy: map[string]int{}, waiting: map[string][]chan struct{}{},
	}
}

// acquire takes a slot for an execution of namespace, waiting for one
// until ctx ends.
func (p *pool) acquire(ctx context.Context, namespace string) error {
	p.mu.Lock()
	if p.free > 0 && p.busy[namespace] < p.perNamespace && len(p.waiting[namespace]) == 0 {
		p.free--
		p.busy[namespace]++
		p.mu.Unlock()
		return nil
	}
	granted := make(chan struct{})
	if len(p.waiting[namespace]) == 0 {
		p.turns = append(p.turns, namespace)
	}
	p.waiting[namespace] = append(p.waiting[namespace], granted)
	p.mu.Unlock()

	select {
	case <-granted:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	q := p.waiting[namespace]
	if i := slices.Index(q, granted); i >= 0 {
		p.dropWaiterLocked(namespace, i)
		p.mu.Unlock()
		return ctx.Err()
	}
	p.mu.Unlock()
	// The slot was granted as ctx ended: hand it on.
	p.release(namespace)
	return ctx.Err()
}

// release gives back a slot of namespace and grants free slots to the
// waiting namespaces whose turn it is.
func (p *pool) release(namespace string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free++
	if p.busy[namespace]--; p.busy[namespace] <= 0 {
		delete(p.busy, namespace)
	}
	for p.free > 0 && len(p.turns) > 0 {
		granted := false
		for range len(p.turns) {
			if p.next >= len(p.turns) {
				p.next = 0
			}
			ns := p.turns[p.next]
			if p.busy[ns] >= p.perNamespace {
				p.next++
				continue
			}
			ch := p.waiting[ns][0]
			p.free--
			p.busy[ns]++
			if !p.dropWaiterLocked(ns, 0) {
				p.next++ // ns keeps its place in the ring; the next namespace goes first
			}
			close(ch)
			granted = true
			break
		}
		if !granted {
			return // every waiting namespace is at its limit
		}
	}
}

// dropWaiterLocked removes waiter i of namespace and reports whether the
// namespace left the ring of turns (its last waiter went).
func (p *pool) dropWaiterLocked(namespace string, i int) bool {
	q := slices.Delete(p.waiting[namespace], i, i+1)
	if len(q) > 0 {
		p.waiting[namespace] = q
		return false
	}
	delete(p.waiting, namespace)
	j := slices.Index(p.turns, namespace)
	p.turns = slices.Delete(p.turns, j, j+1)
	if j < p.next {
		p.next--
	}
	return true
}

// stats returns the slots in use and the executions waiting for one.
func (p *pool) stats() (busy, waiting int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.busy {
		busy += n
	}
	for _, q := range p.waiting {
		waiting += len(q)
	}
	return busy, waiting
}
