package cluster

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// report gathers what happened to the leases since it was last logged, so
// that a tick logs a line per kind of event rather than a line per
// partition. The Leaser's mu guards it.
type report struct {
	acquired  []int
	handedOff []int
	expired   []int // lapsed without a successful extension
	taken     []int // extension refused: the key is gone or another's
	// Errors talking to Redis or the store, counted, with the last one.
	acquireErrs, extendErrs int
	lastErr                 error
}

func (r *report) empty() bool {
	return len(r.acquired)+len(r.handedOff)+len(r.expired)+len(r.taken)+r.acquireErrs+r.extendErrs == 0
}

// takeReport returns the report to log now and starts a new one. Errors
// are logged at most once per errLogEvery TTLs: until then they stay
// counted in the new report. The caller holds the Leaser's mu.
func (l *Leaser) takeReport(now time.Time) report {
	r := l.rep
	l.rep = report{}
	if r.acquireErrs+r.extendErrs > 0 {
		if errsDue(l.lastErrLog, now, l.cfg.TTL) {
			l.lastErrLog = now
		} else {
			l.rep.acquireErrs, l.rep.extendErrs, l.rep.lastErr = r.acquireErrs, r.extendErrs, r.lastErr
			r.acquireErrs, r.extendErrs, r.lastErr = 0, 0, nil
		}
	}
	return r
}

// logReport logs r, one line per kind of event. held is the number of
// leases held after them.
func (l *Leaser) logReport(r report, held int) {
	if len(r.acquired) > 0 {
		l.log.Info("acquired partition leases", "partitions", formatPartitions(r.acquired), "count", len(r.acquired), "held", held)
	}
	if len(r.handedOff) > 0 {
		l.log.Info("handing off partitions to their new owners", "partitions", formatPartitions(r.handedOff),
			"count", len(r.handedOff), "grace", l.cfg.HandoffGrace, "held", held)
	}
	if len(r.expired) > 0 {
		l.log.Warn("partition leases lapsed without a successful extension; firing stopped for them",
			"partitions", formatPartitions(r.expired), "count", len(r.expired), "held", held)
	}
	if len(r.taken) > 0 {
		l.log.Warn("partition leases taken away (a Redis quorum no longer holds this node's lock); firing stopped for them",
			"partitions", formatPartitions(r.taken), "count", len(r.taken), "held", held)
	}
	if r.acquireErrs+r.extendErrs > 0 {
		l.log.Warn("partition lease calls to Redis or the store failed; retrying", "acquire_failures", r.acquireErrs,
			"extend_failures", r.extendErrs, "err", r.lastErr)
	}
}

// formatPartitions writes partitions as sorted ranges: "0-3,7,9-10".
func formatPartitions(ps []int) string {
	ps = slices.Clone(ps)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	var b strings.Builder
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ps[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ps[j]))
		}
		i = j + 1
	}
	return b.String()
}

// errLogEvery is how often, at most, lease call failures are logged, in
// TTLs.
const errLogEvery = 1

// errsDue reports whether failures may be logged at now, given when they
// were last logged.
func errsDue(last, now time.Time, ttl time.Duration) bool {
	return last.IsZero() || now.Sub(last) >= errLogEvery*ttl
}
