package cluster

import "context"

// StepForTest runs one round of Run's loop by hand, at the clock's Now: a
// heartbeat, a look at the members, the lock calls due, and a wait for
// them to end. Tests with a fake clock drive the Leaser with it.
func (l *Leaser) StepForTest(ctx context.Context) {
	_ = l.m.heartbeat(ctx)
	l.refresh(ctx)
	l.step(ctx, l.cfg.Clock.Now())
	l.jobs.Wait()
	l.logNow()
}

// Owners is owners, for the test that it agrees with Owner.
var Owners = owners
