package schedule

import (
	"errors"
	"testing"
	"time"
)

// fuzzInstants are the instants FuzzParse evaluates every parsed schedule
// from: the zero time, both 2026 New York transitions, the epoch, ordinary
// dates, and the far future.
var fuzzInstants = []time.Time{
	{},
	time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
	time.Date(2026, 3, 8, 6, 59, 0, 0, time.UTC),
	time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC),
	time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC),
	time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC),
	time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
}

// FuzzParse checks that Parse never panics, that its errors are *Error, and
// that a parsed schedule round-trips through String and evaluates Next and
// Preview without panicking, with strictly increasing results. Run it with
//
//	go test -run='^$' -fuzz=FuzzParse -fuzztime=60s -fuzzminimizetime=50x ./core/schedule/
//
// Bounding minimisation keeps the executions flowing: looking up an unknown
// but plausible zone name costs milliseconds, so minimising such inputs
// otherwise stalls the run for many seconds at a time.
func FuzzParse(f *testing.F) {
	for _, seed := range [][2]string{
		{"", ""},
		{"*/5 * * * *", "UTC"},
		{"30 2 * * *", "America/New_York"},
		{"*/15 * * * *", "Europe/Berlin"},
		{"0,30 1 * * *", "Australia/Lord_Howe"},
		{"*/10 * * * * *", "Europe/Dublin"},
		{"0 0 30 2 *", ""},
		{"0 0 29 2 *", "Pacific/Apia"},
		{"5/15 8-18/2 1-15 */3 MON-FRI", "Asia/Kolkata"},
		{"0 0 ? * sun", ""},
		{"@daily", "Antarctica/Troll"},
		{"@Hourly", ""},
		{"@every 30s", ""},
		{"@every 1h30m", "America/Sao_Paulo"},
		{"@every 500ms", ""},
		{"@at 2026-12-01T02:00:00Z", ""},
		{"@at 2026-03-29T02:30:00", "Europe/Berlin"},
		{"TZ=UTC", ""},
		{"CRON_TZ=Europe/Berlin 0 0 * * *", ""},
		{"1-2-3 */0 ,, * *", ""},
		{"0 0 * * 7", ""},
		{"* * * * *", "Local"},
		{"* * * * *", "Europe/Berln"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, expr, tz string) {
		s, err := Parse(expr, tz)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || (perr.Field != FieldSchedule && perr.Field != FieldTimezone) || perr.Msg == "" {
				t.Fatalf("Parse(%q, %q) error %#v is not a complete *Error", expr, tz, err)
			}
			return
		}
		again, err := Parse(s.String(), tz)
		if err != nil {
			t.Fatalf("String %q of Parse(%q, %q) does not parse: %v", s.String(), expr, tz, err)
		}
		if again.String() != s.String() || again.Kind() != s.Kind() {
			t.Fatalf("String %q does not round-trip: got %q", s.String(), again.String())
		}
		for _, after := range fuzzInstants {
			next := s.Next(after)
			if !next.IsZero() && !next.After(after) {
				t.Fatalf("%q: Next(%s) = %s is not after it", s, after, next)
			}
			if other := again.Next(after); !other.Equal(next) {
				t.Fatalf("%q: Next(%s) differs after a round trip: %s vs %s", s, after, next, other)
			}
			prev := after
			for i, at := range s.Preview(after, 4) {
				if !at.After(prev) {
					t.Fatalf("%q: Preview(%s)[%d] = %s is not after %s", s, after, i, at, prev)
				}
				if i == 0 && !at.Equal(next) {
					t.Fatalf("%q: Preview(%s)[0] = %s, Next = %s", s, after, at, next)
				}
				prev = at
			}
		}
	})
}
