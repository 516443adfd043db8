// Package schedule parses and evaluates a task's schedule: the instants at
// which the task fires on its own, in the task's time zone.
//
// [Parse] turns an expression and an IANA time zone into a [Schedule], and
// [Schedule.Next] gives the first fire instant strictly after a given
// instant. The scheduler keys each execution on that instant (in UTC), so
// the rules below decide exactly which executions exist.
//
// # Syntax
//
// An expression is one of the following; surrounding whitespace is ignored.
//
//   - "" (empty): manual only ([KindNone]). The task never fires on its own;
//     Next always returns the zero time.
//   - Cron ([KindCron]), 5 fields "minute hour day-of-month month
//     day-of-week", or 6 fields with a leading second field. Each field is
//     a comma-separated list of "*", a value, a range "1-5", or either with a
//     step ("*/15", "1-30/5", and "5/15", which means "5-59/15"). Ranges are
//     minute and second 0-59, hour 0-23, day of month 1-31, month 1-12 or
//     JAN-DEC, day of week 0-6 or SUN-SAT with 0 for Sunday (7 is refused
//     rather than guessed). Names are case-insensitive. "?" may stand for "*"
//     in the two day fields. A step may not exceed the number of values in
//     its field ("*/90" in minutes is refused: cron steps restart every hour,
//     so use @every for a fixed interval). Quartz extensions (L, W, #), a
//     year field and "TZ=" or "CRON_TZ=" prefixes are refused; the time zone
//     is the separate tz argument.
//   - A descriptor ([KindCron]), case-insensitive: @yearly and @annually
//     ("0 0 1 1 *"), @monthly ("0 0 1 * *"), @weekly ("0 0 * * 0"), @daily
//     and @midnight ("0 0 * * *"), @hourly ("0 * * * *").
//   - "@every D" ([KindEvery]), with D in [time.ParseDuration] syntax, at
//     least 1s and a whole number of seconds. It fires at the multiples of
//     D since the Unix epoch (1970-01-01T00:00:00Z), so every node computes
//     the same instants and "@every 30s" fires at :00 and :30 of each
//     minute. The time zone does not affect it and DST changes neither skip
//     nor repeat a fire: "@every 1h" fires once per real hour, so 23 times
//     on the day the clocks spring forward and 25 times when they fall back.
//   - "@at T" ([KindAt]), a one-shot. T is RFC 3339 with an offset
//     ("2026-12-01T02:00:00Z", "2026-12-01T03:00:00+01:00"), or without
//     one ("2026-12-01T02:00:00"), which is wall time in the task's zone
//     and follows the DST rules below. Fractional seconds are refused. Next
//     returns T while T is after its argument and the zero time from then on.
//
// When both day fields are restricted (neither starts with "*" or "?"), a
// day matches if either matches, as in Vixie and ISC cron: "0 0 1,15 * MON"
// fires on the 1st, the 15th and every Monday. When one of them starts with
// "*" or "?" (including a stepped "*/2"), both must match.
//
// [Schedule.String] gives the normalised expression: fields separated by
// single spaces, descriptors in lower case, "@every 1h30m" rather than
// "@every 90m", @at in RFC 3339. Parsing it again gives the same schedule.
//
// # Time zones
//
// The tz argument is an IANA name such as "Europe/Berlin"; "" means UTC.
// "Local" is refused because nodes in a cluster may be set differently.
// The IANA database is embedded (time/tzdata), so zones work on hosts
// without one. Returned instants are in the schedule's [Schedule.Location].
//
// # Daylight saving time
//
// Cron expressions and @at without offset describe wall-clock times. Each
// matching wall time is mapped to a real instant, as ISC cron does:
//
//   - A wall time that exists once fires at that instant.
//   - A wall time in a spring-forward gap (02:30 on the night the clocks
//     jump from 02:00 to 03:00) fires once, at the jump: the first instant
//     after the gap (03:00 at the new offset). Several wall times in one
//     gap collapse into that single fire, together with the wall time the
//     jump lands on: "*/15 * * * *" fires at 01:45, then once at 03:00 for
//     02:00, 02:15, 02:30, 02:45 and 03:00, then at 03:15.
//   - A wall time in a repeated autumn hour fires once, at its first
//     occurrence (the earlier UTC instant). The second pass of that hour
//     fires nothing: "*/30 * * * *" on the night New York falls back from
//     02:00 EDT to 01:00 EST fires at 01:00 EDT, 01:30 EDT and then at
//     02:00 EST, ninety minutes later.
//
// So each wall time fires at most once, and nothing is silently skipped.
// The rule is the same for every expression: unlike ISC cron, jobs that run
// more often than hourly do not run twice through a repeated hour. Use
// @every for a fixed real-time interval.
//
// # Next
//
// Next(after) returns the first fire instant strictly after `after`;
// successive calls return strictly increasing instants, never the same
// instant twice. It returns the zero time when there is none: for a manual
// schedule, for an @at instant already passed, and for a cron expression
// that matches no date, such as "0 0 30 2 *". The search for a cron match is
// bounded to roughly the next ten years, which covers every satisfiable
// expression (29 February recurs within eight years), so Next always
// returns quickly.
//
// Internally, cron fields are matched by robfig/cron's bit sets on a clock
// without gaps or repeats ("civil" time, represented as UTC), and each
// matching civil time c is mapped to the first instant at which the zone's
// wall clock shows c or later. That mapping gives the three rules above and
// is monotone, so the search for Next starts at the latest wall time the
// zone has shown by `after`.
//
// # Errors
//
// Parse errors are *[Error]. Field is "schedule" or "timezone", so that an
// API can place the error on its own field; Msg names the syntax, the field
// and the fix, for example
//
//	cron: expected 5 or 6 fields, got 4 (try "*/5 * * * *")
//	cron: hour "24" is out of range (allowed: 0-23)
//	@every: "500ms" is below the minimum of 1s
//	timezone: unknown time zone "Europe/Berln" (use an IANA name such as "Europe/Berlin")
package schedule
