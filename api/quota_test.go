package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core"
)

// wantDetail checks that a problem's detail (or one of its errors) says
// each of the phrases.
func wantDetail(t *testing.T, r response, phrases ...string) {
	t.Helper()
	d := r.detail(t)
	for _, p := range phrases {
		if !strings.Contains(d, p) {
			t.Fatalf("problem %q does not say %q", d, p)
		}
	}
}

// core's bound on settings.quotas.max_plugin_bytes is the host's limit on
// a module, which core cannot import.
func TestPluginQuotaBoundIsTheHostsLimit(t *testing.T) {
	if core.MaxPluginModuleBytes != api.MaxPluginBytes {
		t.Fatalf("core.MaxPluginModuleBytes = %d, api.MaxPluginBytes = %d: keep them equal", core.MaxPluginModuleBytes, api.MaxPluginBytes)
	}
}

// Quotas are written and read with the namespace; invalid ones name the
// field.
func TestNamespaceQuotasRoundTrip(t *testing.T) {
	f := newFixture(t)
	quotas := map[string]any{
		"max_tasks": 10, "max_concurrent_executions": 2, "max_executions_per_minute": 60,
		"max_plugins": 3, "max_plugin_bytes": 1 << 20,
	}
	f.do(http.MethodPost, "/namespaces", map[string]any{"name": "team-a", "settings": map[string]any{"quotas": quotas}}).want(t, http.StatusCreated)
	got := f.do(http.MethodGet, "/namespaces/team-a", nil).want(t, http.StatusOK).json(t)
	q, _ := got["settings"].(map[string]any)["quotas"].(map[string]any)
	for k, v := range quotas {
		if q[k] != float64(v.(int)) {
			t.Fatalf("quotas read back %v, want %v", q, quotas)
		}
	}

	r := f.do(http.MethodPost, "/namespaces", map[string]any{"name": "team-b", "settings": map[string]any{"quotas": map[string]any{
		"max_tasks": -1, "max_plugin_bytes": int64(1) << 40,
	}}}).want(t, http.StatusUnprocessableEntity)
	if got, want := r.locations(t), []string{"body.settings.quotas.max_tasks", "body.settings.quotas.max_plugin_bytes"}; !slices.Equal(got, want) {
		t.Fatalf("locations %v, want %v", got, want)
	}
}

func TestTaskQuota(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/namespaces", map[string]any{"name": "team-a", "settings": map[string]any{"quotas": map[string]any{"max_tasks": 2}}}).want(t, http.StatusCreated)
	task := func(name string) map[string]any {
		return map[string]any{"name": name, "schedule": "@yearly", "executor": "http"}
	}
	f.do(http.MethodPost, "/tasks?namespace=team-a", task("one")).want(t, http.StatusCreated)
	f.do(http.MethodPost, "/tasks?namespace=team-a", task("two")).want(t, http.StatusCreated)
	r := f.do(http.MethodPost, "/tasks?namespace=team-a", task("three")).want(t, http.StatusTooManyRequests)
	wantDetail(t, r, `namespace "team-a" holds 2 tasks and its quota settings.quotas.max_tasks is 2: delete tasks or raise the quota`)
	// The namespace shows its usage beside its quotas.
	got := f.do(http.MethodGet, "/namespaces/team-a", nil).want(t, http.StatusOK).json(t)
	if u, _ := got["usage"].(map[string]any); u["tasks"] != 2.0 || u["plugins"] != 0.0 || u["running_executions"] != 0.0 {
		t.Fatalf("usage of team-a = %v, want 2 tasks", got["usage"])
	}
	for _, n := range f.do(http.MethodGet, "/namespaces", nil).want(t, http.StatusOK).json(t)["namespaces"].([]any) {
		if n.(map[string]any)["usage"] == nil {
			t.Fatalf("list-namespaces item without usage: %v", n)
		}
	}

	// Other namespaces are not bound by it; a deletion makes room.
	f.do(http.MethodPost, "/tasks", task("three")).want(t, http.StatusCreated)
	f.do(http.MethodDelete, "/tasks/one?namespace=team-a", nil).want(t, http.StatusNoContent)
	f.do(http.MethodPost, "/tasks?namespace=team-a", task("three")).want(t, http.StatusCreated)
}

// A manual trigger beyond max_executions_per_minute is a 429 naming the
// quota, and nothing is recorded for it.
func TestTriggerRateQuota(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/namespaces", map[string]any{"name": "team-a", "settings": map[string]any{"quotas": map[string]any{"max_executions_per_minute": 1}}}).want(t, http.StatusCreated)
	f.do(http.MethodPost, "/tasks?namespace=team-a", map[string]any{"name": "manual", "schedule": "@yearly", "executor": "http"}).want(t, http.StatusCreated)
	f.do(http.MethodPost, "/tasks/manual/trigger?namespace=team-a", nil).want(t, http.StatusAccepted)
	r := f.do(http.MethodPost, "/tasks/manual/trigger?namespace=team-a", nil).want(t, http.StatusTooManyRequests)
	wantDetail(t, r, `namespace "team-a" quota max_executions_per_minute (1) reached`, "raise settings.quotas.max_executions_per_minute")
	page := f.do(http.MethodGet, "/tasks/manual/executions?namespace=team-a", nil).want(t, http.StatusOK).json(t)
	if xs := page["executions"].([]any); len(xs) != 1 {
		t.Fatalf("%d executions recorded, want the 1 allowed: %v", len(xs), xs)
	}
}

func TestPluginQuotas(t *testing.T) {
	f, wasm := newPluginFixture(t)
	upload := func(namespace, name string) response {
		t.Helper()
		return f.do(http.MethodPut, "/plugins/"+name+"?namespace="+namespace, string(wasm), "Content-Type", "application/wasm")
	}

	// A module larger than max_plugin_bytes is a 422 that names it.
	f.do(http.MethodPost, "/namespaces", map[string]any{"name": "small", "settings": map[string]any{"quotas": map[string]any{"max_plugin_bytes": len(wasm) - 1}}}).want(t, http.StatusCreated)
	r := upload("small", "reporter").want(t, http.StatusUnprocessableEntity)
	wantDetail(t, r, "settings.quotas.max_plugin_bytes", "raise the quota")

	// A new plugin beyond max_plugins is a 429 that names it; replacing
	// one of the same name is not.
	f.do(http.MethodPost, "/namespaces", map[string]any{"name": "few", "settings": map[string]any{"quotas": map[string]any{"max_plugins": 1}}}).want(t, http.StatusCreated)
	upload("few", "reporter").want(t, http.StatusCreated)
	upload("few", "reporter").want(t, http.StatusOK)
	r = upload("few", "another").want(t, http.StatusTooManyRequests)
	wantDetail(t, r, `namespace "few" holds 1 plugins and its quota settings.quotas.max_plugins is 1`)
	upload("default", "another").want(t, http.StatusCreated)
}
