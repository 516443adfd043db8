// Package clock makes time a dependency, so that the scheduler can be tested
// fast and exactly, without sleeping.
//
// Code that waits takes a [Clock] instead of calling the time package:
// [Real] in production, a [Fake] in tests. The interface is the least a
// scheduler loop needs: [Clock.Now], [Clock.NewTimer] to sleep until the
// next instant, and [Clock.AfterFunc] for deadlines that call back (retry
// backoff, attempt timeouts). Tickers are left out on purpose: a loop that
// re-arms one timer after each wake-up computes its next wake-up from the
// clock and never accumulates drift or queued ticks.
//
// # Timers
//
// A [Timer] behaves like a [time.Timer] since Go 1.23 on both clocks: its
// channel holds at most one value, and after Stop or Reset returns no value
// prepared before the call is received. Stop and Reset report true when the
// timer was armed, or had fired without its value being received (that
// value is then discarded), exactly as time.Timer does.
//
// # The fake clock
//
// A [Fake] stands still until a test moves it with [Fake.Advance],
// [Fake.AdvanceToNext] or [Fake.Set]. Moving it fires the due timers one by
// one in order of their instants (ties in the order they were armed), and
// the clock reads each timer's instant while that timer fires: a channel
// timer receives its instant, and an AfterFunc callback runs, in the
// goroutine that moves the clock, seeing Now() equal to its instant.
//
// [Fake.WaitForTimers] is the test signal that the code under test has gone
// to sleep: it returns once at least n timers are armed. The usual test is
//
//	clk := clock.NewFake(start)
//	go loop.Run(ctx)                 // the loop arms a timer and waits
//	clk.WaitForTimers(ctx, 1)        // it is asleep now
//	clk.AdvanceToNext()              // wake it exactly at its instant
//
// Every method of a Fake and of its timers is safe for concurrent use.
package clock
