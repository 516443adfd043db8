package clock

import "time"

// Clock tells the time and sets timers. Implementations are safe for
// concurrent use.
type Clock interface {
	// Now returns the current instant.
	Now() time.Time
	// NewTimer returns a timer that sends the instant it fires at on its
	// channel once, d from Now. A d of zero or less fires at once.
	NewTimer(d time.Duration) Timer
	// AfterFunc returns a timer that calls f once, d from Now. Its C is
	// nil. The real clock calls f in its own goroutine; the fake calls it
	// in the goroutine that moves the clock.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a single event that a Clock fires, like a [time.Timer].
type Timer interface {
	// C returns the channel on which the timer sends the instant it fired
	// at, or nil for a timer made by AfterFunc. The channel never holds
	// a value prepared before the last Stop or Reset.
	C() <-chan time.Time
	// Stop disarms the timer and discards a value it sent but nobody
	// received. It reports whether the timer was armed or had such a
	// value; false means it had already fired and been received, had run
	// its function, or was stopped.
	Stop() bool
	// Reset re-arms the timer to fire d from Now, discarding a value not
	// yet received. It reports what Stop would have.
	Reset(d time.Duration) bool
}

// Real returns the clock of the time package.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer {
	return realTimer{t: time.NewTimer(d)}
}

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{t: time.AfterFunc(d, f)}
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

var (
	_ Clock = realClock{}
	_ Clock = (*Fake)(nil)
	_ Timer = realTimer{}
	_ Timer = (*fakeTimer)(nil)
)
