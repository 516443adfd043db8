package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// auditEvent returns a valid event of namespace at at.
func auditEvent(namespace string, at time.Time) core.AuditEvent {
	return core.AuditEvent{
		At: at, Namespace: namespace, Actor: "token:0190 (ci)", Action: "update-task", Kind: "task",
		Target: "backup", Status: 200,
	}
}

func auditIDs(events []core.AuditEvent) []int64 {
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

func testAuditAppend(ctx context.Context, t *testing.T, s store.Store) {
	clk := setClock(t, s)
	in := core.AuditEvent{
		Namespace: "team-a", Actor: "cert:CN=Zoë", Action: "update-task", Kind: "task", Target: "backup",
		Remote: "192.0.2.1:50412", Status: 200,
		Before: json.RawMessage(`{"paused": false}`),
		After:  json.RawMessage(`{"paused":true,"description":"Team Zahlungsverkehr ✓"}`),
	}
	first := ok(s.AuditAppend(ctx, in))(t)
	if first.ID <= 0 || !first.At.Equal(clk.Now()) {
		t.Fatalf("appended %+v, want an ID and At from the store's clock (%v)", first, clk.Now())
	}
	// A given At is kept, in UTC, to the millisecond.
	at := time.Date(2026, 11, 24, 23, 30, 0, 123456789, time.FixedZone("CET", 3600))
	second := ok(s.AuditAppend(ctx, core.AuditEvent{At: at, Actor: "anonymous", Action: "create-namespace", Kind: "namespace", Target: "team-a", Status: 201}))(t)
	if second.ID <= first.ID || !second.At.Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("second event %+v (first ID %d), want a greater ID and At %v", second, first.ID, at.Truncate(time.Millisecond))
	}
	list := ok(s.AuditList(ctx, store.AuditFilter{}))(t)
	if len(list) != 2 {
		t.Fatalf("listed %d events, want 2", len(list))
	}
	want := first
	gj, _ := json.Marshal(list[1])
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) || !bytes.Equal(list[1].Before, in.Before) || !bytes.Equal(list[1].After, in.After) {
		t.Fatalf("read back\n got  %s\n want %s", gj, wj)
	}
	if got := list[0]; got.ID != second.ID || got.At.Location() != time.UTC || !got.At.Equal(second.At) ||
		got.Namespace != "" || got.Remote != "" || got.Before != nil || got.After != nil {
		t.Fatalf("read back %+v, want %+v with At in UTC and no JSON", got, second)
	}

	// The log outlives the namespace: deleting it leaves its events.
	ok(s.NamespaceCreate(ctx, core.Namespace{Name: "team-a"}))(t)
	ok(s.AuditAppend(ctx, auditEvent("team-a", time.Time{})))(t)
	noErr(t, s.NamespaceDelete(ctx, "team-a"))
	if got := ok(s.AuditList(ctx, store.AuditFilter{Namespaces: []string{"team-a"}}))(t); len(got) != 2 {
		t.Fatalf("after deleting the namespace, %d of its events are left, want 2", len(got))
	}
}

func testAuditInvalid(ctx context.Context, t *testing.T, s store.Store) {
	_, err := s.AuditAppend(ctx, core.AuditEvent{
		Target: strings.Repeat("x", core.MaxAuditTargetBytes+1), Remote: "\xff",
		Before: json.RawMessage(`{"a":`), After: json.RawMessage(`"` + strings.Repeat("x", core.MaxAuditJSONBytes) + `"`),
	})
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a validation error", err)
	}
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	if want := []string{"actor", "action", "kind", "target", "remote", "before", "after"}; !slices.Equal(fields, want) {
		t.Fatalf("fields %v, want %v (%v)", fields, want, err)
	}
	// At the limits, an event is stored.
	e := auditEvent(strings.Repeat("n", core.MaxNameLength), time.Time{})
	e.Actor = strings.Repeat("é", core.MaxAuditActorBytes/2)
	e.Action, e.Kind = strings.Repeat("a", core.MaxAuditActionBytes), strings.Repeat("k", core.MaxAuditKindBytes)
	e.Target, e.Remote = strings.Repeat("ü", core.MaxAuditTargetBytes/2), strings.Repeat("r", core.MaxAuditRemoteBytes)
	e.After = json.RawMessage(`"` + strings.Repeat("x", core.MaxAuditJSONBytes-2) + `"`)
	got := ok(s.AuditAppend(ctx, e))(t)
	list := ok(s.AuditList(ctx, store.AuditFilter{}))(t)
	if len(list) != 1 || list[0].ID != got.ID || list[0].Actor != e.Actor || list[0].Target != e.Target || !bytes.Equal(list[0].After, e.After) {
		t.Fatalf("the event at the limits did not round-trip (%d listed)", len(list))
	}
}

func testAuditListFilters(ctx context.Context, t *testing.T, s store.Store) {
	const alice, bob = "token:0190 (ci)", "cert:CN=bob"
	events := map[string]core.AuditEvent{}
	for _, e := range []struct {
		label, ns, actor, action, kind, target string
		minutes                                int
	}{
		{"e1", "team-a", alice, "create-task", "task", "t1", 0},
		{"e2", "team-b", bob, "update-task", "task", "t1", 1},
		{"e3", "", alice, "create-namespace", "namespace", "team-c", 2},
		{"e4", "team-a", bob, "delete-plugin", "plugin", "p1", 3},
		{"e5", "team-a", alice, "update-task", "task", "t2", 4},
	} {
		events[e.label] = ok(s.AuditAppend(ctx, core.AuditEvent{
			At: t0.Add(time.Duration(e.minutes) * time.Minute), Namespace: e.ns, Actor: e.actor,
			Action: e.action, Kind: e.kind, Target: e.target, Status: 200,
		}))(t)
	}
	labels := func(list []core.AuditEvent) []string {
		out := []string{}
		for _, got := range list {
			for label, e := range events {
				if e.ID == got.ID {
					out = append(out, label)
				}
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"no filter lists all, newest first", store.AuditFilter{}, []string{"e5", "e4", "e3", "e2", "e1"}},
		{"nil namespaces is every namespace", store.AuditFilter{Namespaces: nil}, []string{"e5", "e4", "e3", "e2", "e1"}},
		{"empty namespaces is none", store.AuditFilter{Namespaces: []string{}}, []string{}},
		{"one namespace", store.AuditFilter{Namespaces: []string{"team-a"}}, []string{"e5", "e4", "e1"}},
		{"empty name is cluster-wide", store.AuditFilter{Namespaces: []string{"team-a", ""}}, []string{"e5", "e4", "e3", "e1"}},
		{"unknown namespace", store.AuditFilter{Namespaces: []string{"nowhere"}}, []string{}},
		{"actor", store.AuditFilter{Actor: alice}, []string{"e5", "e3", "e1"}},
		{"actor is exact, not a prefix", store.AuditFilter{Actor: "token:0190"}, []string{}},
		{"actor is case-sensitive", store.AuditFilter{Actor: "CERT:CN=BOB"}, []string{}},
		{"action", store.AuditFilter{Action: "update-task"}, []string{"e5", "e2"}},
		{"kind", store.AuditFilter{Kind: "task"}, []string{"e5", "e2", "e1"}},
		{"target", store.AuditFilter{Target: "t1"}, []string{"e2", "e1"}},
		{"since is inclusive", store.AuditFilter{Since: t0.Add(2 * time.Minute)}, []string{"e5", "e4", "e3"}},
		{"until is exclusive", store.AuditFilter{Until: t0.Add(2 * time.Minute)}, []string{"e2", "e1"}},
		{"since and until", store.AuditFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []string{"e3", "e2"}},
		{"before id", store.AuditFilter{BeforeID: events["e4"].ID}, []string{"e3", "e2", "e1"}},
		{"every filter at once", store.AuditFilter{
			Namespaces: []string{"team-a", "team-b"}, Actor: alice, Action: "update-task", Kind: "task", Target: "t2",
			Since: t0, Until: t0.Add(time.Hour), BeforeID: events["e5"].ID + 1,
		}, []string{"e5"}},
		{"limit", store.AuditFilter{Limit: 2}, []string{"e5", "e4"}},
	} {
		got := labels(ok(s.AuditList(ctx, c.f))(t))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func testAuditListPaging(ctx context.Context, t *testing.T, s store.Store) {
	const n = 1001
	var appended []int64
	for i := range n {
		ns := []string{"team-a", "team-b", ""}[i%3]
		appended = append(appended, ok(s.AuditAppend(ctx, auditEvent(ns, t0.Add(time.Duration(i)*time.Second))))(t).ID)
	}
	for i := 1; i < n; i++ {
		if appended[i] <= appended[i-1] {
			t.Fatalf("event %d got ID %d after %d: IDs do not increase", i, appended[i], appended[i-1])
		}
	}
	slices.Reverse(appended)
	for _, c := range []struct{ limit, want int }{
		{0, store.DefaultAuditLimit},
		{-5, store.DefaultAuditLimit},
		{7, 7},
		{store.MaxPageSize, store.MaxPageSize},
		{5000, store.MaxPageSize},
	} {
		got := auditIDs(ok(s.AuditList(ctx, store.AuditFilter{Limit: c.limit}))(t))
		if !slices.Equal(got, appended[:c.want]) {
			t.Errorf("limit %d: got %d events (first %v), want the %d newest", c.limit, len(got), got[:min(3, len(got))], c.want)
		}
	}
	// Paging by BeforeID walks every event of a namespace once, newest first.
	var paged []int64
	f := store.AuditFilter{Namespaces: []string{"team-b"}, Limit: 150}
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("paging does not end")
		}
		page := ok(s.AuditList(ctx, f))(t)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Namespace != "team-b" {
				t.Fatalf("page holds an event of %q", e.Namespace)
			}
		}
		paged = append(paged, auditIDs(page)...)
		f.BeforeID = page[len(page)-1].ID
	}
	var want []int64
	for i, id := range appended {
		if (n-1-i)%3 == 1 {
			want = append(want, id)
		}
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged %d events, want %d", len(paged), len(want))
	}
}

func testAuditTrim(ctx context.Context, t *testing.T, s store.Store) {
	setClock(t, s)
	var ids []int64
	for h := 5; h >= 0; h-- {
		for i := range 3 { // 3 events per hour, at t0-5h … t0
			e := auditEvent(fmt.Sprintf("ns-%d", i), t0.Add(-time.Duration(h)*time.Hour))
			ids = append(ids, ok(s.AuditAppend(ctx, e))(t).ID)
		}
	}
	_, err := s.AuditTrim(ctx, time.Time{}, 10)
	wantField(t, err, "before")

	// Before t0-2h30m: the events of t0-5h, -4h and -3h, 2 to a batch.
	if n := ok(s.AuditTrim(ctx, t0.Add(-150*time.Minute), 2))(t); n != 9 {
		t.Fatalf("trimmed %d, want 9", n)
	}
	left := auditIDs(ok(s.AuditList(ctx, store.AuditFilter{}))(t))
	slices.Reverse(left)
	if !slices.Equal(left, ids[9:]) {
		t.Fatalf("left %v, want %v", left, ids[9:])
	}
	// At is exclusive: events at exactly t0-2h stay.
	if n := ok(s.AuditTrim(ctx, t0.Add(-2*time.Hour), 0))(t); n != 0 {
		t.Fatalf("trimmed %d at the boundary, want 0", n)
	}
	// A batch that divides the count exactly still ends.
	if n := ok(s.AuditTrim(ctx, t0.Add(time.Millisecond), 3))(t); n != 9 {
		t.Fatalf("trimmed %d, want the other 9", n)
	}
	if left := ok(s.AuditList(ctx, store.AuditFilter{}))(t); len(left) != 0 {
		t.Fatalf("%d events left, want none", len(left))
	}
	// IDs are never reused, even once the table is empty.
	if next := ok(s.AuditAppend(ctx, auditEvent("", time.Time{})))(t); next.ID <= ids[len(ids)-1] {
		t.Fatalf("ID %d after trimming everything, want more than %d", next.ID, ids[len(ids)-1])
	}
}

func testTokenSubject(ctx context.Context, t *testing.T, s store.Store) {
	cert := ok(s.TokenCreate(ctx, core.APIToken{
		Name: "alice-laptop", Display: "CN=alice", Hash: tokenHash(5), Namespace: core.DefaultNamespace,
		Roles: map[string]core.Role{"default": core.RoleAdmin}, Subject: "CN=alice",
	}))(t)
	bearer := ok(s.TokenCreate(ctx, core.APIToken{Name: "ci", Display: "kro_ab12", Hash: tokenHash(6), Namespace: core.DefaultNamespace, Owner: true}))(t)
	if cert.Subject != "CN=alice" || bearer.Subject != "" {
		t.Fatalf("created %+v and %+v", cert, bearer)
	}
	if got := ok(s.TokenGetByHash(ctx, tokenHash(5)))(t); got.ID != cert.ID || got.Subject != "CN=alice" {
		t.Fatalf("by hash: %+v", got)
	}
	got := ok(s.TokenGet(ctx, cert.ID))(t)
	if got.ID != cert.ID || got.Subject != "CN=alice" || got.Name != "alice-laptop" || got.Roles["default"] != core.RoleAdmin ||
		!bytes.Equal(got.Hash, tokenHash(5)) || !got.CreatedAt.Equal(cert.CreatedAt) {
		t.Fatalf("by ID: %+v", got)
	}
	if got := ok(s.TokenGet(ctx, bearer.ID))(t); got.Subject != "" || !got.Owner {
		t.Fatalf("bearer by ID: %+v", got)
	}
	list := ok(s.TokenList(ctx))(t)
	if len(list) != 2 || list[0].Subject != "CN=alice" || list[1].Subject != "" {
		t.Fatalf("list %+v", list)
	}
	revoked := ok(s.TokenRevoke(ctx, cert.ID))(t)
	if revoked.Subject != "CN=alice" || revoked.RevokedAt.IsZero() {
		t.Fatalf("revoked %+v", revoked)
	}
	// TokenGet returns revoked tokens too.
	if got := ok(s.TokenGet(ctx, cert.ID))(t); !got.RevokedAt.Equal(revoked.RevokedAt) {
		t.Fatalf("revoked by ID: %+v", got)
	}
	_, err := s.TokenGet(ctx, "00000000-0000-0000-0000-000000000000")
	wantErr(t, err, store.ErrNotFound)

	for i, subject := range []string{"URI:spiffe://example.org/ci", "DNS:runner.example.com", "EMAIL:ops@example.com", "CN=" + strings.Repeat("ä", (core.MaxTokenSubjectBytes-3)/2)} {
		tok := ok(s.TokenCreate(ctx, core.APIToken{Name: "ok", Hash: tokenHash(byte(10 + i)), Namespace: core.DefaultNamespace, Owner: true, Subject: subject}))(t)
		if got := ok(s.TokenGet(ctx, tok.ID))(t); got.Subject != subject {
			t.Errorf("subject %q read back as %q", subject, got.Subject)
		}
	}
	for i, subject := range []string{"alice", "cn=alice", "CN=", "O=Example", "CN=" + strings.Repeat("a", core.MaxTokenSubjectBytes-2), "CN=\xff"} {
		_, err := s.TokenCreate(ctx, core.APIToken{Name: "bad", Hash: tokenHash(byte(20 + i)), Namespace: core.DefaultNamespace, Owner: true, Subject: subject})
		var ve *core.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "subject" {
			t.Errorf("subject %q: error = %v, want a field error on subject", subject, err)
		}
	}
	if list := ok(s.TokenList(ctx))(t); len(list) != 6 {
		t.Fatalf("%d tokens stored, want 6 (the invalid ones refused)", len(list))
	}
}
