package schedule

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
)

// Kind says which syntax a schedule uses.
type Kind string

// The kinds of schedule.
const (
	// KindNone is the empty schedule: the task runs only when triggered by
	// hand and never fires on its own.
	KindNone Kind = "none"
	// KindCron is a 5-field or 6-field (leading seconds) cron expression, or
	// one of the descriptors @yearly, @annually, @monthly, @weekly, @daily,
	// @midnight and @hourly.
	KindCron Kind = "cron"
	// KindEvery is a fixed interval such as "@every 30s", aligned to the Unix
	// epoch.
	KindEvery Kind = "every"
	// KindAt is a one-shot instant such as "@at 2026-12-01T02:00:00Z".
	KindAt Kind = "at"
)

// MaxPreview is the largest number of instants [Schedule.Preview] returns.
const MaxPreview = 1000

// Schedule is a parsed, validated schedule in a time zone. It is immutable
// and safe for concurrent use. A nil *Schedule behaves like a manual
// ([KindNone]) schedule in UTC.
type Schedule struct {
	kind  Kind
	expr  string             // normalised expression
	loc   *time.Location     // task zone, never nil
	spec  *cron.SpecSchedule // KindCron: bit sets, evaluated on civil time
	every int64              // KindEvery: interval in seconds, >= 1
	at    time.Time          // KindAt: the instant, in loc
}

// Parse parses expr in the IANA time zone tz ("" means UTC).
//
// Surrounding whitespace is ignored and an empty expression is a manual
// schedule ([KindNone]). Errors are *[Error]; their Field says whether the
// expression or the time zone is at fault.
func Parse(expr, tz string) (*Schedule, error) {
	loc, err := LoadLocation(tz)
	if err != nil {
		return nil, err
	}
	expr = strings.TrimSpace(expr)
	if len(expr) > maxExprLen {
		return nil, scheduleError(expr, fmt.Sprintf("schedule: expression is %d bytes long, the limit is %d (use ranges and steps instead of long lists)", len(expr), maxExprLen))
	}
	switch {
	case expr == "":
		return &Schedule{kind: KindNone, loc: loc}, nil
	case strings.HasPrefix(expr, "@"):
		return parseShortcut(expr, loc)
	default:
		spec, norm, err := parseCron(expr)
		if err != nil {
			return nil, err
		}
		return &Schedule{kind: KindCron, expr: norm, loc: loc, spec: spec}, nil
	}
}

// MustParse is like [Parse] but panics on error. It is meant for tests,
// examples and package-level variables with constant input.
func MustParse(expr, tz string) *Schedule {
	s, err := Parse(expr, tz)
	if err != nil {
		panic(fmt.Sprintf("schedule.MustParse(%q, %q): %v", expr, tz, err))
	}
	return s
}

// parseShortcut parses expressions starting with "@": descriptors, @every
// and @at.
func parseShortcut(expr string, loc *time.Location) (*Schedule, error) {
	word, rest := expr, ""
	if i := strings.IndexFunc(expr, unicode.IsSpace); i >= 0 {
		word, rest = expr[:i], strings.TrimSpace(expr[i:])
	}
	word = strings.ToLower(word)
	switch {
	case word == "@every":
		d, err := parseEvery(expr, rest)
		if err != nil {
			return nil, err
		}
		return &Schedule{kind: KindEvery, expr: "@every " + formatDuration(d), loc: loc, every: int64(d / time.Second)}, nil
	case word == "@at":
		at, norm, err := parseAt(expr, rest, loc)
		if err != nil {
			return nil, err
		}
		return &Schedule{kind: KindAt, expr: "@at " + norm, loc: loc, at: at}, nil
	case descriptors[word]:
		if rest != "" {
			return nil, scheduleError(expr, fmt.Sprintf("%s: takes no argument, got %q (write just %q)", word, rest, word))
		}
		spec, err := parseDescriptor(expr, word)
		if err != nil {
			return nil, err
		}
		return &Schedule{kind: KindCron, expr: word, loc: loc, spec: spec}, nil
	default:
		return nil, scheduleError(expr, fmt.Sprintf("schedule: unknown descriptor %q (use %s)", word, descriptorList))
	}
}

// parseEvery parses the duration of "@every D".
func parseEvery(expr, arg string) (time.Duration, error) {
	if arg == "" {
		return 0, scheduleError(expr, `@every: missing duration (try "@every 30s")`)
	}
	d, err := time.ParseDuration(arg)
	if err != nil {
		return 0, scheduleError(expr, fmt.Sprintf(`@every: %q is not a duration (use a number and a unit such as "30s", "5m" or "1h30m")`, arg))
	}
	if d < time.Second {
		return 0, scheduleError(expr, fmt.Sprintf("@every: %q is below the minimum of 1s", arg))
	}
	if d%time.Second != 0 {
		return 0, scheduleError(expr, fmt.Sprintf("@every: %q is not a whole number of seconds (try %q)", arg, formatDuration(d.Round(time.Second))))
	}
	return d, nil
}

// wallLayout is the layout of an @at time without offset.
const wallLayout = "2006-01-02T15:04:05"

// parseAt parses the time of "@at T" and returns the instant (in loc) and
// the normalised text.
func parseAt(expr, arg string, loc *time.Location) (time.Time, string, error) {
	if arg == "" {
		return time.Time{}, "", scheduleError(expr, `@at: missing time (try "@at 2026-12-01T02:00:00Z")`)
	}
	var (
		at   time.Time
		norm string
	)
	if t, err := time.Parse(time.RFC3339, arg); err == nil {
		at, norm = t.In(loc), t.Format(time.RFC3339)
	} else if c, err := time.ParseInLocation(wallLayout, arg, time.UTC); err == nil {
		at, norm = instantOf(c, loc), c.Format(wallLayout)
	} else {
		return time.Time{}, "", scheduleError(expr, fmt.Sprintf(`@at: %q is not an RFC 3339 time (use "2026-12-01T02:00:00Z" with an offset, or "2026-12-01T02:00:00" for wall time in the task's time zone)`, arg))
	}
	if at.Nanosecond() != 0 {
		return time.Time{}, "", scheduleError(expr, fmt.Sprintf("@at: %q has fractional seconds (schedules have whole-second precision; drop the fraction)", arg))
	}
	return at, norm, nil
}

// formatDuration writes d (a whole number of seconds) compactly, such as
// "1h30m" or "45s", in a form time.ParseDuration reads back.
func formatDuration(d time.Duration) string {
	var b strings.Builder
	h, m, sec := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// Kind returns the syntax the schedule uses.
func (s *Schedule) Kind() Kind {
	if s == nil {
		return KindNone
	}
	return s.kind
}

// String returns the normalised expression: trimmed, fields separated by
// single spaces, descriptors in lower case, @every durations in compact form
// (for example "@every 1h30m") and @at times in RFC 3339. Parsing it again
// in the same time zone gives an equal schedule. A manual schedule is "".
func (s *Schedule) String() string {
	if s == nil {
		return ""
	}
	return s.expr
}

// Location returns the schedule's time zone. Instants returned by
// [Schedule.Next] and [Schedule.Preview] are in this location.
func (s *Schedule) Location() *time.Location {
	if s == nil {
		return time.UTC
	}
	return s.loc
}

// Next returns the first fire instant strictly after `after`, in the
// schedule's location. It returns the zero time when there is none: for a
// manual schedule, for an @at instant not after `after`, and for a cron
// expression that matches no date within the bounded search (about ten
// years, enough for every satisfiable expression; "0 0 30 2 *" never
// matches).
//
// Successive calls Next(Next(t)) return strictly increasing instants.
func (s *Schedule) Next(after time.Time) time.Time {
	if s == nil {
		return time.Time{}
	}
	switch s.kind {
	case KindCron:
		return s.nextCron(after)
	case KindEvery:
		return s.nextEvery(after)
	case KindAt:
		if s.at.After(after) {
			return s.at
		}
	case KindNone:
	}
	return time.Time{}
}

// Preview returns the next n fire instants after `after`, fewer if the
// schedule ends, in increasing order. n is capped at [MaxPreview]. The result
// is nil when there is no instant or n <= 0.
func (s *Schedule) Preview(after time.Time, n int) []time.Time {
	n = min(n, MaxPreview)
	if n <= 0 {
		return nil
	}
	var out []time.Time
	for range n {
		next := s.Next(after)
		if next.IsZero() {
			break
		}
		out = append(out, next)
		after = next
	}
	return out
}

// nextEvery returns the first multiple of the interval since the Unix
// epoch that is strictly after `after`.
func (s *Schedule) nextEvery(after time.Time) time.Time {
	sec := after.Unix() // floor: Nanosecond() is never negative
	q := sec / s.every
	if sec%s.every < 0 {
		q--
	}
	next := time.Unix((q+1)*s.every, 0)
	if !next.After(after) { // overflow at the ends of time
		return time.Time{}
	}
	return next.In(s.loc)
}

// maxCandidates bounds the civil candidates Next examines. By construction
// the first candidate after civilFloor always maps after `after`; the
// bound only guards against the impossible.
const maxCandidates = 8

// nextCron finds the next civil time matching the spec after the latest
// wall time shown at or before `after`, and maps it to an instant.
func (s *Schedule) nextCron(after time.Time) time.Time {
	c := civilFloor(after, s.loc)
	misses := 0
	for range maxCandidates {
		m := s.spec.Next(c)
		if m.IsZero() {
			misses++
			if misses >= searchSpans {
				return time.Time{}
			}
			// robfig/cron scanned at least to the end of year c+5.
			c = time.Date(c.Year()+5, time.December, 31, 23, 59, 59, 0, time.UTC)
			continue
		}
		if u := instantOf(m, s.loc); u.After(after) {
			return u
		}
		c = m
	}
	return time.Time{}
}
