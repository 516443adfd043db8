package clock

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"
)

// Fake is a Clock that moves only when told to, for tests. Its timers fire
// while a test calls [Fake.Advance], [Fake.AdvanceToNext] or [Fake.Set],
// in order of their instants, each while Now reads its instant.
//
// The zero value stands at the zero time and is ready to use; NewFake
// starts it elsewhere. All methods are safe for concurrent use. Moves of
// the clock run one at a time; an AfterFunc callback runs inside a move, so
// it must not move the clock itself or wait for a goroutine that does.
type Fake struct {
	// move serialises Advance, AdvanceToNext and Set, so that each move
	// starts where the last ended.
	move sync.Mutex

	mu      sync.Mutex
	now     time.Time
	timers  timerHeap
	seq     uint64        // orders timers armed for the same instant
	changed chan struct{} // closed and replaced when a timer is armed
}

// NewFake returns a fake clock that reads start until it is moved.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start}
}

// Now returns the fake's current instant.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires d from the fake's Now. A d of zero or
// less fires at once, sending Now.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1), index: -1}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arm(t, d)
	return t
}

// AfterFunc returns a timer that calls fn d from the fake's Now, in the
// goroutine that moves the clock there. A d of zero or less calls fn at
// once in a goroutine of its own, as [time.AfterFunc] does, so that a
// caller holding a lock that fn takes does not deadlock.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{f: f, fn: fn, index: -1}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arm(t, d)
	return t
}

// Advance moves the clock forward by d, firing the timers due on the way
// in order of their instants. Timers armed by a callback during the move
// fire in the same move if they fall due by its end. A negative d is
// treated as zero.
func (f *Fake) Advance(d time.Duration) {
	f.move.Lock()
	defer f.move.Unlock()
	f.mu.Lock()
	target := f.now
	if d > 0 {
		target = target.Add(d)
	}
	f.mu.Unlock()
	f.advanceTo(target)
}

// AdvanceToNext moves the clock to the instant of the earliest armed timer
// and fires every timer due then. It returns the instant reached, and false
// (without moving) when no timer is armed.
func (f *Fake) AdvanceToNext() (time.Time, bool) {
	f.move.Lock()
	defer f.move.Unlock()
	f.mu.Lock()
	if len(f.timers) == 0 {
		now := f.now
		f.mu.Unlock()
		return now, false
	}
	target := f.timers[0].when
	f.mu.Unlock()
	f.advanceTo(target)
	return target, true
}

// Set moves the clock to t. A t after Now is [Fake.Advance] by the
// difference, firing the timers due on the way. A t before Now steps the
// clock back, as a wall-clock correction would, and fires nothing: armed
// timers keep their instants and fire when the clock reaches them again.
func (f *Fake) Set(t time.Time) {
	f.move.Lock()
	defer f.move.Unlock()
	f.mu.Lock()
	if t.Before(f.now) {
		f.now = t
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	f.advanceTo(t)
}

// Pending returns how many timers are armed: made or reset, and neither
// fired nor stopped since.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitForTimers blocks until at least n timers are armed, which tells a
// test that the code under test has gone to sleep, or until ctx is done.
// It returns ctx's error, wrapped, in the second case.
func (f *Fake) WaitForTimers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		armed := len(f.timers)
		if armed >= n {
			f.mu.Unlock()
			return nil
		}
		changed := f.changedLocked()
		f.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("clock: waiting for %d armed timers (%d armed): %w", n, armed, ctx.Err())
		}
	}
}

// advanceTo fires the timers due by target one at a time, moving Now to
// each one's instant, and leaves Now at target. The caller holds f.move.
func (f *Fake) advanceTo(target time.Time) {
	for {
		f.mu.Lock()
		if len(f.timers) == 0 || f.timers[0].when.After(target) {
			if target.After(f.now) {
				f.now = target
			}
			f.mu.Unlock()
			return
		}
		t := heap.Pop(&f.timers).(*fakeTimer)
		if t.when.After(f.now) {
			f.now = t.when
		}
		fn := t.fn
		if fn == nil {
			t.c <- t.when // cannot block: arm drained the buffer
		}
		f.mu.Unlock()
		if fn != nil {
			fn()
		}
	}
}

// arm schedules t to fire d from now. The caller holds f.mu and has
// disarmed t.
func (f *Fake) arm(t *fakeTimer, d time.Duration) {
	if d <= 0 {
		if t.fn != nil {
			go t.fn()
		} else {
			t.c <- f.now
		}
		return
	}
	f.seq++
	t.when, t.seq = f.now.Add(d), f.seq
	heap.Push(&f.timers, t)
	if f.changed != nil {
		close(f.changed)
		f.changed = nil
	}
}

// changedLocked returns the channel closed when the next timer is armed.
// The caller holds f.mu.
func (f *Fake) changedLocked() chan struct{} {
	if f.changed == nil {
		f.changed = make(chan struct{})
	}
	return f.changed
}

// fakeTimer is a Timer of a Fake. Exactly one of c and fn is set.
type fakeTimer struct {
	f     *Fake
	c     chan time.Time
	fn    func()
	when  time.Time
	seq   uint64
	index int // position in f.timers; -1 when not armed
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.disarm()
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	active := t.disarm()
	t.f.arm(t, d)
	return active
}

// disarm takes t off the heap and empties its channel, and reports whether
// either held something. The caller holds t.f.mu.
func (t *fakeTimer) disarm() bool {
	active := false
	if t.index >= 0 {
		heap.Remove(&t.f.timers, t.index)
		active = true
	}
	if t.c != nil {
		select {
		case <-t.c:
			active = true
		default:
		}
	}
	return active
}

// timerHeap orders armed timers by instant, then by arming order.
type timerHeap []*fakeTimer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if c := h[i].when.Compare(h[j].when); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*fakeTimer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
