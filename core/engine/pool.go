package engine

import (
	"slices"
	"sync"
)

// pool runs executions on at most `workers` goroutines at once, at most
// perNamespace of them for one namespace (or the namespace's lower limit,
// its max_concurrent_executions quota, set by setLimit). Executions wait
// in a queue per namespace, and the namespaces with executions waiting
// take turns for each free worker, first come first served within each,
// so that one tenant's flood delays another tenant's execution by at most
// one turn, never by the length of the flood.
//
// Workers are goroutines started on demand: submit starts one while fewer
// than `workers` run, and a worker takes the next execution as soon as it
// finishes one, exiting when none it may take is left. A burst of 10,000
// fires at an aligned second thus costs a few dozen goroutines that loop,
// not 10,000 goroutines handing slots to each other.
type pool[J any] struct {
	run          func(J)
	workers      int
	perNamespace int

	mu      sync.Mutex
	running int            // workers alive
	busy    map[string]int // executions running, per namespace
	limits  map[string]int // limits below perNamespace, per namespace
	queues  map[string][]J // executions waiting, per namespace
	turns   []string       // namespaces with executions waiting, in turn order
	next    int            // whose turn it is
	waiting int            // executions waiting, in all
}

func newPool[J any](workers, perNamespace int, run func(J)) *pool[J] {
	return &pool[J]{
		run: run, workers: workers, perNamespace: min(perNamespace, workers),
		busy: map[string]int{}, queues: map[string][]J{}, limits: map[string]int{},
	}
}

// setLimit caps the executions of namespace running at once at n, when n
// is below perNamespace; n <= 0 restores perNamespace. Executions already
// running go on; a raised limit starts workers for those waiting.
func (p *pool[J]) setLimit(namespace string, n int) {
	p.mu.Lock()
	if n <= 0 || n >= p.perNamespace {
		delete(p.limits, namespace)
	} else {
		p.limits[namespace] = n
	}
	// Start workers for what the limit now lets through; a surplus one
	// finds nothing to take and exits.
	start := max(0, min(p.limitLocked(namespace)-p.busy[namespace], len(p.queues[namespace]), p.workers-p.running))
	p.running += start
	p.mu.Unlock()
	for range start {
		go p.work()
	}
}

// limitLocked returns how many executions of namespace may run at once.
func (p *pool[J]) limitLocked(namespace string) int {
	if n, ok := p.limits[namespace]; ok {
		return n
	}
	return p.perNamespace
}

// submit queues an execution of namespace and starts a worker if the pool
// may run one more.
func (p *pool[J]) submit(namespace string, j J) {
	p.mu.Lock()
	if len(p.queues[namespace]) == 0 {
		p.turns = append(p.turns, namespace)
	}
	p.queues[namespace] = append(p.queues[namespace], j)
	p.waiting++
	start := p.running < p.workers
	if start {
		p.running++
	}
	p.mu.Unlock()
	if start {
		go p.work()
	}
}

// work runs executions until none it may take is left.
func (p *pool[J]) work() {
	done := ""
	finished := false
	for {
		p.mu.Lock()
		if finished {
			if p.busy[done]--; p.busy[done] <= 0 {
				delete(p.busy, done)
			}
		}
		ns, j, ok := p.takeLocked()
		if !ok {
			p.running--
			p.mu.Unlock()
			return
		}
		p.busy[ns]++
		p.mu.Unlock()
		p.run(j)
		done, finished = ns, true
	}
}

// takeLocked takes the next execution of the first namespace, in turn
// order, that is below its limit.
func (p *pool[J]) takeLocked() (string, J, bool) {
	for range len(p.turns) {
		if p.next >= len(p.turns) {
			p.next = 0
		}
		ns := p.turns[p.next]
		if p.busy[ns] >= p.limitLocked(ns) {
			p.next++
			continue
		}
		q := p.queues[ns]
		j := q[0]
		var zero J
		q[0] = zero
		p.waiting--
		if len(q) == 1 {
			delete(p.queues, ns)
			p.turns = slices.Delete(p.turns, p.next, p.next+1)
			// the namespace after it moved into its place: its turn is next
		} else {
			p.queues[ns] = q[1:]
			p.next++ // ns keeps its place; the next namespace goes first
		}
		return ns, j, true
	}
	var zero J
	return "", zero, false
}

// stats returns the executions running and the executions waiting.
func (p *pool[J]) stats() (busy, waiting int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.busy {
		busy += n
	}
	return busy, p.waiting
}
