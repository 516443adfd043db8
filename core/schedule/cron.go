package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser only turns validated fields into bit sets; evaluation is ours.
var cronParser = cron.NewParser(
	cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor,
)

// starBit is robfig/cron's marker for an unrestricted day field (bit 63 of
// SpecSchedule.Dom and .Dow). It only affects how day of month and day of
// week combine.
const starBit = 1 << 63

// searchSpans is how many times Next asks robfig/cron for the next civil
// match before giving up. Each ask scans at least five calendar years, so
// the search covers ten years or more: enough for the rarest satisfiable
// spec (29 February, eight years apart across 2100), and fast for specs
// that never match such as "0 0 30 2 *".
const searchSpans = 2

// maxExprLen bounds the length of an expression.
const maxExprLen = 1024

// cronField describes one cron field.
type cronField struct {
	name     string
	min, max int
	names    map[string]int
	hint     string // how to write valid values, for errors
}

var (
	fieldSecond = cronField{name: "second", min: 0, max: 59, hint: "0-59"}
	fieldMinute = cronField{name: "minute", min: 0, max: 59, hint: "0-59"}
	fieldHour   = cronField{name: "hour", min: 0, max: 23, hint: "0-23"}
	fieldDom    = cronField{name: "day of month", min: 1, max: 31, hint: "1-31"}
	fieldMonth  = cronField{name: "month", min: 1, max: 12, hint: "1-12 or JAN-DEC", names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}}
	fieldDow = cronField{name: "day of week", min: 0, max: 6, hint: "0-6 or SUN-SAT, 0 is Sunday", names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	}}
)

// descriptors are the accepted @-shortcuts that map to a cron spec.
var descriptors = map[string]bool{
	"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true,
	"@daily": true, "@midnight": true, "@hourly": true,
}

const descriptorList = "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration> or @at <time>"

// parseCron validates a 5- or 6-field expression and returns its bit sets
// (with Location UTC, so that it runs on civil time) and the normalised
// expression.
func parseCron(expr string) (*cron.SpecSchedule, string, error) {
	upper := strings.ToUpper(expr)
	if strings.HasPrefix(upper, "TZ=") || strings.HasPrefix(upper, "CRON_TZ=") {
		return nil, "", scheduleError(expr, `cron: a "TZ=" or "CRON_TZ=" prefix is not supported (remove it and set the timezone field instead)`)
	}
	fields := strings.Fields(expr)
	switch n := len(fields); {
	case n == 7:
		return nil, "", scheduleError(expr, `cron: expected 5 or 6 fields, got 7 (a year field is not supported; use "minute hour day-of-month month day-of-week", optionally preceded by seconds)`)
	case n < 5 || n > 6:
		hint := `try "*/5 * * * *"`
		if n > 0 && descriptors["@"+strings.ToLower(fields[0])] {
			hint = fmt.Sprintf("did you mean %q?", "@"+strings.ToLower(fields[0]))
		} else if n > 0 && (strings.EqualFold(fields[0], "every") || strings.EqualFold(fields[0], "at")) {
			hint = fmt.Sprintf("did you mean %q?", "@"+expr)
		}
		return nil, "", scheduleError(expr, fmt.Sprintf("cron: expected 5 or 6 fields, got %d (%s)", n, hint))
	}
	layout := []cronField{fieldMinute, fieldHour, fieldDom, fieldMonth, fieldDow}
	if len(fields) == 6 {
		layout = append([]cronField{fieldSecond}, layout...)
	}
	for i, f := range layout {
		if msg := f.validate(fields[i]); msg != "" {
			return nil, "", scheduleError(expr, msg)
		}
	}
	norm := strings.Join(fields, " ")
	parsed, err := cronParser.Parse(norm)
	if err != nil {
		// Our validation should have caught everything robfig refuses.
		return nil, "", scheduleError(expr, "cron: "+err.Error())
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, "", scheduleError(expr, fmt.Sprintf("cron: unsupported schedule %q", norm))
	}
	out := *spec
	out.Location = time.UTC
	// As in Vixie/ISC cron, a day field counts as unrestricted, when day of
	// month and day of week are combined, exactly when its text starts with
	// "*" (or "?"), stepped or not; robfig/cron instead marks any field
	// containing a bare "*" or "?" item.
	n := len(fields)
	out.Dom = withStar(out.Dom, isWildcard(fields[n-3]))
	out.Dow = withStar(out.Dow, isWildcard(fields[n-1]))
	return &out, norm, nil
}

// withStar sets or clears the unrestricted marker of a day field.
func withStar(bits uint64, star bool) uint64 {
	if star {
		return bits | starBit
	}
	return bits &^ starBit
}

// isWildcard reports whether a day field counts as unrestricted.
func isWildcard(field string) bool {
	return strings.HasPrefix(field, "*") || strings.HasPrefix(field, "?")
}

// parseDescriptor returns the spec of a descriptor such as "@daily".
func parseDescriptor(expr, desc string) (*cron.SpecSchedule, error) {
	parsed, err := cronParser.Parse(desc)
	if err != nil {
		return nil, scheduleError(expr, "cron: "+err.Error())
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, scheduleError(expr, fmt.Sprintf("cron: unsupported descriptor %q", desc))
	}
	out := *spec
	out.Location = time.UTC
	return &out, nil
}

// validate checks one field: a comma-separated list of items, each "*",
// "?" (day fields only), a value, or a range "a-b", optionally followed by
// "/step". Values are numbers or, for month and day of week, names. It
// returns the problem as a message, or "" when the field is valid.
func (f cronField) validate(text string) string {
	for item := range strings.SplitSeq(text, ",") {
		if msg := f.validateItem(text, item); msg != "" {
			return msg
		}
	}
	return ""
}

func (f cronField) validateItem(text, item string) string {
	if item == "" {
		return f.problem("%q has an empty list item (separate values with single commas, such as \"1,15\")", text)
	}
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		if strings.Contains(step, "/") {
			return f.syntaxProblem(item)
		}
		n, ok := parseDigits(step)
		span := f.max - f.min + 1
		if !ok || n < 1 {
			return f.problem("step in %q must be a whole number from 1 to %d", item, span)
		}
		if n > span {
			return f.problem("step in %q is larger than the %d values the field has (cron steps restart every %s; use \"@every\" for a fixed interval)", item, span, f.cycle())
		}
	}
	switch base {
	case "*":
		return ""
	case "?":
		if f.name != fieldDom.name && f.name != fieldDow.name {
			return f.problem("%q: \"?\" is only allowed in day of month and day of week (use \"*\")", item)
		}
		return ""
	}
	lo, hi, isRange := strings.Cut(base, "-")
	if lo == "" || isRange && (hi == "" || strings.Contains(hi, "-")) {
		return f.syntaxProblem(item)
	}
	a, msg := f.value(lo)
	if msg != "" || !isRange {
		return msg
	}
	b, msg := f.value(hi)
	if msg != "" {
		return msg
	}
	if a > b {
		return f.problem("range %q runs backwards (write the smaller value first; to wrap around use a list such as \"%s-%d,%d-%s\")",
			base, lo, f.max, f.min, hi)
	}
	return ""
}

// value parses a single number or name and checks its range; the message
// is "" when it is valid.
func (f cronField) value(s string) (int, string) {
	if n, ok := f.names[strings.ToLower(s)]; ok {
		return n, ""
	}
	n, ok := parseDigits(s)
	switch {
	case !ok && isQuartz(s):
		return 0, f.problem("%q uses Quartz syntax (L, W or #), which is not supported (allowed: %s)", s, f.hint)
	case !ok && f.names != nil:
		return 0, f.problem("%q is not a number or a name (allowed: %s)", s, f.hint)
	case !ok:
		return 0, f.problem("%q is not a number (allowed: %s)", s, f.hint)
	case f.name == fieldDow.name && n == 7:
		return 0, f.problem("%q is out of range (allowed: 0-6 or SUN-SAT; write Sunday as 0 or SUN)", s)
	case n < f.min || n > f.max:
		return 0, f.problem("%q is out of range (allowed: %s)", s, f.hint)
	}
	return n, ""
}

// isQuartz reports whether s looks like Quartz's L, W or # extensions.
func isQuartz(s string) bool {
	u := strings.ToUpper(s)
	if u == "" {
		return false
	}
	if strings.Contains(u, "#") || u == "L" || u == "LW" {
		return true
	}
	last := u[len(u)-1]
	_, digits := parseDigits(u[:len(u)-1])
	return (last == 'L' || last == 'W') && digits
}

// problem formats a message about this field, such as
// `cron: hour "24" is out of range (allowed: 0-23)`.
func (f cronField) problem(format string, args ...any) string {
	return "cron: " + f.name + " " + fmt.Sprintf(format, args...)
}

func (f cronField) syntaxProblem(item string) string {
	return f.problem(`%q is not a value, range or step (examples: "5", "1-5", "*/15", "1-30/5")`, item)
}

// cycle names the period after which a step restarts.
func (f cronField) cycle() string {
	switch f.name {
	case fieldSecond.name:
		return "minute"
	case fieldMinute.name:
		return "hour"
	case fieldHour.name:
		return "day"
	case fieldDom.name:
		return "month"
	case fieldMonth.name:
		return "year"
	default:
		return "week"
	}
}

// parseDigits parses a string of ASCII digits (no sign). Numbers too large
// for any field come back as a large value so that callers report them as
// out of range.
func parseDigits(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 1 << 30, true
	}
	return n, true
}
