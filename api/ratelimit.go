package api

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit bounds each principal's requests: a token bucket of Burst
// requests refilled at PerSecond. Zero PerSecond turns the limit off.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// Default rate limit of a principal: generous for people and scripts,
// low enough that one runaway client cannot take a node's API for itself.
const (
	DefaultRatePerSecond = 50
	DefaultRateBurst     = 200
)

// limiters holds a token bucket per principal. Buckets are per node: a
// cluster of N nodes lets a principal through N times the rate at most.
type limiters struct {
	perSecond float64
	burst     int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newLimiters(rl RateLimit) *limiters {
	if rl.Burst <= 0 {
		rl.Burst = max(1, int(rl.PerSecond))
	}
	return &limiters{perSecond: rl.PerSecond, burst: rl.Burst, buckets: map[string]*rate.Limiter{}}
}

// maxBuckets bounds the buckets kept; past it they start afresh (full),
// which errs on the side of letting requests through.
const maxBuckets = 100_000

// allow takes one request from p's bucket; when it is empty it returns
// how long until the next request would be let through.
func (l *limiters) allow(p *Principal) (time.Duration, bool) {
	if l.perSecond <= 0 {
		return 0, true
	}
	key := p.Kind + ":" + p.ID
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			clear(l.buckets)
		}
		b = rate.NewLimiter(rate.Limit(l.perSecond), l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	now := time.Now()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}
