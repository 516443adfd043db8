package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/internal/wasmtest"
)

// pluginWasm builds host/testdata/fixture (a plugin with a describe
// export) once per test binary, into the cache host's tests use, keyed by
// the hash of its sources, go.sum and the Go version.
var pluginWasm = sync.OnceValues(func() ([]byte, error) {
	return wasmtest.Build("..", "host/testdata/fixture", "host/testdata/fixture")
})

// idleScheduler is an engine that does nothing: the plugin tests create
// tasks only to hold plugins.
type idleScheduler struct{ api.Scheduler }

func (idleScheduler) Upsert(core.Task, core.NamespaceSettings) {}
func (idleScheduler) Remove(string)                            {}

// newPluginFixture serves the API over a real embedded store and a real
// Wasm host (as cmd/kronos wires it), and returns the fixture plugin.
func newPluginFixture(t *testing.T) (*fixture, []byte) {
	t.Helper()
	wasm, err := pluginWasm()
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := host.NewRuntime(t.Context(), host.Config{CacheDir: filepath.Join(wasmtest.CacheDir(), "compiled"), KV: host.StoreKV{Store: st}})
	if err != nil {
		t.Fatal(err)
	}
	// Only the built-in's name matters here: nothing runs it.
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: rt, Builtins: map[string][]byte{"http": wasm}, Plugins: st})
	authn, owner := newAuth(t, st)
	mux := http.NewServeMux()
	api.New(mux, api.Config{Store: st, Scheduler: idleScheduler{}, Validator: ex, Plugins: ex, Auth: authn})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		_ = rt.Close(context.Background())
		_ = st.Close()
	})
	return &fixture{t: t, url: srv.URL + api.Prefix, st: st, auth: authn, token: owner}, wasm
}

// multipartBody is a form with the module as its part named field.
func multipartBody(t *testing.T, field string, wasm []byte) (body, contentType string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("note", "ignored")
	part, err := w.CreateFormFile(field, "plugin.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(wasm); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), w.FormDataContentType()
}

// detail returns a problem document's detail and its errors' messages.
func (r response) detail(t *testing.T) string {
	t.Helper()
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("response %d is not a problem: %v\n%s", r.code, err, r.body)
	}
	out := p.Detail
	for _, e := range p.Errors {
		out += " | " + e.Message
	}
	return out
}

func TestPluginLifecycle(t *testing.T) {
	f, wasm := newPluginFixture(t)
	raw := func(name string, body []byte, query string) response {
		t.Helper()
		return f.do(http.MethodPut, "/plugins/"+name+query, string(body), "Content-Type", "application/wasm")
	}

	// A raw upload creates it, described by its describe export.
	created := raw("reporter", wasm, "").want(t, http.StatusCreated).json(t)
	sum := sha256.Sum256(wasm)
	if created["name"] != "reporter" || created["namespace"] != "default" || created["version"] != "0.1.0" ||
		created["description"] != "test plugin" || created["sha256"] != hex.EncodeToString(sum[:]) ||
		created["size"] != float64(len(wasm)) || created["config_schema"] == nil || created["builtin"] != nil ||
		!strings.HasPrefix(created["uploader"].(string), "token:") {
		t.Fatalf("created %v", created)
	}

	// A multipart upload replaces it: 200, created_at kept.
	body, ct := multipartBody(t, "file", wasm)
	replaced := f.do(http.MethodPut, "/plugins/reporter", body, "Content-Type", ct).want(t, http.StatusOK).json(t)
	if replaced["created_at"] != created["created_at"] || replaced["sha256"] != created["sha256"] {
		t.Fatalf("replaced %v, created %v", replaced, created)
	}

	// Get shows the config schema; list shows it (without the schema) beside
	// the built-in.
	got := f.do(http.MethodGet, "/plugins/reporter", nil).want(t, http.StatusOK).json(t)
	schema, _ := got["config_schema"].(map[string]any)
	if schema["type"] != "object" || !slices.Contains(schema["required"].([]any), any("url")) {
		t.Fatalf("get %v", got)
	}
	list := f.do(http.MethodGet, "/plugins", nil).want(t, http.StatusOK).json(t)["plugins"].([]any)
	if len(list) != 2 {
		t.Fatalf("list %v", list)
	}
	builtin, plugin := list[0].(map[string]any), list[1].(map[string]any)
	if builtin["name"] != "http" || builtin["builtin"] != true || plugin["name"] != "reporter" || plugin["config_schema"] != nil || plugin["sha256"] == nil {
		t.Fatalf("list %v", list)
	}
	if b := f.do(http.MethodGet, "/plugins/http", nil).want(t, http.StatusOK).json(t); b["builtin"] != true || b["config_schema"] == nil || b["sha256"] == nil || b["namespace"] != nil {
		t.Fatalf("get http %v", b)
	}

	// Another namespace does not see it.
	f.do(http.MethodPost, "/namespaces", map[string]any{"name": "other"}).want(t, http.StatusCreated)
	f.do(http.MethodGet, "/plugins/reporter?namespace=other", nil).want(t, http.StatusNotFound)
	if l := f.do(http.MethodGet, "/plugins?namespace=other", nil).want(t, http.StatusOK).json(t)["plugins"].([]any); len(l) != 1 {
		t.Fatalf("other lists %v", l)
	}
	f.do(http.MethodDelete, "/plugins/reporter?namespace=other", nil).want(t, http.StatusNotFound)
	raw("reporter", wasm, "?namespace=nowhere").want(t, http.StatusNotFound)

	// A task uses it (its config is checked against the schema); the
	// delete is refused, naming the task.
	f.do(http.MethodPost, "/tasks", map[string]any{"name": "nightly", "executor": "reporter", "config": map[string]any{"url": 1}}).want(t, http.StatusUnprocessableEntity)
	f.do(http.MethodPost, "/tasks", map[string]any{"name": "nightly", "executor": "reporter", "config": map[string]any{"url": "https://x.example"}}).want(t, http.StatusCreated)
	r := f.do(http.MethodDelete, "/plugins/reporter", nil).want(t, http.StatusConflict)
	if d := r.detail(t); !strings.Contains(d, `"nightly"`) {
		t.Fatalf("the refusal does not name the task: %s", d)
	}
	f.do(http.MethodDelete, "/plugins/http", nil).want(t, http.StatusConflict)

	// Once the task is gone, it deletes; then it is not found.
	f.do(http.MethodDelete, "/tasks/nightly", nil).want(t, http.StatusNoContent)
	f.do(http.MethodDelete, "/plugins/reporter", nil).want(t, http.StatusNoContent)
	f.do(http.MethodGet, "/plugins/reporter", nil).want(t, http.StatusNotFound)
	f.do(http.MethodDelete, "/plugins/reporter", nil).want(t, http.StatusNotFound)
}

// A refused upload says what is wrong and how to fix it, at the right
// location, and stores nothing.
func TestPluginUploadRefusals(t *testing.T) {
	f, wasm := newPluginFixture(t)
	garbage, garbageCT := multipartBody(t, "file", []byte("MZ\x90\x00 not a module"))
	noFile, noFileCT := multipartBody(t, "module", wasm)
	cases := []struct {
		name, plugin, body, contentType string
		code                            int
		location, says                  string
	}{
		{"garbage bytes", "junk", "MZ\x90\x00 not a module", "application/octet-stream", http.StatusUnprocessableEntity, "body", "not a WebAssembly module"},
		{"garbage in a form", "junk", garbage, garbageCT, http.StatusUnprocessableEntity, "body.file", "GOOS=wasip1"},
		{"a form without file", "junk", noFile, noFileCT, http.StatusUnprocessableEntity, "body.file", "file=@plugin.wasm"},
		{"wrong function", "junk", string(wasm), "application/wasm", http.StatusUnprocessableEntity, "body", `no function "run"`},
		{"built-in name", "http", string(wasm), "application/wasm", http.StatusUnprocessableEntity, "path.name", "built-in"},
		{"bad name", "Not_OK", string(wasm), "application/wasm", http.StatusUnprocessableEntity, "path.name", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query := ""
			if c.name == "wrong function" {
				query = "?function=run"
			}
			r := f.do(http.MethodPut, "/plugins/"+c.plugin+query, c.body, "Content-Type", c.contentType).want(t, c.code)
			if got := r.locations(t); !slices.Equal(got, []string{c.location}) {
				t.Fatalf("locations %v, want %s: %s", got, c.location, r.body)
			}
			if d := r.detail(t); !strings.Contains(d, c.says) {
				t.Fatalf("%q does not say %q", d, c.says)
			}
		})
	}

	// Over the limit: a body the handler reads, and one refused by its
	// Content-Length before it is read. Both name the limit and the fix.
	for _, n := range []int{api.MaxPluginBytes + 1, api.MaxPluginBytes + 2<<20} {
		big := make([]byte, n)
		copy(big, wasm[:8])
		r := f.do(http.MethodPut, "/plugins/big", string(big), "Content-Type", "application/wasm").want(t, http.StatusRequestEntityTooLarge)
		if d := r.detail(t); !strings.Contains(d, strconv.Itoa(api.MaxPluginBytes)) || !strings.Contains(d, "wasm-opt") {
			t.Fatalf("%d bytes: %q does not name the limit and the fix", n, d)
		}
	}

	if l := f.do(http.MethodGet, "/plugins", nil).want(t, http.StatusOK).json(t)["plugins"].([]any); len(l) != 1 {
		t.Fatalf("a refused upload was stored: %v", l)
	}
}
