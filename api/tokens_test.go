package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/secrets"
	"github.com/shiyu-coder/kronos/core/store/mysql"
	"github.com/shiyu-coder/kronos/core/store/mysql/mysqltest"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// TestTokenLifecycle creates a token through the API, uses it, lists it
// (never its value), and revokes it: the next request is refused.
func TestTokenLifecycle(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/namespaces", map[string]any{"name": "team-a"}).want(t, http.StatusCreated)
	created := f.do("POST", "/tokens?namespace=team-a", map[string]any{"name": "ci", "role": "editor", "expires_in": "720h"}).want(t, http.StatusCreated)
	if cc := created.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("create-token Cache-Control %q, want no-store", cc)
	}
	body := created.json(t)
	secret, _ := body["token"].(string)
	if !strings.HasPrefix(secret, "kro_") {
		t.Fatalf("token %q does not start with kro_", secret)
	}
	detail := body["detail"].(map[string]any)
	id := detail["id"].(string)
	if detail["namespace"] != "team-a" || detail["roles"].(map[string]any)["team-a"] != "editor" || detail["expires_at"] == nil {
		t.Errorf("created token %v", detail)
	}
	as := func(method, path string, b any) response {
		return f.do(method, path, b, "Authorization", "Bearer "+secret)
	}
	who := as("GET", "/whoami", nil).want(t, http.StatusOK).json(t)
	if who["kind"] != "token" || who["name"] != "ci" || who["namespace"] != "team-a" {
		t.Errorf("whoami %v", who)
	}
	// The token's namespace is the default of its requests.
	as("POST", "/tasks", map[string]any{"name": "job", "schedule": "@hourly", "executor": "http", "config": map[string]any{}}).want(t, http.StatusCreated)
	if _, err := f.st.TaskGetByName(t.Context(), "team-a", "job"); err != nil {
		t.Fatalf("the token's task is not in its namespace: %v", err)
	}
	list := f.do("GET", "/tokens?namespace=team-a", nil).want(t, http.StatusOK)
	if strings.Contains(string(list.body), secret) || strings.Contains(string(list.body), secret[len(secret)-10:]) {
		t.Fatalf("list-tokens shows the token: %s", list.body)
	}
	if !strings.Contains(string(list.body), id) {
		t.Errorf("list-tokens misses %s: %s", id, list.body)
	}
	f.do("DELETE", "/tokens/"+id+"?namespace=team-a", nil).want(t, http.StatusOK)
	r := as("GET", "/tasks", nil).want(t, http.StatusUnauthorized)
	if !strings.Contains(string(r.body), "revoked") {
		t.Errorf("a revoked token's refusal does not say so: %s", r.body)
	}
	// The store keeps its hash only.
	tok, err := f.st.TokenGet(t.Context(), id)
	if err != nil || strings.Contains(string(tok.Hash), secret) || tok.RevokedAt.IsZero() {
		t.Errorf("stored token %+v, %v", tok, err)
	}
}

// TestTokenCreationIsBoundedByTheCreator: an admin grants no more than it
// holds, and bad input names the field.
func TestTokenCreationIsBoundedByTheCreator(t *testing.T) {
	f := newFixture(t)
	for _, ns := range []string{"team-a", "team-b"} {
		f.do("POST", "/namespaces", map[string]any{"name": ns}).want(t, http.StatusCreated)
	}
	admin := storeToken(t, f.st, f.auth.HashKey(), core.APIToken{Name: "a-admin", Namespace: "team-a", Roles: map[string]core.Role{"team-a": core.RoleAdmin}})
	as := func(b any) response {
		return f.do("POST", "/tokens", b, "Authorization", "Bearer "+admin)
	}
	as(map[string]any{"name": "x", "owner": true}).want(t, http.StatusForbidden)
	as(map[string]any{"name": "x", "roles": map[string]string{"team-b": "viewer"}}).want(t, http.StatusForbidden)
	as(map[string]any{"name": "x", "role": "admin"}).want(t, http.StatusCreated)
	for _, c := range []struct {
		body any
		loc  string
	}{
		{map[string]any{"name": "x"}, "body.role"},
		{map[string]any{"name": "x", "role": "viewer", "expires_in": "soon"}, "body.expires_in"},
		{map[string]any{"name": "x", "role": "viewer", "subject": "alice"}, "body.subject"},
		{map[string]any{"name": "Bad Name", "role": "viewer"}, "body.name"},
	} {
		r := as(c.body).want(t, http.StatusUnprocessableEntity)
		if locs := r.locations(t); len(locs) == 0 || locs[0] != c.loc {
			t.Errorf("%v: locations %v, want %s", c.body, locs, c.loc)
		}
	}
	// A certificate binding has no token to show.
	b := as(map[string]any{"name": "alice", "role": "viewer", "subject": "CN=alice"}).want(t, http.StatusCreated).json(t)
	if b["token"] != nil || b["detail"].(map[string]any)["subject"] != "CN=alice" {
		t.Errorf("certificate binding %v", b)
	}
}

// TestAuditLog records changes with who, what, before and after, and
// never a secret's value or a new token.
func TestAuditLog(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/tasks", map[string]any{"name": "job", "schedule": "@hourly", "executor": "http", "config": map[string]any{"url": "a"}}).want(t, http.StatusCreated)
	f.do("PUT", "/tasks/job", map[string]any{"schedule": "@daily", "executor": "http", "config": map[string]any{"url": "b"}}).want(t, http.StatusOK)
	f.do("DELETE", "/tasks/job", nil).want(t, http.StatusNoContent)
	f.do("PUT", "/secrets/pw", map[string]any{"value": "hunter2-very-secret"})
	tok := f.do("POST", "/tokens", map[string]any{"name": "ci", "role": "viewer"}).want(t, http.StatusCreated).json(t)["token"].(string)
	f.do("POST", "/tasks", map[string]any{"name": "bad"}).want(t, http.StatusUnprocessableEntity) // refused: not a change

	all := f.do("GET", "/audit", nil).want(t, http.StatusOK)
	if s := string(all.body); strings.Contains(s, "hunter2") || strings.Contains(s, tok) {
		t.Fatalf("the audit log holds a secret: %s", s)
	}
	events := all.json(t)["events"].([]any)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	want := []string{"create-token", "put-secret", "delete-task", "replace-task", "create-task"}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Fatalf("actions %v, want %v (newest first)", actions, want)
	}
	replace := events[3].(map[string]any)
	if replace["actor"] != "token:"+replace["actor"].(string)[len("token:"):] || !strings.Contains(replace["actor"].(string), "test-owner") {
		t.Errorf("actor %v", replace["actor"])
	}
	before, after := replace["before"].(map[string]any), replace["after"].(map[string]any)
	if before["schedule"] != "@hourly" || after["schedule"] != "@daily" || replace["target"] != "job" || replace["kind"] != "task" {
		t.Errorf("replace-task event %v", replace)
	}
	if replace["remote"] != "127.0.0.1" {
		t.Errorf("remote %v", replace["remote"])
	}
	// Filters.
	got := f.do("GET", "/audit?action=delete-task&target=job", nil).want(t, http.StatusOK).json(t)["events"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["after"] != nil {
		t.Errorf("delete-task events %v", got)
	}
	page := f.do("GET", "/audit?limit=2", nil).want(t, http.StatusOK).json(t)
	next := page["next_before_id"].(float64)
	rest := f.do("GET", "/audit?limit=10&before_id="+strconv.Itoa(int(next)), nil).want(t, http.StatusOK).json(t)["events"].([]any)
	if len(rest) != 3 {
		t.Errorf("second page holds %d events, want 3", len(rest))
	}
}

// newAPIServer serves the API over a fresh store with cfg's other fields.
func newAPIServer(t *testing.T, cfg api.Config) (*fixture, *prometheus.Registry) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	authn, owner := newAuth(t, st)
	cfg.Store, cfg.Scheduler, cfg.Auth = st, idleScheduler{}, authn
	mux := http.NewServeMux()
	api.New(mux, cfg)
	reg := prometheus.NewRegistry()
	mux.Handle("GET /metrics", api.MetricsHandler(authn, reg, discardLogger()))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		_ = st.Close()
	})
	return &fixture{t: t, url: srv.URL + api.Prefix, st: st, auth: authn, token: owner}, reg
}

// TestRateLimit: past its burst a token gets 429 with Retry-After, and
// another token is not slowed by it.
func TestRateLimit(t *testing.T) {
	f, _ := newAPIServer(t, api.Config{RateLimit: api.RateLimit{PerSecond: 0.5, Burst: 3}})
	for range 3 {
		f.do("GET", "/whoami", nil).want(t, http.StatusOK)
	}
	r := f.do("GET", "/whoami", nil).want(t, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	other := storeToken(t, f.st, f.auth.HashKey(), core.APIToken{Name: "other", Namespace: "default", Roles: map[string]core.Role{"default": core.RoleViewer}})
	f.do("GET", "/whoami", nil, "Authorization", "Bearer "+other).want(t, http.StatusOK)
}

// TestMetricsShowOnlyTheCallersNamespaces: a viewer's scrape holds the
// series of its namespaces and those without one; no credentials, none.
func TestMetricsShowOnlyTheCallersNamespaces(t *testing.T) {
	f, reg := newAPIServer(t, api.Config{})
	fires := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kronos_fires_total", Help: "fires"}, []string{"namespace"})
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kronos_up", Help: "up"})
	reg.MustRegister(fires, up)
	fires.WithLabelValues("team-a").Inc()
	fires.WithLabelValues("team-b").Inc()
	up.Set(1)
	f.do("POST", "/namespaces", map[string]any{"name": "team-a"}).want(t, http.StatusCreated)
	viewer := storeToken(t, f.st, f.auth.HashKey(), core.APIToken{Name: "v", Namespace: "team-a", Roles: map[string]core.Role{"team-a": core.RoleViewer}})
	scrape := func(token string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, strings.TrimSuffix(f.url, api.Prefix)+"/metrics", http.NoBody)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := scrape(""); code != http.StatusUnauthorized {
		t.Errorf("anonymous scrape: %d", code)
	}
	code, body := scrape(viewer)
	if code != http.StatusOK || !strings.Contains(body, `namespace="team-a"`) || strings.Contains(body, "team-b") || !strings.Contains(body, "kronos_up 1") {
		t.Errorf("viewer scrape %d:\n%s", code, body)
	}
	if _, body := scrape(f.token); !strings.Contains(body, `namespace="team-b"`) {
		t.Errorf("owner scrape misses team-b:\n%s", body)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestOnlyOwnersChangeQuotas: a namespace's admin changes its settings
// but not the quotas that bound it.
func TestOnlyOwnersChangeQuotas(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/namespaces", map[string]any{"name": "team-a"}).want(t, http.StatusCreated)
	admin := storeToken(t, f.st, f.auth.HashKey(), core.APIToken{Name: "a", Namespace: "team-a", Roles: map[string]core.Role{"team-a": core.RoleAdmin}})
	as := func(body any) response {
		return f.do("PUT", "/namespaces/team-a", body, "Authorization", "Bearer "+admin)
	}
	as(map[string]any{"description": "ours"}).want(t, http.StatusOK)
	r := as(map[string]any{"settings": map[string]any{"quotas": map[string]any{"max_tasks": 1000000}}}).want(t, http.StatusForbidden)
	if !strings.Contains(string(r.body), "settings.quotas") {
		t.Errorf("refusal does not name the quotas: %s", r.body)
	}
	f.do("PUT", "/namespaces/team-a", map[string]any{"settings": map[string]any{"quotas": map[string]any{"max_tasks": 5}}}).want(t, http.StatusOK)
	// The admin's next write keeps the quotas as they are.
	as(map[string]any{"description": "still ours", "settings": map[string]any{"quotas": map[string]any{"max_tasks": 5}}}).want(t, http.StatusOK)
}

// TestRevocationReachesEveryNode: two nodes on one MySQL database; a token
// created on one works on the other, and once revoked on the first the
// second refuses it at its very next request.
func TestRevocationReachesEveryNode(t *testing.T) {
	dbURL := mysqltest.DatabaseURL(t)
	text, err := auth.NewKeyringFile("k1")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := auth.ParseKeyring(text)
	if err != nil {
		t.Fatal(err)
	}
	node := func(name string) *fixture {
		st, err := mysql.Open(t.Context(), mysql.Config{URL: dbURL, Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		key, err := (&secrets.Vault{Store: st, Keyring: kr}).TokenHashKey(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		authn, err := api.NewAuthenticator(api.AuthConfig{Store: st, HashKey: key})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		api.New(mux, api.Config{Store: st, Scheduler: idleScheduler{}, Auth: authn, Node: api.NodeInfo{ID: name}})
		srv := httptest.NewServer(mux)
		t.Cleanup(func() {
			srv.Close()
			_ = st.Close()
		})
		return &fixture{t: t, url: srv.URL + api.Prefix, st: st, auth: authn}
	}
	a, b := node("a"), node("b")
	a.token = storeToken(t, a.st, a.auth.HashKey(), core.APIToken{Name: "owner", Namespace: "default", Owner: true})
	b.token = a.token
	created := a.do("POST", "/tokens", map[string]any{"name": "ci", "role": "viewer"}).want(t, http.StatusCreated).json(t)
	ci, id := created["token"].(string), created["detail"].(map[string]any)["id"].(string)
	b.do("GET", "/tasks", nil, "Authorization", "Bearer "+ci).want(t, http.StatusOK)
	a.do("DELETE", "/tokens/"+id, nil).want(t, http.StatusOK)
	b.do("GET", "/tasks", nil, "Authorization", "Bearer "+ci).want(t, http.StatusUnauthorized)
}
