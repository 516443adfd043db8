package clock_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core/clock"
)

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// recv returns the value waiting on c, failing the test if there is none.
func recv(t *testing.T, c <-chan time.Time) time.Time {
	t.Helper()
	select {
	case v := <-c:
		return v
	default:
		t.Fatal("timer channel is empty, want a value")
		return time.Time{}
	}
}

// empty fails the test if a value waits on c.
func empty(t *testing.T, c <-chan time.Time) {
	t.Helper()
	select {
	case v := <-c:
		t.Fatalf("timer channel holds %v, want nothing", v)
	default:
	}
}

func TestFakeAdvanceFiresInOrderOfInstants(t *testing.T) {
	clk := clock.NewFake(start)
	var seen []time.Duration // Now-start seen by each callback, in call order
	record := func() { seen = append(seen, clk.Now().Sub(start)) }
	for _, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second, 5 * time.Second} {
		clk.AfterFunc(d, record)
	}
	ch := clk.NewTimer(1500 * time.Millisecond)

	clk.Advance(4 * time.Second)

	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if len(seen) != len(want) {
		t.Fatalf("callbacks saw %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("callbacks saw %v, want %v", seen, want)
		}
	}
	if got := recv(t, ch.C()); !got.Equal(start.Add(1500 * time.Millisecond)) {
		t.Errorf("channel timer sent %v, want its instant %v", got, start.Add(1500*time.Millisecond))
	}
	if got := clk.Now(); !got.Equal(start.Add(4 * time.Second)) {
		t.Errorf("Now = %v after Advance(4s), want %v", got, start.Add(4*time.Second))
	}
	if got := clk.Pending(); got != 1 {
		t.Errorf("Pending = %d, want 1 (the 5s timer)", got)
	}
	clk.Advance(time.Second)
	if len(seen) != 4 || seen[3] != 5*time.Second {
		t.Errorf("callbacks saw %v, want the 5s timer last", seen)
	}
}

func TestFakeTiesFireInArmingOrder(t *testing.T) {
	clk := clock.NewFake(start)
	var order []int
	for i := range 5 {
		clk.AfterFunc(time.Second, func() { order = append(order, i) })
	}
	// Re-arming moves a timer behind the others armed for the same instant.
	first := clk.AfterFunc(time.Second, func() { order = append(order, 99) })
	first.Reset(time.Second)
	clk.Advance(time.Second)
	want := []int{0, 1, 2, 3, 4, 99}
	for i := range want {
		if i >= len(order) || order[i] != want[i] {
			t.Fatalf("fired %v, want %v", order, want)
		}
	}
}

func TestFakeCallbackArmsTimerInSameMove(t *testing.T) {
	clk := clock.NewFake(start)
	var seen []time.Time
	var tick func()
	tick = func() {
		seen = append(seen, clk.Now())
		clk.AfterFunc(time.Second, tick)
	}
	clk.AfterFunc(time.Second, tick)
	clk.Advance(3500 * time.Millisecond)
	if len(seen) != 3 {
		t.Fatalf("ticks at %v, want 3 (1s, 2s, 3s)", seen)
	}
	for i, s := range seen {
		if want := start.Add(time.Duration(i+1) * time.Second); !s.Equal(want) {
			t.Errorf("tick %d at %v, want %v", i, s, want)
		}
	}
}

func TestFakeStopAndReset(t *testing.T) {
	tests := []struct {
		name string
		// run drives a timer armed for 1s from start and returns what the
		// last Stop or Reset reported.
		run  func(clk *clock.Fake, tm clock.Timer) bool
		want bool
		// fireAt is the instant the timer fires at afterwards; zero if never.
		fireAt time.Duration
	}{
		{
			name: "stop while armed reports true and never fires",
			run:  func(_ *clock.Fake, tm clock.Timer) bool { return tm.Stop() },
			want: true,
		},
		{
			name: "stop twice reports false the second time",
			run: func(_ *clock.Fake, tm clock.Timer) bool {
				tm.Stop()
				return tm.Stop()
			},
			want: false,
		},
		{
			name: "stop after an unreceived fire reports true and discards the value",
			run: func(clk *clock.Fake, tm clock.Timer) bool {
				clk.Advance(time.Second)
				return tm.Stop()
			},
			want: true,
		},
		{
			name: "stop after a received fire reports false",
			run: func(clk *clock.Fake, tm clock.Timer) bool {
				clk.Advance(time.Second)
				<-tm.C()
				return tm.Stop()
			},
			want: false,
		},
		{
			name: "reset while armed moves the instant",
			run: func(clk *clock.Fake, tm clock.Timer) bool {
				clk.Advance(500 * time.Millisecond)
				return tm.Reset(2 * time.Second)
			},
			want:   true,
			fireAt: 2500 * time.Millisecond,
		},
		{
			name: "reset after an unreceived fire discards the stale value",
			run: func(clk *clock.Fake, tm clock.Timer) bool {
				clk.Advance(time.Second)
				return tm.Reset(time.Second)
			},
			want:   true,
			fireAt: 2 * time.Second,
		},
		{
			name: "reset after a received fire reports false and fires again",
			run: func(clk *clock.Fake, tm clock.Timer) bool {
				clk.Advance(time.Second)
				<-tm.C()
				return tm.Reset(3 * time.Second)
			},
			want:   false,
			fireAt: 4 * time.Second,
		},
		{
			name: "reset after stop reports false and re-arms",
			run: func(_ *clock.Fake, tm clock.Timer) bool {
				tm.Stop()
				return tm.Reset(time.Second)
			},
			want:   false,
			fireAt: time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(start)
			tm := clk.NewTimer(time.Second)
			if got := tt.run(clk, tm); got != tt.want {
				t.Fatalf("reported %v, want %v", got, tt.want)
			}
			empty(t, tm.C())
			if tt.fireAt == 0 {
				clk.Advance(time.Hour)
				empty(t, tm.C())
				return
			}
			clk.Set(start.Add(tt.fireAt - time.Nanosecond))
			empty(t, tm.C())
			clk.Advance(time.Nanosecond)
			if got := recv(t, tm.C()); !got.Equal(start.Add(tt.fireAt)) {
				t.Fatalf("fired at %v, want %v", got, start.Add(tt.fireAt))
			}
		})
	}
}

func TestFakeAfterFuncStop(t *testing.T) {
	clk := clock.NewFake(start)
	calls := 0
	tm := clk.AfterFunc(time.Second, func() { calls++ })
	if tm.C() != nil {
		t.Error("AfterFunc timer has a channel, want nil")
	}
	if !tm.Stop() {
		t.Error("Stop of an armed AfterFunc timer reported false")
	}
	clk.Advance(time.Hour)
	if calls != 0 {
		t.Fatalf("stopped callback ran %d times", calls)
	}
	tm.Reset(time.Second)
	clk.Advance(time.Second)
	if calls != 1 {
		t.Fatalf("reset callback ran %d times, want 1", calls)
	}
	if tm.Stop() {
		t.Error("Stop after the callback ran reported true")
	}
}

func TestFakeNonPositiveDurationFiresAtOnce(t *testing.T) {
	clk := clock.NewFake(start)
	for _, d := range []time.Duration{0, -time.Second} {
		tm := clk.NewTimer(d)
		if got := recv(t, tm.C()); !got.Equal(start) {
			t.Errorf("NewTimer(%v) sent %v, want Now %v", d, got, start)
		}
		done := make(chan struct{})
		clk.AfterFunc(d, func() { close(done) })
		<-done // runs in its own goroutine, without any move
	}
	if got := clk.Pending(); got != 0 {
		t.Errorf("Pending = %d, want 0", got)
	}
}

func TestFakeSet(t *testing.T) {
	clk := clock.NewFake(start)
	tm := clk.NewTimer(time.Minute)

	clk.Set(start.Add(-time.Hour)) // a step back fires nothing ...
	if got := clk.Now(); !got.Equal(start.Add(-time.Hour)) {
		t.Fatalf("Now = %v after Set, want %v", got, start.Add(-time.Hour))
	}
	clk.Advance(time.Hour)
	empty(t, tm.C()) // ... and the timer keeps its instant.

	clk.Set(start.Add(2 * time.Minute))
	if got := recv(t, tm.C()); !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("timer sent %v, want its instant %v", got, start.Add(time.Minute))
	}
	if got := clk.Now(); !got.Equal(start.Add(2 * time.Minute)) {
		t.Fatalf("Now = %v, want %v", got, start.Add(2*time.Minute))
	}
}

func TestFakeAdvanceToNext(t *testing.T) {
	clk := clock.NewFake(start)
	if at, ok := clk.AdvanceToNext(); ok || !at.Equal(start) {
		t.Fatalf("AdvanceToNext with no timer = %v, %v; want %v, false", at, ok, start)
	}
	a := clk.NewTimer(2 * time.Second)
	b := clk.NewTimer(2 * time.Second)
	c := clk.NewTimer(3 * time.Second)
	at, ok := clk.AdvanceToNext()
	if !ok || !at.Equal(start.Add(2*time.Second)) {
		t.Fatalf("AdvanceToNext = %v, %v; want %v, true", at, ok, start.Add(2*time.Second))
	}
	recv(t, a.C())
	recv(t, b.C())
	empty(t, c.C())
	clk.AdvanceToNext()
	recv(t, c.C())
}

func TestFakeZeroValue(t *testing.T) {
	var clk clock.Fake
	tm := clk.NewTimer(time.Second)
	clk.Advance(time.Second)
	if got := recv(t, tm.C()); !got.Equal(time.Time{}.Add(time.Second)) {
		t.Fatalf("zero Fake timer sent %v", got)
	}
}

func TestFakeWaitForTimers(t *testing.T) {
	clk := clock.NewFake(start)
	ctx := t.Context()

	// A sleeper arms its timer later, from another goroutine.
	woke := make(chan time.Time)
	go func() {
		tm := clk.NewTimer(time.Minute)
		woke <- <-tm.C()
	}()
	if err := clk.WaitForTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if got := <-woke; !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("sleeper woke at %v, want %v", got, start.Add(time.Minute))
	}

	// Nobody arms a second timer: the wait ends with ctx.
	short, cancel := context.WithCancel(ctx)
	cancel()
	err := clk.WaitForTimers(short, 1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitForTimers with a canceled ctx = %v, want context.Canceled", err)
	}
}

// TestFakeDrivesALoop runs a scheduler-shaped loop that sleeps on one timer
// until each of its instants; the test wakes it step by step and checks that
// it sees every instant exactly.
func TestFakeDrivesALoop(t *testing.T) {
	clk := clock.NewFake(start)
	ctx := t.Context()
	instants := make([]time.Time, 50)
	for i := range instants {
		instants[i] = start.Add(time.Duration(i*i+1) * time.Millisecond)
	}
	seen := make(chan time.Time, len(instants))
	go func() {
		tm := clk.NewTimer(instants[0].Sub(clk.Now()))
		for i := range instants {
			<-tm.C()
			seen <- clk.Now()
			if i+1 < len(instants) {
				tm.Reset(instants[i+1].Sub(clk.Now()))
			}
		}
	}()
	for i, want := range instants {
		if err := clk.WaitForTimers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clk.AdvanceToNext()
		if got := <-seen; !got.Equal(want) {
			t.Fatalf("wake %d saw %v, want %v", i, got, want)
		}
	}
}

// TestFakeConcurrentUse hammers one fake from many goroutines; the race
// detector checks the locking and every armed timer must fire exactly once.
func TestFakeConcurrentUse(t *testing.T) {
	clk := clock.NewFake(start)
	const workers, perWorker = 8, 200
	var fired sync.WaitGroup
	fired.Add(workers * perWorker)
	var armed sync.WaitGroup
	for w := range workers {
		armed.Go(func() {
			for i := range perWorker {
				d := time.Duration(1+(w*perWorker+i)%97) * time.Millisecond
				if i%2 == 0 {
					clk.AfterFunc(d, fired.Done)
					continue
				}
				tm := clk.NewTimer(time.Hour)
				tm.Stop()
				tm.Reset(d)
				go func() {
					<-tm.C()
					fired.Done()
				}()
				_ = clk.Now()
				_ = clk.Pending()
			}
		})
	}
	done := make(chan struct{})
	go func() {
		armed.Wait()
		close(done)
	}()
	for moving := true; moving; {
		select {
		case <-done:
			moving = false
		default:
			clk.Advance(time.Millisecond)
		}
	}
	clk.Advance(time.Second)
	fired.Wait()
	if got := clk.Pending(); got != 0 {
		t.Fatalf("Pending = %d after all fired, want 0", got)
	}
}

func TestReal(t *testing.T) {
	clk := clock.Real()
	before := time.Now()
	if now := clk.Now(); now.Before(before) {
		t.Fatalf("Real Now %v is before time.Now %v", now, before)
	}
	tm := clk.NewTimer(time.Millisecond)
	if got := <-tm.C(); got.Before(before) {
		t.Fatalf("real timer sent %v, before it was made", got)
	}
	if tm.Stop() {
		t.Error("Stop after a received fire reported true")
	}
	done := make(chan struct{})
	af := clk.AfterFunc(time.Millisecond, func() { close(done) })
	<-done
	if af.C() != nil {
		t.Error("real AfterFunc timer has a channel, want nil")
	}
	long := clk.NewTimer(time.Hour)
	if !long.Stop() {
		t.Error("Stop of an armed real timer reported false")
	}
	if long.Reset(time.Hour) {
		t.Error("Reset of a stopped real timer reported true")
	}
	long.Stop()
}
