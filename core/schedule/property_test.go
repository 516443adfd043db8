package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"pgregory.net/rapid"
)

// propertyZones mixes ordinary DST zones with odd ones: a 30-minute shift
// (Lord_Howe), a 45-minute offset (Chatham), negative DST (Dublin), a
// two-hour jump (Troll), midnight transitions (Sao_Paulo before 2019,
// Havana), DST suspended during Ramadan (Casablanca), and zones without DST.
var propertyZones = []string{
	"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham",
	"Europe/Dublin", "Antarctica/Troll", "America/Sao_Paulo", "America/Havana",
	"Africa/Casablanca", "Australia/Sydney", "America/St_Johns", "Asia/Kolkata",
}

// genField draws a valid cron field: a list of "*", values, ranges and steps.
func genField(t *rapid.T, label string, lo, hi int, star float64) string {
	if rapid.Float64Range(0, 1).Draw(t, label+" star") < star {
		return "*"
	}
	n := rapid.IntRange(1, 3).Draw(t, label+" items")
	items := make([]string, n)
	for i := range items {
		a := rapid.IntRange(lo, hi).Draw(t, label+" a")
		b := rapid.IntRange(a, hi).Draw(t, label+" b")
		step := rapid.IntRange(1, hi-lo+1).Draw(t, label+" step")
		switch rapid.IntRange(0, 5).Draw(t, label+" shape") {
		case 0:
			items[i] = strconv.Itoa(a)
		case 1:
			items[i] = fmt.Sprintf("%d-%d", a, b)
		case 2:
			items[i] = fmt.Sprintf("*/%d", step)
		case 3:
			items[i] = fmt.Sprintf("%d-%d/%d", a, b, step)
		case 4:
			items[i] = fmt.Sprintf("%d/%d", a, step)
		default:
			items[i] = "*"
		}
	}
	return strings.Join(items, ",")
}

// genSpec draws a 5- or 6-field cron expression. Hours favour the small
// hours, where DST transitions happen.
func genSpec(t *rapid.T) string {
	fields := []string{
		genField(t, "minute", 0, 59, 0.2),
		genField(t, "hour", 0, rapid.SampledFrom([]int{4, 23}).Draw(t, "hour max"), 0.3),
		genField(t, "day of month", 1, 31, 0.7),
		genField(t, "month", 1, 12, 0.8),
		genField(t, "day of week", 0, 6, 0.7),
	}
	if rapid.Bool().Draw(t, "seconds") {
		fields = append([]string{genField(t, "second", 0, 59, 0.2)}, fields...)
	}
	return strings.Join(fields, " ")
}

func bitSet(bits uint64, v int) bool { return bits&(1<<uint(v)) != 0 }

// specMatches is the test's own reading of a spec's bit sets at civil time c,
// with Vixie cron's rule for combining the day fields.
func specMatches(s *cron.SpecSchedule, c time.Time) bool {
	if !bitSet(s.Second, c.Second()) || !bitSet(s.Minute, c.Minute()) ||
		!bitSet(s.Hour, c.Hour()) || !bitSet(s.Month, int(c.Month())) {
		return false
	}
	dom, dow := bitSet(s.Dom, c.Day()), bitSet(s.Dow, int(c.Weekday()))
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// isGapJump reports whether u is the first instant after a spring-forward
// gap, that is the start of a zone period whose offset exceeds the previous.
func isGapJump(u time.Time, loc *time.Location) bool {
	start, _ := u.In(loc).ZoneBounds()
	if start.IsZero() || !start.Equal(u) {
		return false
	}
	_, before := u.Add(-time.Nanosecond).In(loc).Zone()
	_, after := u.In(loc).Zone()
	return after > before
}

// maxOracleFires bounds the fires the oracle collects in one window.
const maxOracleFires = 200

// TestPropertyNext compares Next with a brute-force oracle that walks real
// instants on a grid (seconds or minutes) across a window, usually one that
// holds a DST transition. The oracle fires at instant u when some civil time
// matching the spec lies in (highest wall clock shown before u, wall clock at
// u]: the wall time itself normally, a whole gap at a spring-forward jump, and
// nothing during the second pass of a repeated hour.
func TestPropertyNext(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tz := rapid.SampledFrom(propertyZones).Draw(t, "tz")
		expr := genSpec(t)
		s, err := Parse(expr, tz)
		if err != nil {
			t.Fatalf("Parse(%q, %q): %v", expr, tz, err)
		}
		if again, err := Parse(s.String(), tz); err != nil || again.String() != s.String() {
			t.Fatalf("String %q does not round-trip: %v", s.String(), err)
		}
		loc := s.Location()

		grid, window := time.Minute, 72*time.Hour
		if s.spec.Second != 1 {
			grid, window = time.Second, 4*time.Hour
		}
		base := time.Unix(rapid.Int64Range(946684800, 2145916800).Draw(t, "base"), 0) // 2000-2038
		start := base
		if _, tr := base.In(loc).ZoneBounds(); !tr.IsZero() {
			switch rapid.IntRange(0, 3).Draw(t, "near transition") {
			case 1, 2: // the window holds the transition
				back := rapid.Int64Range(0, int64(window*3/4/grid)).Draw(t, "before transition")
				start = tr.Add(-time.Duration(back) * grid)
			case 3: // start just after it, often in the second pass of a repeated hour
				fwd := rapid.Int64Range(0, int64(150*time.Minute/grid)).Draw(t, "after transition")
				start = tr.Add(time.Duration(fwd) * grid)
			}
		}
		start = start.Truncate(grid)

		// The oracle: the highest civil time shown at or before start, then
		// the fires of the grid instants in (start, start+window].
		seen := wallOf(start, loc)
		for u := start.Add(-3 * time.Hour); u.Before(start); u = u.Add(grid) {
			if w := wallOf(u, loc); w.After(seen) {
				seen = w
			}
		}
		var want []time.Time
		end := start.Add(window)
		for u := start.Add(grid); !u.After(end); u = u.Add(grid) {
			if len(want) == maxOracleFires {
				end = want[len(want)-1]
				break
			}
			w := wallOf(u, loc)
			for c := seen.Add(grid); !c.After(w); c = c.Add(grid) {
				if specMatches(s.spec, c) {
					want = append(want, u)
					break
				}
			}
			if w.After(seen) {
				seen = w
			}
		}

		var got []time.Time
		prev := start
		for _, u := range s.Preview(start, len(want)+1) {
			if !u.After(prev) {
				t.Fatalf("%q in %s: Preview not strictly increasing: %s then %s", expr, tz, prev, u)
			}
			prev = u
			if !specMatches(s.spec, wallOf(u, loc)) && !isGapJump(u, loc) {
				t.Fatalf("%q in %s: %s neither matches the spec nor is a gap jump", expr, tz, u.Format(time.RFC3339))
			}
			if !u.After(end) {
				got = append(got, u)
			}
		}
		for i := range max(len(got), len(want)) {
			var g, w string
			if i < len(got) {
				g = got[i].Format(time.RFC3339)
			}
			if i < len(want) {
				w = want[i].In(loc).Format(time.RFC3339)
			}
			if g != w {
				t.Fatalf("%q in %s from %s: fire #%d is %q, the oracle says %q", expr, tz, start.In(loc).Format(time.RFC3339), i, g, w)
			}
		}

		// Next from an instant between grid points agrees with the sequence.
		if len(want) > 0 {
			off := time.Duration(rapid.Int64Range(0, int64(grid-1)).Draw(t, "offset"))
			after := want[0].Add(-grid).Add(off)
			if after.Before(start) {
				after = start
			}
			if next := s.Next(after); !next.Equal(want[0]) {
				t.Fatalf("%q in %s: Next(%s) = %s, want %s", expr, tz, after, next, want[0])
			}
		}
	})
}
