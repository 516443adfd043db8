package schedule

import (
	"testing"
	"time"
)

// BenchmarkNext measures Next for 5-field cron expressions in a DST zone,
// from an ordinary instant, from the night clocks spring forward, and when
// walking a sequence forward as the scheduler does.
func BenchmarkNext(b *testing.B) {
	s := MustParse("*/5 * * * *", "America/New_York")
	b.Run("ordinary", func(b *testing.B) {
		after := time.Date(2026, 6, 10, 12, 1, 0, 0, time.UTC)
		for b.Loop() {
			s.Next(after)
		}
	})
	b.Run("spring-forward", func(b *testing.B) {
		after := time.Date(2026, 3, 8, 6, 58, 0, 0, time.UTC) // 01:58 EST
		for b.Loop() {
			s.Next(after)
		}
	})
	b.Run("daily-sequence", func(b *testing.B) {
		daily := MustParse("30 2 * * *", "Europe/Berlin")
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		after := start
		for i := 0; b.Loop(); i++ {
			if i%1000 == 0 {
				after = start
			}
			after = daily.Next(after)
		}
	})
}

// BenchmarkParse measures parsing a 5-field cron expression with a zone, as
// a node does for every task at start-up.
func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("*/5 9-17 * * MON-FRI", "Europe/Berlin"); err != nil {
			b.Fatal(err)
		}
	}
}
