package schedule

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func format(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, v := range ts {
		out[i] = v.Format(time.RFC3339)
	}
	return out
}

// TestNext checks fire sequences, with DST transitions in several zones. All
// instants are written with the offset of the task zone.
//
// America/New_York 2026: clocks spring forward 02:00 EST -> 03:00 EDT on
// 8 March (07:00Z) and fall back 02:00 EDT -> 01:00 EST on 1 November
// (06:00Z). Europe/Berlin 2026: 02:00 CET -> 03:00 CEST on 29 March (01:00Z),
// 03:00 CEST -> 02:00 CET on 25 October (01:00Z). Australia/Lord_Howe moves
// by 30 minutes: 02:00 -> 02:30 on 4 October 2026, 02:00 -> 01:30 on 5 April
// 2026.
func TestNext(t *testing.T) {
	tests := []struct {
		name, expr, tz, after string
		want                  []string
	}{
		{
			name: "dst spring-forward 02:30 fires at 03:00 EDT", expr: "30 2 * * *", tz: "America/New_York",
			after: "2026-03-07T00:00:00-05:00",
			want:  []string{"2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"},
		},
		{
			name: "dst spring-forward every 15 minutes fires once at the jump", expr: "*/15 * * * *", tz: "America/New_York",
			after: "2026-03-08T01:30:00-05:00",
			want:  []string{"2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"},
		},
		{
			name: "dst spring-forward next from the jump instant continues", expr: "*/15 * * * *", tz: "America/New_York",
			after: "2026-03-08T03:00:00-04:00",
			want:  []string{"2026-03-08T03:15:00-04:00"},
		},
		{
			name: "dst spring-forward 6-field seconds collapse into the jump", expr: "*/20 * * * * *", tz: "America/New_York",
			after: "2026-03-08T01:59:30-05:00",
			want:  []string{"2026-03-08T01:59:40-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:00:20-04:00"},
		},
		{
			name: "dst spring-forward hourly skips nothing and doubles nothing", expr: "0 * * * *", tz: "America/New_York",
			after: "2026-03-08T00:30:00-05:00",
			want:  []string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
		},
		{
			name: "dst fall-back 01:30 fires once at the first occurrence", expr: "30 1 * * *", tz: "America/New_York",
			after: "2026-10-31T12:00:00-04:00",
			want:  []string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"},
		},
		{
			name: "dst fall-back next from the second pass skips the repeated hour", expr: "30 1 * * *", tz: "America/New_York",
			after: "2026-11-01T01:10:00-05:00",
			want:  []string{"2026-11-02T01:30:00-05:00"},
		},
		{
			name: "dst fall-back every 30 minutes fires each wall time once", expr: "*/30 * * * *", tz: "America/New_York",
			after: "2026-11-01T00:45:00-04:00",
			want:  []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00"},
		},
		{
			name: "dst fall-back every 30 minutes from inside the second pass", expr: "*/30 * * * *", tz: "America/New_York",
			after: "2026-11-01T01:00:00-05:00",
			want:  []string{"2026-11-01T02:00:00-05:00"},
		},
		{
			name: "dst spring-forward Berlin 02:30 fires at 03:00 CEST", expr: "30 2 * * *", tz: "Europe/Berlin",
			after: "2026-03-28T12:00:00+01:00",
			want:  []string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"},
		},
		{
			name: "dst spring-forward Berlin every 15 minutes", expr: "*/15 * * * *", tz: "Europe/Berlin",
			after: "2026-03-29T01:40:00+01:00",
			want:  []string{"2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00"},
		},
		{
			name: "dst fall-back Berlin 02:30 fires once", expr: "30 2 * * *", tz: "Europe/Berlin",
			after: "2026-10-24T12:00:00+02:00",
			want:  []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
		},
		{
			name: "dst fall-back Berlin every 30 minutes", expr: "*/30 * * * *", tz: "Europe/Berlin",
			after: "2026-10-25T01:45:00+02:00",
			want:  []string{"2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T03:00:00+01:00"},
		},
		{
			name: "dst Lord Howe 30-minute spring-forward", expr: "*/10 * * * *", tz: "Australia/Lord_Howe",
			after: "2026-10-04T01:45:00+10:30",
			want:  []string{"2026-10-04T01:50:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-04T02:40:00+11:00"},
		},
		{
			name: "dst Lord Howe 30-minute fall-back", expr: "*/20 * * * *", tz: "Australia/Lord_Howe",
			after: "2026-04-05T01:10:00+11:00",
			want:  []string{"2026-04-05T01:20:00+11:00", "2026-04-05T01:40:00+11:00", "2026-04-05T02:00:00+10:30"},
		},
		{
			name: "every 1h is unaffected by spring-forward", expr: "@every 1h", tz: "America/New_York",
			after: "2026-03-08T00:30:00-05:00",
			want:  []string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
		},
		{
			name: "every 1h fires in both passes of the repeated hour", expr: "@every 1h", tz: "America/New_York",
			after: "2026-11-01T00:30:00-04:00",
			want:  []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"},
		},
		{
			name: "every 30s is aligned to the epoch", expr: "@every 30s", tz: "UTC",
			after: "2026-05-05T10:00:07.5Z",
			want:  []string{"2026-05-05T10:00:30Z", "2026-05-05T10:01:00Z"},
		},
		{
			name: "every 7m counts from the epoch, not from after", expr: "@every 7m", tz: "UTC",
			after: "1970-01-01T00:00:00Z",
			want:  []string{"1970-01-01T00:07:00Z", "1970-01-01T00:14:00Z"},
		},
		{
			name: "every before the epoch", expr: "@every 1h", tz: "UTC",
			after: "1969-12-31T22:30:00Z",
			want:  []string{"1969-12-31T23:00:00Z", "1970-01-01T00:00:00Z"},
		},
		{
			name: "six fields with seconds", expr: "15,45 30 9 * * *", tz: "Europe/Berlin",
			after: "2026-06-01T09:30:15+02:00",
			want:  []string{"2026-06-01T09:30:45+02:00", "2026-06-02T09:30:15+02:00"},
		},
		{
			name: "next is strictly after a fire instant", expr: "0 12 * * *", tz: "UTC",
			after: "2026-06-01T12:00:00Z",
			want:  []string{"2026-06-02T12:00:00Z"},
		},
		{
			name: "sub-second after rounds up", expr: "* * * * * *", tz: "UTC",
			after: "2026-06-01T12:00:00.000000001Z",
			want:  []string{"2026-06-01T12:00:01Z"},
		},
		{
			name: "after in another zone", expr: "0 9 * * *", tz: "Asia/Tokyo",
			after: "2026-06-01T00:00:00Z", // 09:00 JST
			want:  []string{"2026-06-02T09:00:00+09:00"},
		},
		{
			name: "both day fields restricted means either matches", expr: "0 0 1 * MON", tz: "UTC",
			after: "2026-05-31T00:00:00Z",
			want:  []string{"2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z", "2026-06-15T00:00:00Z"},
		},
		{
			name: "a stepped star day of month counts as unrestricted", expr: "0 0 */2 * MON", tz: "UTC",
			after: "2026-06-01T00:00:00Z", // Mondays on odd days only
			want:  []string{"2026-06-15T00:00:00Z", "2026-06-29T00:00:00Z", "2026-07-13T00:00:00Z"},
		},
		{
			name: "a day of month list with a star item is still restricted", expr: "0 0 1,* * MON", tz: "UTC",
			after: "2026-06-01T00:00:00Z", // every day of month matches, so every day fires
			want:  []string{"2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"},
		},
		{
			name: "leap day skips 2100", expr: "0 0 29 2 *", tz: "UTC",
			after: "2096-03-01T00:00:00Z",
			want:  []string{"2104-02-29T00:00:00Z"},
		},
		{
			name: "descriptor @weekly is Sunday midnight", expr: "@weekly", tz: "Europe/Berlin",
			after: "2026-06-01T00:00:00+02:00",
			want:  []string{"2026-06-07T00:00:00+02:00", "2026-06-14T00:00:00+02:00"},
		},
		{
			name: "at with offset", expr: "@at 2026-12-01T02:00:00Z", tz: "Europe/Berlin",
			after: "2026-11-30T00:00:00Z",
			want:  []string{"2026-12-01T03:00:00+01:00"},
		},
		{
			name: "at without offset is task wall time", expr: "@at 2026-12-01T02:00:00", tz: "Europe/Berlin",
			after: "2026-11-30T00:00:00Z",
			want:  []string{"2026-12-01T02:00:00+01:00"},
		},
		{
			name: "at wall time in the gap fires at the jump", expr: "@at 2026-03-29T02:30:00", tz: "Europe/Berlin",
			after: "2026-01-01T00:00:00Z",
			want:  []string{"2026-03-29T03:00:00+02:00"},
		},
		{
			name: "at wall time in the repeated hour fires at the first", expr: "@at 2026-10-25T02:30:00", tz: "Europe/Berlin",
			after: "2026-01-01T00:00:00Z",
			want:  []string{"2026-10-25T02:30:00+02:00"},
		},
		{
			name: "at in the past never fires", expr: "@at 2026-12-01T02:00:00Z", tz: "UTC",
			after: "2026-12-01T02:00:00Z",
			want:  nil,
		},
		{
			name: "manual never fires", expr: "", tz: "Europe/Berlin",
			after: "2026-01-01T00:00:00Z",
			want:  nil,
		},
		{
			name: "30 February never fires", expr: "0 0 30 2 *", tz: "America/New_York",
			after: "2026-01-01T00:00:00Z",
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := MustParse(tt.expr, tt.tz)
			after := mustTime(t, tt.after)
			got := format(s.Preview(after, len(tt.want)+1))
			if len(tt.want) < len(got) && len(tt.want) > 0 {
				got = got[:len(tt.want)]
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Preview(%s)\n got %q\nwant %q", tt.after, got, tt.want)
			}
			next := s.Next(after)
			if len(tt.want) == 0 {
				if !next.IsZero() {
					t.Errorf("Next(%s) = %s, want the zero time", tt.after, next.Format(time.RFC3339))
				}
				return
			}
			if next.Format(time.RFC3339) != tt.want[0] {
				t.Errorf("Next(%s) = %s, want %s", tt.after, next.Format(time.RFC3339), tt.want[0])
			}
			if next.Location() != s.Location() {
				t.Errorf("Next returned location %q, want %q", next.Location(), s.Location())
			}
		})
	}
}

func TestNextNeverMatchingIsBounded(t *testing.T) {
	for _, expr := range []string{"0 0 30 2 *", "0 0 31 4,6,9,11 *", "59 59 23 31 2 *"} {
		s := MustParse(expr, "America/New_York")
		for _, after := range []time.Time{{}, t0, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)} {
			if got := s.Next(after); !got.IsZero() {
				t.Errorf("%q: Next(%s) = %s, want the zero time", expr, after, got)
			}
		}
	}
}

func TestPreview(t *testing.T) {
	s := MustParse("@every 1s", "")
	if got := len(s.Preview(t0, 5000)); got != MaxPreview {
		t.Errorf("Preview(5000) returned %d instants, want the cap %d", got, MaxPreview)
	}
	if got := s.Preview(t0, 0); got != nil {
		t.Errorf("Preview(0) = %v, want nil", got)
	}
	if got := s.Preview(t0, -1); got != nil {
		t.Errorf("Preview(-1) = %v, want nil", got)
	}
	at := MustParse("@at 2026-12-01T02:00:00Z", "")
	if got := at.Preview(t0, 10); len(got) != 1 {
		t.Errorf("Preview of a one-shot returned %d instants, want 1", len(got))
	}
	if got := MustParse("", "").Preview(t0, 10); len(got) != 0 {
		t.Errorf("Preview of a manual schedule = %v, want none", got)
	}
}

// TestConcurrentUse runs Next from several goroutines on one Schedule; the
// race detector checks that it is safe.
func TestConcurrentUse(t *testing.T) {
	s := MustParse("*/5 * * * *", "Europe/Berlin")
	want := s.Preview(t0, 50)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got := s.Preview(t0, 50)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Error("concurrent Preview differs")
			}
		})
	}
	wg.Wait()
}

func TestExtremeTimes(t *testing.T) {
	far := time.Unix(1<<62, 0)
	for _, expr := range []string{"* * * * * *", "@every 1s", "@every 2562047h", "0 0 29 2 *", "@daily"} {
		s := MustParse(expr, "Europe/Berlin")
		for _, after := range []time.Time{{}, far, time.Unix(-1<<62, 0)} {
			if next := s.Next(after); !next.IsZero() && !next.After(after) {
				t.Errorf("%q: Next(%s) = %s is not after it", expr, after, next)
			}
		}
	}
}
