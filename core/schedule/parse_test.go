package schedule

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, expr, tz string
		kind           Kind
		str            string // String(); "" means same as expr
	}{
		{name: "empty is manual", expr: "", kind: KindNone},
		{name: "whitespace only is manual", expr: " \t\n", kind: KindNone, str: ""},
		{name: "five fields", expr: "*/5 * * * *", kind: KindCron},
		{name: "six fields with leading seconds", expr: "*/10 * * * * *", kind: KindCron},
		{name: "whitespace is trimmed and collapsed", expr: "  0   9 * *\tMON-FRI  ", kind: KindCron, str: "0 9 * * MON-FRI"},
		{name: "month and day names in any case", expr: "0 0 1 jan,Jul sun", kind: KindCron},
		{name: "lists ranges and steps", expr: "0,30 8-18/2 1-15 */3 1-5", kind: KindCron},
		{name: "value with step runs to the field maximum", expr: "5/15 * * * *", kind: KindCron},
		{name: "question mark in day fields", expr: "0 0 ? * MON", kind: KindCron},
		{name: "impossible date parses but never fires", expr: "0 0 30 2 *", kind: KindCron},
		{name: "timezone is loaded", expr: "30 2 * * *", tz: "America/New_York", kind: KindCron},
		{name: "descriptor @daily", expr: "@daily", kind: KindCron},
		{name: "descriptors are case-insensitive", expr: "@Hourly", kind: KindCron, str: "@hourly"},
		{name: "descriptor @annually", expr: " @ANNUALLY ", kind: KindCron, str: "@annually"},
		{name: "descriptor @midnight", expr: "@midnight", kind: KindCron},
		{name: "descriptor @weekly", expr: "@weekly", kind: KindCron},
		{name: "descriptor @monthly", expr: "@monthly", kind: KindCron},
		{name: "descriptor @yearly", expr: "@yearly", kind: KindCron},
		{name: "every 30s", expr: "@every 30s", kind: KindEvery},
		{name: "every is case-insensitive and compacted", expr: "@EVERY   90m", kind: KindEvery, str: "@every 1h30m"},
		{name: "every drops zero units", expr: "@every 1h0m0s", kind: KindEvery, str: "@every 1h"},
		{name: "every keeps hours and seconds", expr: "@every 2h5s", kind: KindEvery},
		{name: "every minimum 1s", expr: "@every 1000ms", kind: KindEvery, str: "@every 1s"},
		{name: "at with Z", expr: "@at 2026-12-01T02:00:00Z", kind: KindAt},
		{name: "at with offset keeps the offset", expr: "@at 2026-12-01T03:00:00+01:00", tz: "Asia/Tokyo", kind: KindAt},
		{name: "at without offset is wall time", expr: "@at 2026-12-01T02:00:00", tz: "Europe/Berlin", kind: KindAt},
		{name: "timezone name is trimmed", expr: "@daily", tz: " Europe/Berlin ", kind: KindCron},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.expr, tt.tz)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tt.expr, tt.tz, err)
			}
			if s.Kind() != tt.kind {
				t.Errorf("Kind() = %q, want %q", s.Kind(), tt.kind)
			}
			want := tt.str
			if want == "" && tt.kind != KindNone {
				want = tt.expr
			}
			if s.String() != want {
				t.Errorf("String() = %q, want %q", s.String(), want)
			}
			wantZone := strings.TrimSpace(tt.tz)
			if wantZone == "" {
				wantZone = "UTC"
			}
			if got := s.Location().String(); got != wantZone {
				t.Errorf("Location() = %q, want %q", got, wantZone)
			}
			again, err := Parse(s.String(), tt.tz)
			if err != nil || again.String() != s.String() {
				t.Errorf("String() does not round-trip: %q -> %v, %v", s.String(), again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, expr, tz string
		field          string
		want           []string // substrings of the message; a lone entry starting with "=" is the exact message
	}{
		{name: "four fields", expr: "*/5 * * *", want: []string{`=cron: expected 5 or 6 fields, got 4 (try "*/5 * * * *")`}},
		{name: "one field", expr: "5", want: []string{"expected 5 or 6 fields, got 1"}},
		{name: "descriptor without @ suggests it", expr: "daily", want: []string{`got 1 (did you mean "@daily"?)`}},
		{name: "every without @ suggests it", expr: "every 5m", want: []string{`did you mean "@every 5m"?`}},
		{name: "seven fields with a year", expr: "0 0 0 1 1 * 2027", want: []string{"got 7", "year field is not supported"}},
		{name: "second out of range", expr: "60 * * * * *", want: []string{"second", `"60"`, "0-59"}},
		{name: "minute out of range", expr: "61 * * * *", want: []string{"minute", `"61"`, "0-59"}},
		{name: "hour out of range", expr: "0 24 * * *", want: []string{"hour", `"24"`, "0-23"}},
		{name: "day of month zero", expr: "0 0 0 * *", want: []string{"day of month", "1-31"}},
		{name: "day of month 32", expr: "0 0 32 * *", want: []string{"day of month", `"32"`, "1-31"}},
		{name: "month 13", expr: "0 0 1 13 *", want: []string{"month", `"13"`, "1-12 or JAN-DEC"}},
		{name: "unknown month name", expr: "0 0 1 FOO *", want: []string{"month", `"FOO"`, "not a number or a name"}},
		{name: "day of week 7 suggests 0", expr: "0 0 * * 7", want: []string{"day of week", `"7"`, "0-6", "write Sunday as 0 or SUN"}},
		{name: "day of week 8", expr: "0 0 * * 8", want: []string{"day of week", "0-6"}},
		{name: "huge number", expr: "99999999999999999999 * * * *", want: []string{"minute", "out of range"}},
		{name: "not a number", expr: "x * * * *", want: []string{"minute", `"x"`, "not a number"}},
		{name: "negative number", expr: "-1 * * * *", want: []string{"minute", `"-1"`, "examples"}},
		{name: "plus sign", expr: "0 +1 * * *", want: []string{"hour", `"+1"`}},
		{name: "backwards range suggests a list", expr: "0 22-2 * * *", want: []string{"hour", "runs backwards", `"22-23,0-2"`}},
		{name: "too many hyphens", expr: "1-2-3 * * * *", want: []string{"minute", `"1-2-3"`}},
		{name: "star with range", expr: "*-5 * * * *", want: []string{"minute", `"*"`}},
		{name: "step zero", expr: "*/0 * * * *", want: []string{"minute", "step", "1 to 60"}},
		{name: "step not a number", expr: "0 */x * * *", want: []string{"hour", "step", "1 to 24"}},
		{name: "two slashes", expr: "*/2/3 * * * *", want: []string{"minute", `"*/2/3"`}},
		{name: "step larger than the field suggests @every", expr: "*/90 * * * *", want: []string{"minute", "step", "restart every hour", "@every"}},
		{name: "empty list item", expr: "1,,2 * * * *", want: []string{"minute", "empty list item"}},
		{name: "question mark outside day fields", expr: "? * * * *", want: []string{"minute", `only allowed in day of month and day of week`}},
		{name: "quartz L", expr: "0 0 L * *", want: []string{"day of month", "Quartz"}},
		{name: "quartz hash", expr: "0 0 * * 5#3", want: []string{"day of week", "Quartz"}},
		{name: "TZ prefix", expr: "TZ=UTC 0 0 * * *", want: []string{`"TZ="`, "timezone field"}},
		{name: "CRON_TZ prefix", expr: "CRON_TZ=Europe/Berlin 0 0 * * *", want: []string{"timezone field"}},
		{name: "TZ prefix without a space", expr: "TZ=UTC", want: []string{"timezone field"}},
		{name: "lower-case tz prefix", expr: "cron_tz=UTC * * * * *", want: []string{"timezone field"}},
		{name: "every below a second", expr: "@every 500ms", want: []string{`=@every: "500ms" is below the minimum of 1s`}},
		{name: "every negative", expr: "@every -5s", want: []string{"below the minimum of 1s"}},
		{name: "every fractional seconds", expr: "@every 1500ms", want: []string{"whole number of seconds", `"2s"`}},
		{name: "every missing duration", expr: "@every", want: []string{"@every: missing duration"}},
		{name: "every not a duration", expr: "@every soon", want: []string{"@every", `"soon"`, "not a duration"}},
		{name: "every with space inside", expr: "@every 1h 30m", want: []string{"@every", `"1h 30m"`}},
		{name: "at missing time", expr: "@at", want: []string{"@at: missing time"}},
		{name: "at not a time", expr: "@at tomorrow", want: []string{"@at", "RFC 3339"}},
		{name: "at date only", expr: "@at 2026-12-01", want: []string{"@at", "RFC 3339"}},
		{name: "at fractional seconds", expr: "@at 2026-12-01T02:00:00.5Z", want: []string{"@at", "fractional seconds"}},
		{name: "at hour 24", expr: "@at 2026-12-01T24:00:00Z", want: []string{"@at", "RFC 3339"}},
		{name: "descriptor with argument", expr: "@daily 5", want: []string{"@daily", "takes no argument"}},
		{name: "unknown descriptor", expr: "@fortnightly", want: []string{`"@fortnightly"`, "@yearly", "@every <duration>", "@at <time>"}},
		{name: "too long", expr: strings.Repeat("1,", 600) + "1 * * * *", want: []string{"limit is 1024"}},
		{name: "unknown time zone", expr: "@daily", tz: "Europe/Berln", field: FieldTimezone, want: []string{`=timezone: unknown time zone "Europe/Berln" (use an IANA name such as "Europe/Berlin")`}},
		{name: "Local time zone is refused", expr: "@daily", tz: "Local", field: FieldTimezone, want: []string{`"Local"`, "each node", "IANA"}},
		{name: "time zone path is refused", expr: "@daily", tz: "../../etc/passwd", field: FieldTimezone, want: []string{"unknown time zone"}},
		{name: "time zone error wins over schedule error", expr: "nonsense", tz: "Mars/Olympus", field: FieldTimezone, want: []string{"Mars/Olympus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.expr, tt.tz)
			if err == nil {
				t.Fatalf("Parse(%q, %q) = %q, want an error", tt.expr, tt.tz, s)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			field := tt.field
			if field == "" {
				field = FieldSchedule
			}
			if perr.Field != field {
				t.Errorf("Field = %q, want %q", perr.Field, field)
			}
			if perr.Error() != perr.Msg {
				t.Errorf("Error() = %q, want Msg %q", perr.Error(), perr.Msg)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if exact, ok := strings.CutPrefix(w, "="); ok {
					if msg != exact {
						t.Errorf("message\n got %s\nwant %s", msg, exact)
					}
					continue
				}
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestLoadLocation(t *testing.T) {
	for _, tz := range []string{"", "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Etc/GMT+5"} {
		loc, err := LoadLocation(tz)
		if err != nil {
			t.Errorf("LoadLocation(%q): %v", tz, err)
			continue
		}
		want := tz
		if want == "" {
			want = "UTC"
		}
		if loc.String() != want {
			t.Errorf("LoadLocation(%q) = %q", tz, loc)
		}
	}
	for _, tz := range []string{"Local", "local", "Nowhere/City", "/etc/localtime"} {
		_, err := LoadLocation(tz)
		var perr *Error
		if !errors.As(err, &perr) || perr.Field != FieldTimezone {
			t.Errorf("LoadLocation(%q) error = %v, want *Error with Field %q", tz, err, FieldTimezone)
		}
	}
}

func TestMustParsePanicsOnError(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic on an invalid expression")
		}
	}()
	MustParse("* * *", "")
}

func TestNilSchedule(t *testing.T) {
	var s *Schedule
	if s.Kind() != KindNone || s.String() != "" || s.Location().String() != "UTC" || !s.Next(t0).IsZero() || s.Preview(t0, 3) != nil {
		t.Error("a nil *Schedule does not behave like a manual schedule in UTC")
	}
}
