package schedule_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/shiyu-coder/kronos/core/schedule"
)

// A daily 02:30 job in New York: on 8 March 2026 the clocks jump from 02:00
// to 03:00, so that day's run happens once, at the jump.
func Example() {
	s, err := schedule.Parse("30 2 * * *", "America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	after := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
	for _, at := range s.Preview(after, 3) {
		fmt.Println(at.Format(time.RFC3339))
	}
	// Output:
	// 2026-03-07T02:30:00-05:00
	// 2026-03-08T03:00:00-04:00
	// 2026-03-09T02:30:00-04:00
}

// In the repeated autumn hour a wall time fires once, at its first
// occurrence.
func ExampleSchedule_Next() {
	s := schedule.MustParse("30 1 * * *", "America/New_York")
	next := s.Next(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	fmt.Println(next.Format(time.RFC3339), next.UTC().Format(time.RFC3339))
	fmt.Println(s.Next(next).Format(time.RFC3339))
	// Output:
	// 2026-11-01T01:30:00-04:00 2026-11-01T05:30:00Z
	// 2026-11-02T01:30:00-05:00
}

// "@every" counts from the Unix epoch, so every node computes the same
// instants whenever it starts.
func ExampleSchedule_Preview_every() {
	s := schedule.MustParse("@every 30s", "")
	for _, at := range s.Preview(time.Date(2026, 1, 1, 12, 0, 7, 0, time.UTC), 3) {
		fmt.Println(at.Format(time.TimeOnly))
	}
	// Output:
	// 12:00:30
	// 12:01:00
	// 12:01:30
}

// Errors are *schedule.Error: Field says which input is at fault and Msg
// says how to fix it.
func ExampleParse_error() {
	_, err := schedule.Parse("*/5 * * *", "")
	var perr *schedule.Error
	if errors.As(err, &perr) {
		fmt.Printf("[%s] %s\n", perr.Field, perr.Msg)
	}
	_, err = schedule.Parse("@daily", "Europe/Berln")
	if errors.As(err, &perr) {
		fmt.Printf("[%s] %s\n", perr.Field, perr.Msg)
	}
	// Output:
	// [schedule] cron: expected 5 or 6 fields, got 4 (try "*/5 * * * *")
	// [timezone] timezone: unknown time zone "Europe/Berln" (use an IANA name such as "Europe/Berlin")
}
