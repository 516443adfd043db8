package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/secrets"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/mysql/mysqltest"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// executor runs test executions: it logs a line, blocks while its config
// says {"block": true} until canceled, and checks configs: a "url" that is
// not a string is refused at config.url.
type executor struct {
	mu      sync.Mutex
	configs []string
	started chan string
}

func (x *executor) Execute(ctx context.Context, req core.ExecuteRequest) core.ExecuteResult {
	x.mu.Lock()
	x.configs = append(x.configs, string(req.Task.Config))
	x.mu.Unlock()
	req.Log("info", "ran "+req.Task.Name)
	var cfg struct {
		Block bool `json:"block"`
	}
	_ = json.Unmarshal(req.Task.Config, &cfg)
	if x.started != nil {
		x.started <- req.Execution.ID
	}
	if cfg.Block {
		<-ctx.Done()
		return core.ExecuteResult{Status: core.StatusCanceled, Error: ctx.Err().Error()}
	}
	return core.ExecuteResult{Status: core.StatusSucceeded, Output: `{"ok":true}`}
}

func (x *executor) ValidateConfig(_ context.Context, t core.Task) error {
	var cfg map[string]any
	if err := json.Unmarshal(t.Config, &cfg); err != nil {
		return &core.FieldError{Field: "config", Message: "must be a JSON object"}
	}
	if u, ok := cfg["url"]; ok {
		if _, isString := u.(string); !isString {
			return &core.ValidationError{What: "config", Fields: []*core.FieldError{{Field: "config.url", Message: "must be a string"}}}
		}
	}
	return nil
}

// spy records what the API tells the engine, and passes it on.
type spy struct {
	api.Scheduler
	mu      sync.Mutex
	upserts []core.Task
	removes []string
}

func (s *spy) Upsert(t core.Task, settings core.NamespaceSettings) {
	s.mu.Lock()
	s.upserts = append(s.upserts, t)
	s.mu.Unlock()
	s.Scheduler.Upsert(t, settings)
}

func (s *spy) Remove(id string) {
	s.mu.Lock()
	s.removes = append(s.removes, id)
	s.mu.Unlock()
	s.Scheduler.Remove(id)
}

type fixture struct {
	t   *testing.T
	url string
	st  store.Store
	sp  *spy
	ex  *executor
	// auth authenticates the fixture's requests; token, an owner's, is
	// sent with each unless a call passes "Authorization", "".
	auth  *api.Authenticator
	token string
}

// newFixture serves the API over a real embedded store and a real engine.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, st)
}

// onBothStores runs a test over the embedded store and over MySQL (a
// database of its own; skipped without a server, except under CI=true).
func onBothStores(t *testing.T, test func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, newFixture(t))
	})
	t.Run("mysql", func(t *testing.T) {
		t.Parallel()
		test(t, newFixtureOn(t, mysqltest.Store(t)))
	})
}

// newFixtureOn serves the API over st and a real engine; st is closed
// with the test.
func newFixtureOn(t *testing.T, st store.Store) *fixture {
	t.Helper()
	ex := &executor{started: make(chan string, 16)}
	eng, err := engine.New(t.Context(), engine.Config{
		Store: st, Executor: ex, NodeID: "api-test", ShutdownGrace: 50 * time.Millisecond,
		Leaser: engine.NewLocalLeaser(engine.LocalLeaserConfig{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	sp := &spy{Scheduler: eng}
	authn, vault, owner := newAuthVault(t, st)
	mux := http.NewServeMux()
	api.New(mux, api.Config{
		Store: st, Scheduler: sp, Validator: ex, Auth: authn, Secrets: vault,
		Node: api.NodeInfo{ID: "api-test", Version: "test", StartedAt: time.Now(), Store: st.Driver(), Mode: "embedded"},
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine: %v", err)
		}
		_ = st.Close()
	})
	return &fixture{t: t, url: srv.URL + api.Prefix, st: st, sp: sp, ex: ex, auth: authn, token: owner}
}

// newAuth returns an authenticator over st with a random hash key, and
// an owner token stored in st.
func newAuth(t *testing.T, st store.Store) (*api.Authenticator, string) {
	t.Helper()
	authn, _, owner := newAuthVault(t, st)
	return authn, owner
}

// newAuthVault returns an authenticator over st whose hash key comes
// from a vault with a new keyring, the vault, and an owner token stored
// in st.
func newAuthVault(t *testing.T, st store.Store) (*api.Authenticator, *secrets.Vault, string) {
	t.Helper()
	text, err := auth.NewKeyringFile("k1")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := auth.ParseKeyring(text)
	if err != nil {
		t.Fatal(err)
	}
	vault := &secrets.Vault{Store: st, Keyring: kr}
	key, err := vault.TokenHashKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	authn, err := api.NewAuthenticator(api.AuthConfig{Store: st, HashKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return authn, vault, storeToken(t, st, key, core.APIToken{Name: "test-owner", Namespace: core.DefaultNamespace, Owner: true})
}

// storeToken stores tok with a new token's hash and returns the token.
func storeToken(t *testing.T, st store.Store, key []byte, tok core.APIToken) string {
	t.Helper()
	secret, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tok.Hash, tok.Display = auth.Hash(key, secret), auth.Display(secret)
	if _, err := st.TokenCreate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	return secret
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.code, err, r.body)
	}
	return m
}

// do sends a request; body is JSON-encoded unless it is a string.
func (f *fixture) do(method, path string, body any, header ...string) response {
	f.t.Helper()
	var rd io.Reader = http.NoBody
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

// want checks a response's status, failing with its body.
func (r response) want(t *testing.T, code int) response {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
	return r
}

// locations returns the field locations of a problem document.
func (r response) locations(t *testing.T) []string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p struct {
		Errors []struct {
			Location string `json:"location"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range p.Errors {
		if e.Message == "" {
			t.Errorf("error at %s has no message", e.Location)
		}
		out = append(out, e.Location)
	}
	return out
}

// The seed's two calls, verbatim.
func TestSeedCalls(t *testing.T) {
	onBothStores(t, func(t *testing.T, f *fixture) {
		r := f.do(http.MethodPost, "/tasks", `{"name":"daily_backup","cron":"0 2 * * *","type":"http","config":{"method":"POST","url":"https://backup.example.com/v1/backup","headers":{"Authorization":"Bearer ____"}}}`).want(t, http.StatusCreated)
		task := r.json(t)
		if task["name"] != "daily_backup" || task["schedule"] != "0 2 * * *" || task["executor"] != "http" || task["namespace"] != "default" || r.header.Get("ETag") != `"1"` {
			t.Fatalf("created %s (ETag %s)", r.body, r.header.Get("ETag"))
		}
		if cfg := task["config"].(map[string]any); cfg["url"] != "https://backup.example.com/v1/backup" {
			t.Fatalf("config %v", cfg)
		}
		logs := f.do(http.MethodGet, "/tasks/daily_backup/logs?limit=20", nil).want(t, http.StatusOK).json(t)
		if lines, ok := logs["lines"].([]any); !ok || len(lines) != 0 {
			t.Fatalf("logs of a task that never ran: %v", logs)
		}
		f.sp.mu.Lock()
		defer f.sp.mu.Unlock()
		if len(f.sp.upserts) != 1 || f.sp.upserts[0].Name != "daily_backup" {
			t.Fatalf("the engine heard %v", f.sp.upserts)
		}
	})
}

func TestTaskValidationErrorsNameTheField(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"bad cron under its alias", `{"name":"a","cron":"0 2 * *","type":"http"}`, []string{"body.cron"}},
		{"bad schedule", `{"name":"a","schedule":"61 * * * *","executor":"http"}`, []string{"body.schedule"}},
		{"bad time zone", `{"name":"a","schedule":"@daily","timezone":"Mars/Olympus","executor":"http"}`, []string{"body.timezone"}},
		{"bad duration", `{"name":"a","schedule":"@daily","executor":"http","timeout":"soon"}`, []string{"body.timeout"}},
		{"bad retry duration", `{"name":"a","schedule":"@daily","executor":"http","retry":{"initial_backoff":"x"}}`, []string{"body.retry.initial_backoff"}},
		{"unknown misfire policy", `{"name":"a","schedule":"@daily","executor":"http","misfire":"later"}`, []string{"body.misfire"}},
		{"alias conflict", `{"name":"a","schedule":"@daily","cron":"@hourly","executor":"http"}`, []string{"body.cron"}},
		{"bad name", `{"name":"Not OK","schedule":"@daily","executor":"http"}`, []string{"body.name"}},
		{"config fails the executor's schema", `{"name":"a","schedule":"@daily","executor":"http","config":{"url":42}}`, []string{"body.config.url"}},
		{"unknown field", `{"name":"a","schedule":"@daily","executor":"http","colour":"red"}`, []string{"body.colour"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(http.MethodPost, "/tasks", c.body).want(t, http.StatusUnprocessableEntity)
			if got := r.locations(t); !slices.Equal(got, c.want) {
				t.Fatalf("locations %v, want %v: %s", got, c.want, r.body)
			}
		})
	}
	if r := f.do(http.MethodGet, "/tasks", nil).want(t, http.StatusOK).json(t); len(r["tasks"].([]any)) != 0 {
		t.Fatalf("an invalid task was stored: %v", r)
	}
}

func TestTaskLifecycleWithVersions(t *testing.T) {
	onBothStores(t, func(t *testing.T, f *fixture) {
		f.do(http.MethodPost, "/tasks", map[string]any{"name": "job", "schedule": "0 3 * * *", "executor": "http"}).want(t, http.StatusCreated)
		f.do(http.MethodPost, "/tasks", map[string]any{"name": "job", "schedule": "0 3 * * *", "executor": "http"}).want(t, http.StatusConflict)

		// Replace with the current version, then with a stale one.
		r := f.do(http.MethodPut, "/tasks/job", map[string]any{"schedule": "*/5 * * * *", "executor": "http"}, "If-Match", `"1"`).want(t, http.StatusOK)
		if task := r.json(t); task["schedule"] != "*/5 * * * *" || task["version"] != float64(2) || r.header.Get("ETag") != `"2"` {
			t.Fatalf("replaced: %s", r.body)
		}
		f.do(http.MethodPut, "/tasks/job", map[string]any{"schedule": "@daily", "executor": "http"}, "If-Match", `"1"`).want(t, http.StatusConflict)
		f.do(http.MethodPut, "/tasks/job", map[string]any{"schedule": "@daily", "executor": "http"}, "If-Match", "yesterday").want(t, http.StatusBadRequest)

		// Pause and resume reach the engine.
		if task := f.do(http.MethodPost, "/tasks/job/pause", nil).want(t, http.StatusOK).json(t); task["paused"] != true {
			t.Fatalf("paused: %v", task)
		}
		if p := f.do(http.MethodGet, "/tasks/job/preview", nil).want(t, http.StatusOK).json(t); len(p["next"].([]any)) != 0 {
			t.Fatalf("a paused task previews %v", p)
		}
		if task := f.do(http.MethodPost, "/tasks/job/resume", nil).want(t, http.StatusOK).json(t); task["paused"] != false {
			t.Fatalf("resumed: %v", task)
		}
		if p := f.do(http.MethodGet, "/tasks/job/preview?count=3", nil).want(t, http.StatusOK).json(t); len(p["next"].([]any)) != 3 {
			t.Fatalf("preview %v", p)
		}
		f.sp.mu.Lock()
		var seen []string
		for _, u := range f.sp.upserts {
			seen = append(seen, u.Schedule+"/"+map[bool]string{true: "paused", false: "active"}[u.Paused])
		}
		f.sp.mu.Unlock()
		want := []string{"0 3 * * */active", "*/5 * * * */active", "*/5 * * * */paused", "*/5 * * * */active"}
		if !slices.Equal(seen, want) {
			t.Fatalf("the engine heard %v, want %v", seen, want)
		}

		// Delete with a stale version, then for real.
		f.do(http.MethodDelete, "/tasks/job", nil, "If-Match", `"1"`).want(t, http.StatusConflict)
		f.do(http.MethodDelete, "/tasks/job", nil).want(t, http.StatusNoContent)
		f.do(http.MethodGet, "/tasks/job", nil).want(t, http.StatusNotFound)
		f.sp.mu.Lock()
		removed := len(f.sp.removes)
		f.sp.mu.Unlock()
		if removed != 1 {
			t.Fatalf("the engine heard %d removals", removed)
		}
	})
}

func TestTaskListFiltersAndPages(t *testing.T) {
	onBothStores(t, func(t *testing.T, f *fixture) {
		for _, tk := range []map[string]any{
			{"name": "a-backup", "executor": "http", "labels": map[string]string{"team": "ops"}, "description": "Nightly BACKUP"},
			{"name": "b-report", "executor": "http", "labels": map[string]string{"team": "data"}},
			{"name": "c-cleanup", "executor": "script", "labels": map[string]string{"team": "ops"}, "paused": true},
		} {
			f.do(http.MethodPost, "/tasks", tk).want(t, http.StatusCreated)
		}
		names := func(query string) []string {
			t.Helper()
			var out []string
			for _, x := range f.do(http.MethodGet, "/tasks"+query, nil).want(t, http.StatusOK).json(t)["tasks"].([]any) {
				out = append(out, x.(map[string]any)["name"].(string))
			}
			return out
		}
		for query, want := range map[string][]string{
			"?selector=team%3Dops":  {"a-backup", "c-cleanup"},
			"?selector=team!%3Dops": {"b-report"},
			"?q=backup":             {"a-backup"},
			"?executor=script":      {"c-cleanup"},
			"?paused=false":         {"a-backup", "b-report"},
			"?status=paused":        {"c-cleanup"},
			"?status=active":        {"a-backup", "b-report"},
		} {
			if got := names(query); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", query, got, want)
			}
		}
		page := f.do(http.MethodGet, "/tasks?limit=2", nil).want(t, http.StatusOK).json(t)
		cursor, _ := page["next_cursor"].(string)
		if len(page["tasks"].([]any)) != 2 || cursor == "" {
			t.Fatalf("first page %v", page)
		}
		if got := names("?limit=2&cursor=" + cursor); !slices.Equal(got, []string{"c-cleanup"}) {
			t.Fatalf("second page %v", got)
		}
		r := f.do(http.MethodGet, "/tasks?selector=%3Dops", nil).want(t, http.StatusUnprocessableEntity)
		if got := r.locations(t); !slices.Equal(got, []string{"query.selector"}) {
			t.Fatalf("locations %v", got)
		}
		f.do(http.MethodGet, "/tasks?namespace=nowhere", nil).want(t, http.StatusOK) // an empty list
		f.do(http.MethodPost, "/tasks?namespace=nowhere", map[string]any{"name": "x", "executor": "http"}).want(t, http.StatusNotFound)
	})
}

// A trigger runs at once with its config override; its execution, result
// and log lines can be read back, through the task and on their own.
func TestTriggerAndReadBack(t *testing.T) {
	onBothStores(t, func(t *testing.T, f *fixture) {
		f.do(http.MethodPost, "/tasks", map[string]any{"name": "job", "executor": "http", "config": map[string]any{"url": "https://a.example"}}).want(t, http.StatusCreated)
		x := f.do(http.MethodPost, "/tasks/job/trigger", map[string]any{"config": map[string]any{"url": "https://b.example"}}).want(t, http.StatusAccepted).json(t)
		id := x["id"].(string)
		if x["trigger"] != "manual" || x["task_name"] != "job" {
			t.Fatalf("triggered %v", x)
		}
		got := waitFor(t, f, id, "succeeded")
		if got["output"] != `{"ok":true}` || got["duration_ms"] == nil {
			t.Fatalf("execution %v", got)
		}
		f.ex.mu.Lock()
		cfg := f.ex.configs[0]
		f.ex.mu.Unlock()
		if !strings.Contains(cfg, "b.example") {
			t.Fatalf("the run got config %s, want the override", cfg)
		}
		f.do(http.MethodPost, "/tasks/job/trigger", map[string]any{"config": map[string]any{"url": 1}}).want(t, http.StatusUnprocessableEntity)

		lines := f.do(http.MethodGet, "/executions/"+id+"/logs", nil).want(t, http.StatusOK).json(t)["lines"].([]any)
		if len(lines) != 1 || lines[0].(map[string]any)["message"] != "ran job" {
			t.Fatalf("lines %v", lines)
		}
		taskLines := f.do(http.MethodGet, "/tasks/job/logs?limit=20", nil).want(t, http.StatusOK).json(t)["lines"].([]any)
		if len(taskLines) != 1 {
			t.Fatalf("task lines %v", taskLines)
		}
		list := f.do(http.MethodGet, "/tasks/job/executions?status=succeeded", nil).want(t, http.StatusOK).json(t)["executions"].([]any)
		if len(list) != 1 {
			t.Fatalf("executions %v", list)
		}
		if l := f.do(http.MethodGet, "/executions?status=failed", nil).want(t, http.StatusOK).json(t)["executions"].([]any); len(l) != 0 {
			t.Fatalf("failed executions %v", l)
		}
		// Another namespace does not see it.
		f.do(http.MethodPost, "/namespaces", map[string]any{"name": "other"}).want(t, http.StatusCreated)
		f.do(http.MethodGet, "/executions/"+id+"?namespace=other", nil).want(t, http.StatusNotFound)
		f.do(http.MethodGet, "/executions/00000000-0000-0000-0000-000000000000", nil).want(t, http.StatusNotFound)
	})
}

func TestCancelARunningExecution(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/tasks", map[string]any{"name": "long", "executor": "http", "config": map[string]any{"block": true}}).want(t, http.StatusCreated)
	id := f.do(http.MethodPost, "/tasks/long/trigger", nil).want(t, http.StatusAccepted).json(t)["id"].(string)
	select {
	case <-f.ex.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the execution never started")
	}
	f.do(http.MethodPost, "/executions/"+id+"/cancel", nil).want(t, http.StatusAccepted)
	waitFor(t, f, id, "canceled")
	f.do(http.MethodPost, "/executions/"+id+"/cancel", nil).want(t, http.StatusConflict)
}

// waitFor polls an execution until it reaches status.
func waitFor(t *testing.T, f *fixture, id, status string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		x := f.do(http.MethodGet, "/executions/"+id, nil).want(t, http.StatusOK).json(t)
		if x["status"] == status {
			return x
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s is %v, want %s", id, x["status"], status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNamespaces(t *testing.T) {
	onBothStores(t, func(t *testing.T, f *fixture) {
		f.do(http.MethodPost, "/namespaces", map[string]any{
			"name": "team-a", "settings": map[string]any{"wasm": map[string]any{"max_timeout": "10m"}, "network": map[string]any{"allowed_hosts": []string{"*.example.com"}}},
		}).want(t, http.StatusCreated)
		f.do(http.MethodPost, "/namespaces", map[string]any{"name": "team-a"}).want(t, http.StatusConflict)
		r := f.do(http.MethodPost, "/namespaces", map[string]any{"name": "b", "settings": map[string]any{"wasm": map[string]any{"max_timeout": "a while"}}}).want(t, http.StatusUnprocessableEntity)
		if got := r.locations(t); !slices.Equal(got, []string{"body.settings.wasm.max_timeout"}) {
			t.Fatalf("locations %v", got)
		}
		ns := f.do(http.MethodGet, "/namespaces/team-a", nil).want(t, http.StatusOK).json(t)
		if ns["settings"].(map[string]any)["wasm"].(map[string]any)["max_timeout"] != "10m0s" {
			t.Fatalf("namespace %v", ns)
		}
		f.do(http.MethodPut, "/namespaces/team-a", map[string]any{"description": "Team A"}, "If-Match", `"1"`).want(t, http.StatusOK)
		f.do(http.MethodPut, "/namespaces/team-a", map[string]any{"description": "stale"}, "If-Match", `"1"`).want(t, http.StatusConflict)
		list := f.do(http.MethodGet, "/namespaces", nil).want(t, http.StatusOK).json(t)["namespaces"].([]any)
		if len(list) != 2 {
			t.Fatalf("namespaces %v", list)
		}
		f.do(http.MethodPost, "/tasks?namespace=team-a", map[string]any{"name": "x", "executor": "http"}).want(t, http.StatusCreated)
		f.do(http.MethodDelete, "/namespaces/team-a", nil).want(t, http.StatusConflict)
		f.do(http.MethodDelete, "/tasks/x?namespace=team-a", nil).want(t, http.StatusNoContent)
		f.do(http.MethodDelete, "/namespaces/team-a", nil).want(t, http.StatusNoContent)
		// force empties a namespace first.
		f.do(http.MethodPost, "/namespaces", map[string]any{"name": "team-b"}).want(t, http.StatusCreated)
		f.do(http.MethodPost, "/tasks?namespace=team-b", map[string]any{"name": "y", "executor": "http"}).want(t, http.StatusCreated)
		f.do(http.MethodDelete, "/namespaces/team-b?force=true", nil).want(t, http.StatusNoContent)
		f.do(http.MethodGet, "/namespaces/team-b", nil).want(t, http.StatusNotFound)
		f.do(http.MethodDelete, "/namespaces/nowhere?force=true", nil).want(t, http.StatusNotFound)
		f.do(http.MethodDelete, "/namespaces/default", nil).want(t, http.StatusConflict)
		f.do(http.MethodGet, "/namespaces/team-a", nil).want(t, http.StatusNotFound)
	})
}

func TestSchedulePreview(t *testing.T) {
	f := newFixture(t)
	p := f.do(http.MethodGet, "/schedules/preview?expr=0+9+*+*+1-5&timezone=Asia/Shanghai&count=3", nil).want(t, http.StatusOK).json(t)
	next := p["next"].([]any)
	if len(next) != 3 || !strings.HasSuffix(next[0].(string), "+08:00") {
		t.Fatalf("preview %v", p)
	}
	r := f.do(http.MethodGet, "/schedules/preview?expr=0+25+*+*+*", nil).want(t, http.StatusUnprocessableEntity)
	if got := r.locations(t); !slices.Equal(got, []string{"query.expr"}) {
		t.Fatalf("locations %v", got)
	}
	r = f.do(http.MethodGet, "/schedules/preview?expr=0+9+*+*+*&timezone=Mars/Olympus", nil).want(t, http.StatusUnprocessableEntity)
	if got := r.locations(t); !slices.Equal(got, []string{"query.timezone"}) {
		t.Fatalf("a bad time zone: locations %v, want query.timezone", got)
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t)
	big := `{"name":"big","executor":"http","config":{"pad":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}}`
	f.do(http.MethodPost, "/tasks", big).want(t, http.StatusRequestEntityTooLarge)
}

// Stats passes the engine's on.
func (s *spy) Stats() engine.Stats { return s.Scheduler.(api.StatsSource).Stats() }

func TestNode(t *testing.T) {
	f := newFixture(t)
	n := f.do(http.MethodGet, "/node", nil).want(t, http.StatusOK).json(t)
	if n["partitions_held"] != float64(engine.DefaultPartitions) || n["id"] != "api-test" || n["store"] != "sqlite" || n["mode"] != "embedded" {
		t.Fatalf("node %v", n)
	}
}

// A merge patch changes the fields it names, merges objects, resets
// fields set to null, and checks the version.
func TestPatchTask(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/tasks", map[string]any{
		"name": "job", "schedule": "0 3 * * *", "executor": "http", "labels": map[string]string{"team": "ops", "tier": "1"},
		"config": map[string]any{"url": "https://a.example", "method": "POST"}, "timeout": "30s",
	}).want(t, http.StatusCreated)
	patch := func(body string, header ...string) response {
		t.Helper()
		return f.do(http.MethodPatch, "/tasks/job", body, append([]string{"Content-Type", "application/merge-patch+json"}, header...)...)
	}
	task := patch(`{"cron":"@hourly","labels":{"tier":null,"env":"prod"},"config":{"url":"https://b.example"},"timeout":null}`, "If-Match", `"1"`).want(t, http.StatusOK).json(t)
	labels := task["labels"].(map[string]any)
	cfg := task["config"].(map[string]any)
	if task["schedule"] != "@hourly" || labels["team"] != "ops" || labels["env"] != "prod" || labels["tier"] != nil ||
		cfg["url"] != "https://b.example" || cfg["method"] != "POST" || task["timeout"] != "5m0s" || task["version"] != float64(2) {
		t.Fatalf("patched: %v", task)
	}
	patch(`{"paused":true}`, "If-Match", `"1"`).want(t, http.StatusConflict)
	if r := patch(`{"schedule":"not a cron"}`).want(t, http.StatusUnprocessableEntity); !slices.Equal(r.locations(t), []string{"body.schedule"}) {
		t.Fatalf("locations %v", r.locations(t))
	}
	patch(`{"colour":"red"}`).want(t, http.StatusUnprocessableEntity)
	f.do(http.MethodPatch, "/tasks/nope", `{"paused":true}`, "Content-Type", "application/merge-patch+json").want(t, http.StatusNotFound)
	f.sp.mu.Lock()
	defer f.sp.mu.Unlock()
	if last := f.sp.upserts[len(f.sp.upserts)-1]; last.Schedule != "@hourly" {
		t.Fatalf("the engine last heard %+v", last)
	}
}

// A task that refers to a secret its namespace lacks is refused when it
// is written, naming the secret; once the secret exists it is accepted.
func TestTaskSecretReferencesAreChecked(t *testing.T) {
	f := newFixture(t)
	body := map[string]any{"name": "job", "executor": "http", "config": map[string]any{"h": `Bearer {{ secret "tok" }}`}}
	r := f.do(http.MethodPost, "/tasks", body).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.body), `secret \"tok\"`) || !slices.Equal(r.locations(t), []string{"body.config"}) {
		t.Fatalf("refusal %s", r.body)
	}
	f.do(http.MethodPost, "/tasks", map[string]any{"name": "bad", "executor": "http", "config": map[string]any{"h": "{{ env }}"}}).want(t, http.StatusUnprocessableEntity)
	if _, err := f.st.SecretPut(t.Context(), core.Secret{Namespace: core.DefaultNamespace, Name: "tok", KeyID: "k1", Sealed: []byte("sealed")}); err != nil {
		t.Fatal(err)
	}
	f.do(http.MethodPost, "/tasks", body).want(t, http.StatusCreated)
}

// list-tasks and get-task carry each task's next fire instant and its
// latest started execution.
func TestTaskStateNextFireAndLastExecution(t *testing.T) {
	onBothStores(t, func(t *testing.T, f *fixture) {
		f.do(http.MethodPost, "/tasks", map[string]any{"name": "hourly", "executor": "http", "schedule": "0 * * * *", "timezone": "Asia/Shanghai"}).want(t, http.StatusCreated)
		f.do(http.MethodPost, "/tasks", map[string]any{"name": "paused", "executor": "http", "schedule": "0 * * * *", "paused": true}).want(t, http.StatusCreated)
		f.do(http.MethodPost, "/tasks", map[string]any{"name": "manual", "executor": "http"}).want(t, http.StatusCreated)
		byName := func() map[string]map[string]any {
			out := map[string]map[string]any{}
			for _, x := range f.do(http.MethodGet, "/tasks", nil).want(t, http.StatusOK).json(t)["tasks"].([]any) {
				out[x.(map[string]any)["name"].(string)] = x.(map[string]any)
			}
			return out
		}
		tasks := byName()
		next, err := time.Parse(time.RFC3339, tasks["hourly"]["next_fire_at"].(string))
		if err != nil {
			t.Fatalf("hourly next_fire_at: %v (%v)", err, tasks["hourly"])
		}
		if want := time.Now().Truncate(time.Hour).Add(time.Hour); !next.Equal(want) {
			t.Errorf("hourly next_fire_at %v, want %v", next, want)
		}
		for _, name := range []string{"paused", "manual"} {
			if v, ok := tasks[name]["next_fire_at"]; ok {
				t.Errorf("%s has next_fire_at %v, want none", name, v)
			}
			if v, ok := tasks[name]["last_execution"]; ok {
				t.Errorf("%s has last_execution %v before any run", name, v)
			}
		}
		id := f.do(http.MethodPost, "/tasks/manual/trigger", nil).want(t, http.StatusAccepted).json(t)["id"].(string)
		waitFor(t, f, id, "succeeded")
		last, ok := byName()["manual"]["last_execution"].(map[string]any)
		if !ok || last["id"] != id || last["status"] != "succeeded" || last["trigger"] != "manual" || last["duration_ms"] == nil {
			t.Fatalf("manual last_execution %v, want the succeeded run %s", last, id)
		}
		got := f.do(http.MethodGet, "/tasks/manual", nil).want(t, http.StatusOK).json(t)
		if l, _ := got["last_execution"].(map[string]any); l["id"] != id {
			t.Fatalf("get-task last_execution %v, want %s", got["last_execution"], id)
		}
	})
}

// retry-execution runs an ended execution's task again as a new manual
// run; one still running is refused, and one whose task is gone is 404.
func TestRetryExecution(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/tasks", map[string]any{"name": "job", "executor": "http", "schedule": "@yearly"}).want(t, http.StatusCreated)
	first := f.do(http.MethodPost, "/tasks/job/trigger", nil).want(t, http.StatusAccepted).json(t)["id"].(string)
	waitFor(t, f, first, "succeeded")
	again := f.do(http.MethodPost, "/executions/"+first+"/retry", nil).want(t, http.StatusAccepted).json(t)
	if again["id"] == first || again["trigger"] != "manual" || again["task_name"] != "job" {
		t.Fatalf("retry answered %v", again)
	}
	waitFor(t, f, again["id"].(string), "succeeded")
	f.do(http.MethodPost, "/executions/00000000-0000-0000-0000-000000000000/retry", nil).want(t, http.StatusNotFound)

	f.do(http.MethodPost, "/tasks", map[string]any{"name": "long", "executor": "http", "config": map[string]any{"block": true}}).want(t, http.StatusCreated)
	f.ex.started = make(chan string, 1)
	long := f.do(http.MethodPost, "/tasks/long/trigger", nil).want(t, http.StatusAccepted).json(t)["id"].(string)
	<-f.ex.started
	f.do(http.MethodPost, "/executions/"+long+"/retry", nil).want(t, http.StatusConflict)
	f.do(http.MethodPost, "/executions/"+long+"/cancel", nil).want(t, http.StatusAccepted)
	waitFor(t, f, long, "canceled")

	f.do(http.MethodDelete, "/tasks/job", nil).want(t, http.StatusNoContent)
	f.do(http.MethodPost, "/executions/"+first+"/retry", nil).want(t, http.StatusNotFound)
}

// A path under /api/ that no operation takes is a problem document, 404,
// whatever the method.
func TestUnknownAPIPathIsAProblem(t *testing.T) {
	f := newFixture(t)
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		r := f.do(method, "/nope", nil).want(t, http.StatusNotFound)
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s /api/v1/nope: Content-Type %q, want application/problem+json", method, ct)
		}
		if d, _ := r.json(t)["detail"].(string); !strings.Contains(d, method+" /api/v1/nope") {
			t.Errorf("%s /api/v1/nope: detail %q, want the method and path named", method, d)
		}
	}
}

// get-execution-stats sums up the window's executions: totals, a series
// of whole buckets, lags, the least successful and the slowest tasks.
func TestExecutionStats(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/tasks", map[string]any{"name": "job", "executor": "http"}).want(t, http.StatusCreated)
	for range 2 {
		id := f.do(http.MethodPost, "/tasks/job/trigger", nil).want(t, http.StatusAccepted).json(t)["id"].(string)
		waitFor(t, f, id, "succeeded")
	}
	got := f.do(http.MethodGet, "/stats/executions?window=10m&limit=5", nil).want(t, http.StatusOK).json(t)
	if got["bucket_seconds"] != 5.0 || len(got["series"].([]any)) != 120 {
		t.Fatalf("10m window: bucket %v s, %d points; want 5 s and 120", got["bucket_seconds"], len(got["series"].([]any)))
	}
	if tot := got["totals"].(map[string]any); tot["total"] != 2.0 || tot["succeeded"] != 2.0 {
		t.Fatalf("totals %v, want 2 succeeded", tot)
	}
	tasks := got["tasks"].([]any)
	if len(tasks) != 1 || tasks[0].(map[string]any)["task_name"] != "job" || tasks[0].(map[string]any)["success_rate"] != 1.0 {
		t.Fatalf("tasks %v", tasks)
	}
	if len(got["slowest"].([]any)) != 1 {
		t.Fatalf("slowest %v", got["slowest"])
	}
	// Manual runs have no lag: no samples.
	if lag := got["lag"].(map[string]any); lag["samples"] != 0.0 {
		t.Fatalf("lag %v, want no samples from manual runs", lag)
	}
	r := f.do(http.MethodGet, "/stats/executions?window=forever", nil).want(t, http.StatusUnprocessableEntity)
	if got := r.locations(t); !slices.Equal(got, []string{"query.window"}) {
		t.Fatalf("locations %v", got)
	}
	f.do(http.MethodGet, "/stats/executions?window=1h&bucket=1ms", nil).want(t, http.StatusUnprocessableEntity)
}
