package schedule

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	// Embed the IANA database so that zones work on hosts without tzdata.
	_ "time/tzdata"
)

// LoadLocation returns the IANA time zone named tz, with "" meaning UTC.
//
// It refuses "Local", because the local zone of each node in a cluster may
// differ and a task must fire at the same instant whichever node owns it.
// Errors are *[Error] with Field "timezone".
func LoadLocation(tz string) (*time.Location, error) {
	tz = strings.TrimSpace(tz)
	switch {
	case tz == "":
		return time.UTC, nil
	case strings.EqualFold(tz, "Local"):
		return nil, &Error{
			Field: FieldTimezone,
			Expr:  tz,
			Msg:   fmt.Sprintf(`timezone: %q depends on each node's settings (use an IANA name such as "Europe/Berlin", or "" for UTC)`, tz),
		}
	}
	if cached, ok := zoneCache.Load(tz); ok {
		if loc, ok := cached.(*time.Location); ok {
			return loc, nil
		}
	}
	var (
		loc *time.Location
		err = errBadZoneName
	)
	if plausibleZoneName(tz) {
		loc, err = time.LoadLocation(tz)
	}
	if err != nil {
		return nil, &Error{
			Field: FieldTimezone,
			Expr:  tz,
			Msg:   fmt.Sprintf(`timezone: unknown time zone %q (use an IANA name such as "Europe/Berlin")`, tz),
		}
	}
	zoneCache.Store(tz, loc)
	return loc, nil
}

// errBadZoneName stands for the error of a name that cannot be a zone.
var errBadZoneName = errors.New("not a zone name")

// plausibleZoneName reports whether tz could name an IANA zone: short, and
// made of letters, digits and "/_+-". Anything else is refused without
// searching the disk and the embedded database for it.
func plausibleZoneName(tz string) bool {
	if len(tz) > 64 {
		return false
	}
	for _, r := range tz {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("/_+-", r):
		default:
			return false
		}
	}
	return true
}

// zoneCache holds the zones loaded so far, by name. time.LoadLocation reads
// and decodes the zone file on every call, which matters when a node parses
// a million tasks at start-up; only valid names are stored, so the cache is
// bounded by the size of the IANA database.
var zoneCache sync.Map // string -> *time.Location

// Civil (wall-clock) times are represented as time.Time values in UTC whose
// fields read as the wall clock: 02:30 local is 02:30 UTC. This lets the
// cron field matcher work on a clock without gaps or repeats; the functions
// below map between such civil times and real instants in a zone.

// zoneSlack bounds the UTC offset of any zone (real ones stay within
// ±15h56m, including historical local mean time), so no instant u with
// u < c-zoneSlack can show wall time c or later.
const zoneSlack = 30 * time.Hour

// maxZoneSteps bounds the zone periods walked in one mapping; a window of
// 2*zoneSlack holds at most a handful of transitions in any real zone.
const maxZoneSteps = 32

// wallOf returns the wall clock of instant u in loc, as a civil time.
func wallOf(u time.Time, loc *time.Location) time.Time {
	_, off := u.In(loc).Zone()
	return u.UTC().Add(time.Duration(off) * time.Second)
}

// civilFloor returns the latest wall clock that loc showed at or before
// instant after: the maximum of wallOf(u) over u <= after. It is the wall
// time of after itself except in the second pass of a repeated (autumn)
// hour, where the clock already showed later times before it was set back.
// Every civil time strictly after civilFloor maps to an instant strictly
// after `after`, and every civil time at or before it maps to an instant at
// or before `after`.
func civilFloor(after time.Time, loc *time.Location) time.Time {
	t := after.In(loc)
	floor := wallOf(t, loc)
	start, _ := t.ZoneBounds()
	limit := after.Add(-2 * zoneSlack)
	for range maxZoneSteps {
		if start.IsZero() || !start.After(limit) {
			break
		}
		prev := start.Add(-time.Nanosecond)
		if w := wallOf(prev, loc); w.After(floor) {
			floor = w
		}
		start, _ = prev.ZoneBounds()
	}
	return floor
}

// instantOf maps civil time c to the first instant at which loc's wall
// clock shows c or later. That is the instant of c when c occurs once; its
// first occurrence when c falls in a repeated hour; and the jump instant
// (the end of the gap) when c falls in a spring-forward gap. The mapping is
// monotone non-decreasing in c.
func instantOf(c time.Time, loc *time.Location) time.Time {
	u := c.Add(-zoneSlack).In(loc)
	for range maxZoneSteps {
		_, off := u.Zone()
		start, end := u.ZoneBounds()
		cand := c.Add(-time.Duration(off) * time.Second)
		if !start.IsZero() && cand.Before(start) {
			cand = start
		}
		if end.IsZero() || cand.Before(end) {
			return cand.In(loc)
		}
		u = end
	}
	// Unreachable for real zones; fall back to the standard library.
	return time.Date(c.Year(), c.Month(), c.Day(), c.Hour(), c.Minute(), c.Second(), c.Nanosecond(), loc)
}
