package engine_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/shiyu-coder/kronos/core/engine"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus s seconds.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func TestQueue(t *testing.T) {
	type op struct {
		upsert string // task ID to upsert at sec, or
		remove string // task ID to remove
		sec    int
	}
	tests := []struct {
		name  string
		ops   []op
		until int // PopDue(at(until), limit)
		limit int
		want  []engine.Entry
		left  int // Len after PopDue
	}{
		{
			name:  "empty queue pops nothing",
			until: 100,
			want:  nil,
		},
		{
			name:  "entries come out earliest first",
			ops:   []op{{upsert: "c", sec: 3}, {upsert: "a", sec: 1}, {upsert: "b", sec: 2}},
			until: 10,
			want:  []engine.Entry{{"a", at(1)}, {"b", at(2)}, {"c", at(3)}},
		},
		{
			name:  "an entry at until is due, one after it is not",
			ops:   []op{{upsert: "a", sec: 5}, {upsert: "b", sec: 6}},
			until: 5,
			want:  []engine.Entry{{"a", at(5)}},
			left:  1,
		},
		{
			name:  "equal instants come out by task ID whatever the insertion order",
			ops:   []op{{upsert: "z", sec: 1}, {upsert: "m", sec: 1}, {upsert: "a", sec: 1}, {upsert: "b", sec: 0}},
			until: 1,
			want:  []engine.Entry{{"b", at(0)}, {"a", at(1)}, {"m", at(1)}, {"z", at(1)}},
		},
		{
			name:  "limit bounds the batch and keeps the rest",
			ops:   []op{{upsert: "a", sec: 1}, {upsert: "b", sec: 2}, {upsert: "c", sec: 3}},
			until: 10,
			limit: 2,
			want:  []engine.Entry{{"a", at(1)}, {"b", at(2)}},
			left:  1,
		},
		{
			name:  "upsert moves an entry later",
			ops:   []op{{upsert: "a", sec: 1}, {upsert: "b", sec: 2}, {upsert: "a", sec: 3}},
			until: 10,
			want:  []engine.Entry{{"b", at(2)}, {"a", at(3)}},
		},
		{
			name:  "upsert moves an entry earlier",
			ops:   []op{{upsert: "a", sec: 1}, {upsert: "b", sec: 5}, {upsert: "b", sec: 0}},
			until: 0,
			want:  []engine.Entry{{"b", at(0)}},
			left:  1,
		},
		{
			name:  "remove takes an entry out of the middle",
			ops:   []op{{upsert: "a", sec: 1}, {upsert: "b", sec: 2}, {upsert: "c", sec: 3}, {remove: "b"}},
			until: 10,
			want:  []engine.Entry{{"a", at(1)}, {"c", at(3)}},
		},
		{
			name:  "a removed task can come back",
			ops:   []op{{upsert: "a", sec: 1}, {remove: "a"}, {upsert: "a", sec: 2}},
			until: 10,
			want:  []engine.Entry{{"a", at(2)}},
		},
		{
			name:  "nothing due before the earliest entry",
			ops:   []op{{upsert: "a", sec: 10}},
			until: 9,
			want:  nil,
			left:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := engine.NewQueue(0)
			for _, o := range tt.ops {
				if o.remove != "" {
					q.Remove(o.remove)
				} else {
					q.Upsert(o.upsert, at(o.sec))
				}
			}
			got := q.PopDue(at(tt.until), tt.limit)
			if !slices.EqualFunc(got, tt.want, entryEqual) {
				t.Fatalf("PopDue = %v, want %v", got, tt.want)
			}
			if q.Len() != tt.left {
				t.Fatalf("Len after PopDue = %d, want %d", q.Len(), tt.left)
			}
		})
	}
}

func TestQueueReports(t *testing.T) {
	var q engine.Queue // the zero value is ready
	if _, _, ok := q.Peek(); ok {
		t.Fatal("Peek of an empty queue reported an entry")
	}
	if !q.Upsert("a", at(2)) {
		t.Error("Upsert of a new task reported false")
	}
	if q.Upsert("a", at(1)) {
		t.Error("Upsert of a queued task reported true")
	}
	if got, ok := q.Get("a"); !ok || !got.Equal(at(1)) {
		t.Errorf("Get(a) = %v, %v; want %v, true", got, ok, at(1))
	}
	if _, ok := q.Get("b"); ok {
		t.Error("Get of an absent task reported true")
	}
	if id, when, ok := q.Peek(); !ok || id != "a" || !when.Equal(at(1)) {
		t.Errorf("Peek = %q, %v, %v; want a, %v, true", id, when, ok, at(1))
	}
	if q.Remove("b") {
		t.Error("Remove of an absent task reported true")
	}
	if !q.Remove("a") || q.Len() != 0 {
		t.Error("Remove of a queued task did not empty the queue")
	}
}

func TestQueueInstants(t *testing.T) {
	q := engine.NewQueue(4)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	wall := time.Date(2026, 3, 29, 3, 0, 0, 123456789, berlin)
	mono := time.Now() // carries a monotonic reading
	q.Upsert("wall", wall)
	q.Upsert("mono", mono)
	q.Upsert("old", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))
	q.Upsert("far", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC))
	got := q.PopDue(time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), 0)
	want := []string{"old", "wall", "mono", "far"}
	if len(got) != len(want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	for i, e := range got {
		if e.TaskID != want[i] {
			t.Fatalf("popped %v, want order %v", got, want)
		}
		if e.At.Location() != time.UTC {
			t.Errorf("%s came back in %v, want UTC", e.TaskID, e.At.Location())
		}
	}
	if !got[1].At.Equal(wall) || got[1].At.Nanosecond() != 123456789 {
		t.Errorf("wall came back as %v, want %v to the nanosecond", got[1].At, wall)
	}
	if !got[2].At.Equal(mono) {
		t.Errorf("mono came back as %v, want %v", got[2].At, mono)
	}
}

// model is the reference a Queue is checked against: a map of task IDs to
// instants, sorted on demand.
type model map[string]time.Time

func (m model) sorted() []engine.Entry {
	out := make([]engine.Entry, 0, len(m))
	for id, at := range m {
		out = append(out, engine.Entry{TaskID: id, At: at})
	}
	slices.SortFunc(out, func(a, b engine.Entry) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.TaskID, b.TaskID))
	})
	return out
}

func (m model) popDue(until time.Time, limit int) []engine.Entry {
	var out []engine.Entry
	for _, e := range m.sorted() {
		if e.At.After(until) || (limit > 0 && len(out) == limit) {
			break
		}
		out = append(out, e)
		delete(m, e.TaskID)
	}
	return out
}

// check fails t unless q and m hold the same entries in the same order,
// draining a copy of neither: it compares Len, Peek and every Get.
func (m model) check(t interface {
	Helper()
	Fatalf(string, ...any)
}, q *engine.Queue,
) {
	t.Helper()
	if q.Len() != len(m) {
		t.Fatalf("Len = %d, model holds %d", q.Len(), len(m))
	}
	id, when, ok := q.Peek()
	if s := m.sorted(); len(s) == 0 {
		if ok {
			t.Fatalf("Peek = %q, %v on an empty model", id, when)
		}
	} else if !ok || id != s[0].TaskID || !when.Equal(s[0].At) {
		t.Fatalf("Peek = %q, %v, %v; model's earliest is %v", id, when, ok, s[0])
	}
	for id, want := range m {
		if got, ok := q.Get(id); !ok || !got.Equal(want) {
			t.Fatalf("Get(%q) = %v, %v; model has %v", id, got, ok, want)
		}
	}
}

// TestQueueMatchesModel drives a queue and the model with the same random
// operations (rapid shrinks a failure to a short sequence). Few IDs and
// few instants make collisions and ties common.
func TestQueueMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := engine.NewQueue(rapid.IntRange(0, 8).Draw(t, "size"))
		m := model{}
		id := rapid.StringMatching(`[a-h]`)
		instant := rapid.Custom(func(t *rapid.T) time.Time {
			return t0.Add(time.Duration(rapid.IntRange(0, 20).Draw(t, "ms")) * time.Millisecond)
		})
		t.Repeat(map[string]func(*rapid.T){
			"upsert": func(t *rapid.T) {
				k, at := id.Draw(t, "id"), instant.Draw(t, "at")
				_, had := m[k]
				if added := q.Upsert(k, at); added == had {
					t.Fatalf("Upsert(%q) reported added=%v, model had it: %v", k, added, had)
				}
				m[k] = at
			},
			"remove": func(t *rapid.T) {
				k := id.Draw(t, "id")
				_, had := m[k]
				if removed := q.Remove(k); removed != had {
					t.Fatalf("Remove(%q) = %v, model had it: %v", k, removed, had)
				}
				delete(m, k)
			},
			"popDue": func(t *rapid.T) {
				until, limit := instant.Draw(t, "until"), rapid.IntRange(-1, 4).Draw(t, "limit")
				got, want := q.PopDue(until, limit), m.popDue(until, limit)
				if !slices.EqualFunc(got, want, entryEqual) {
					t.Fatalf("PopDue(%v, %d) = %v, model says %v", until, limit, got, want)
				}
			},
			"": func(t *rapid.T) { m.check(t, q) },
		})
	})
}

// TestQueueRandomOps runs 50,000 seeded random operations on a queue that
// grows to thousands of entries, checking against the model as it goes
// and draining both at the end.
func TestQueueRandomOps(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	q, m := engine.NewQueue(0), model{}
	instant := func() time.Time { return t0.Add(time.Duration(r.IntN(5000)) * time.Millisecond) }
	for i := range 50000 {
		k := fmt.Sprintf("task-%d", r.IntN(4000))
		switch n := r.IntN(10); {
		case n < 6:
			at := instant()
			q.Upsert(k, at)
			m[k] = at
		case n < 8:
			q.Remove(k)
			delete(m, k)
		default:
			until, limit := instant(), r.IntN(50)
			if got, want := q.PopDue(until, limit), m.popDue(until, limit); !slices.EqualFunc(got, want, entryEqual) {
				t.Fatalf("op %d: PopDue(%v, %d) = %d entries, model says %d", i, until, limit, len(got), len(want))
			}
		}
		if q.Len() != len(m) {
			t.Fatalf("op %d: Len = %d, model holds %d", i, q.Len(), len(m))
		}
		if i%1000 == 0 {
			m.check(t, q)
		}
	}
	end := t0.Add(time.Hour)
	if got, want := q.PopDue(end, 0), m.popDue(end, 0); !slices.EqualFunc(got, want, entryEqual) {
		t.Fatalf("final drain differs: %d entries, model %d", len(got), len(want))
	}
	if q.Len() != 0 {
		t.Fatalf("Len after the drain = %d", q.Len())
	}
}

func entryEqual(a, b engine.Entry) bool { return a.TaskID == b.TaskID && a.At.Equal(b.At) }
