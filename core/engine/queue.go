package engine

import "time"

// Entry is one task's next fire instant in a Queue.
type Entry struct {
	// TaskID is the task's ID.
	TaskID string
	// At is the instant, in UTC.
	At time.Time
}

// Queue is the fire queue of one node: for each task of the partitions the
// node holds, the next instant at which it fires, earliest first. Instants
// that are equal are ordered by task ID, so that the order never depends on
// the order of insertion.
//
// It is an indexed 4-ary min-heap: Upsert and Remove take O(log n), Peek
// O(1), and PopDue O(k log n) for the k entries it returns. The heap array
// holds the instants themselves, 16 bytes an entry, so that the four
// children compared at each step of a sift share one or two cache lines
// and a sift through a million entries takes ten steps; the task IDs live
// in a separate slice of slots, reused through a free list, which a sift
// reads only to break a tie. A million entries cost no per-entry
// allocation and little garbage-collector work. Instants are kept to the
// nanosecond as wall-clock seconds and nanoseconds: their location and
// monotonic reading are dropped, and they come back in UTC.
//
// A Queue is not safe for concurrent use: the engine's loop owns it, and
// other goroutines send it their changes. It holds at most 2^31-1 entries.
// The zero value is an empty queue ready to use.
type Queue struct {
	heap  []item           // entries in heap order
	slots []slot           // task IDs; freed slots are listed in free
	free  []int32          // indexes of unused slots
	index map[string]int32 // task ID -> slot index
}

// item is one entry in heap order.
type item struct {
	sec  int64 // Unix seconds of the instant
	nsec int32 // nanoseconds within the second
	slot int32 // index in Queue.slots
}

// slot is the rest of one entry.
type slot struct {
	id  string
	pos int32 // position in Queue.heap
}

// arity is the number of children of a heap node.
const arity = 4

// NewQueue returns an empty queue with room for size entries before it
// grows.
func NewQueue(size int) *Queue {
	size = max(size, 0)
	return &Queue{
		heap:  make([]item, 0, size),
		slots: make([]slot, 0, size),
		index: make(map[string]int32, size),
	}
}

// Len returns the number of entries.
func (q *Queue) Len() int { return len(q.heap) }

// Upsert sets the task's next instant to at, adding the task if it is not
// in the queue, and reports whether it added it.
func (q *Queue) Upsert(taskID string, at time.Time) bool {
	sec, nsec := at.Unix(), int32(at.Nanosecond())
	if i, ok := q.index[taskID]; ok {
		pos := int(q.slots[i].pos)
		it := &q.heap[pos]
		it.sec, it.nsec = sec, nsec
		q.fix(pos)
		return false
	}
	if q.index == nil {
		q.index = make(map[string]int32)
	}
	var i int32
	if n := len(q.free); n > 0 {
		i = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		i = int32(len(q.slots))
		q.slots = append(q.slots, slot{})
	}
	pos := len(q.heap)
	q.slots[i] = slot{id: taskID, pos: int32(pos)}
	q.heap = append(q.heap, item{sec: sec, nsec: nsec, slot: i})
	q.index[taskID] = i
	q.up(pos)
	return true
}

// Remove takes the task out of the queue and reports whether it was there.
func (q *Queue) Remove(taskID string) bool {
	i, ok := q.index[taskID]
	if !ok {
		return false
	}
	q.removeAt(int(q.slots[i].pos))
	return true
}

// Get returns the task's next instant, and false if the task is not in the
// queue.
func (q *Queue) Get(taskID string) (time.Time, bool) {
	i, ok := q.index[taskID]
	if !ok {
		return time.Time{}, false
	}
	return q.heap[q.slots[i].pos].at(), true
}

// Peek returns the earliest entry without removing it, and false when the
// queue is empty.
func (q *Queue) Peek() (taskID string, at time.Time, ok bool) {
	if len(q.heap) == 0 {
		return "", time.Time{}, false
	}
	it := q.heap[0]
	return q.slots[it.slot].id, it.at(), true
}

// PopDue removes and returns the entries due by until (At not after it),
// earliest first, at most limit of them; a limit of zero or less means no
// limit. It returns nil when none is due.
func (q *Queue) PopDue(until time.Time, limit int) []Entry {
	sec, nsec := until.Unix(), int32(until.Nanosecond())
	var out []Entry
	for len(q.heap) > 0 && (limit <= 0 || len(out) < limit) {
		it := q.heap[0]
		if it.sec > sec || (it.sec == sec && it.nsec > nsec) {
			break
		}
		out = append(out, Entry{TaskID: q.slots[it.slot].id, At: it.at()})
		q.removeAt(0)
	}
	return out
}

func (it item) at() time.Time { return time.Unix(it.sec, int64(it.nsec)).UTC() }

// less orders entries by instant, then by task ID.
func (q *Queue) less(x, y *item) bool {
	if x.sec != y.sec {
		return x.sec < y.sec
	}
	if x.nsec != y.nsec {
		return x.nsec < y.nsec
	}
	return q.slots[x.slot].id < q.slots[y.slot].id
}

// up moves the entry at pos towards the root until its parent is not
// later, and reports whether it moved. It shifts the entries it passes
// down one level and writes the moving entry once, at its new place.
func (q *Queue) up(pos int) bool {
	moving, start := q.heap[pos], pos
	for pos > 0 {
		parent := (pos - 1) / arity
		if !q.less(&moving, &q.heap[parent]) {
			break
		}
		q.place(pos, q.heap[parent])
		pos = parent
	}
	if pos == start {
		return false
	}
	q.place(pos, moving)
	return true
}

// down moves the entry at pos towards the leaves until no child is
// earlier, shifting the children it passes up one level.
func (q *Queue) down(pos int) {
	moving, n := q.heap[pos], len(q.heap)
	for {
		first := arity*pos + 1
		if first >= n {
			break
		}
		best := first
		for c := first + 1; c < min(first+arity, n); c++ {
			if q.less(&q.heap[c], &q.heap[best]) {
				best = c
			}
		}
		if !q.less(&q.heap[best], &moving) {
			break
		}
		q.place(pos, q.heap[best])
		pos = best
	}
	q.place(pos, moving)
}

// place puts it at heap position pos and records the position in its slot.
func (q *Queue) place(pos int, it item) {
	q.heap[pos] = it
	q.slots[it.slot].pos = int32(pos)
}

// fix restores the heap order after the entry at pos changed.
func (q *Queue) fix(pos int) {
	if !q.up(pos) {
		q.down(pos)
	}
}

// removeAt deletes the entry at heap position pos and frees its slot.
func (q *Queue) removeAt(pos int) {
	i := q.heap[pos].slot
	last := len(q.heap) - 1
	if pos != last {
		q.place(pos, q.heap[last])
	}
	q.heap = q.heap[:last]
	if pos != last {
		q.fix(pos)
	}
	delete(q.index, q.slots[i].id)
	q.slots[i] = slot{} // drop the ID string for the garbage collector
	q.free = append(q.free, i)
}
