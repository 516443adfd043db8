package api_test

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
)

// needs is the access each operation of the committed OpenAPI document
// must have, written here independently of the server's own policy table:
// an operation missing from this list fails TestAuthorizationMatrix, so no
// endpoint is added without someone deciding who may call it.
var needs = map[string]string{
	"create-namespace": "owner", "list-namespaces": "any", "get-namespace": "viewer",
	"replace-namespace": "admin", "delete-namespace": "owner",

	"create-task": "editor", "list-tasks": "viewer", "get-task": "viewer", "replace-task": "editor",
	"patch-task": "editor", "delete-task": "editor", "pause-task": "editor", "resume-task": "editor",
	"trigger-task": "editor", "preview-task": "viewer",

	"list-executions": "viewer", "list-task-executions": "viewer", "get-execution": "viewer",
	"cancel-execution": "editor", "retry-execution": "editor", "get-execution-logs": "viewer", "get-task-logs": "viewer",
	"follow-execution-logs": "viewer", "get-execution-stats": "viewer",

	"upload-plugin": "editor", "list-plugins": "viewer", "get-plugin": "viewer", "delete-plugin": "editor",

	"put-secret": "admin", "list-secrets": "admin", "delete-secret": "admin",

	"put-mq-connection": "editor", "list-mq-connections": "viewer", "get-mq-connection": "viewer",
	"delete-mq-connection": "editor", "test-mq-connection": "editor",

	"create-token": "admin", "list-tokens": "admin", "revoke-token": "admin", "get-principal": "any",

	"list-audit-events": "admin",

	"preview-schedule": "any", "get-node": "any", "list-nodes": "any",
}

// operation is one operation of the OpenAPI document.
type operation struct {
	id, method, path string
	body             bool
}

// documentOperations reads every operation of openapi/openapi.yaml.
func documentOperations(t *testing.T) []operation {
	t.Helper()
	raw, err := os.ReadFile("../openapi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `yaml:"operationId"`
			RequestBody any    `yaml:"requestBody"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []operation
	for path, methods := range doc.Paths {
		for method, op := range methods {
			if op.OperationID == "" {
				continue // "parameters" and the like
			}
			ops = append(ops, operation{id: op.OperationID, method: strings.ToUpper(method), path: strings.TrimPrefix(path, api.Prefix), body: op.RequestBody != nil})
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.id, b.id) })
	return ops
}

// matrixFixture is a server with namespace team-a holding one of each
// object, and a token per principal the matrix calls as.
type matrixFixture struct {
	*fixture
	tokens map[string]string // principal → token ("" for none)
	params map[string]string // path parameter → value
}

// principals, in the order the matrix calls as them.
var principals = []string{"none", "expired", "revoked", "viewer", "editor", "other-admin", "admin"}

func newMatrixFixture(t *testing.T) *matrixFixture {
	f := newFixture(t)
	key := f.auth.HashKey()
	for _, ns := range []string{"team-a", "team-b"} {
		f.do("POST", "/namespaces", map[string]any{"name": ns}).want(t, http.StatusCreated)
	}
	f.do("POST", "/tasks?namespace=team-a", map[string]any{"name": "job", "schedule": "@every 1h", "executor": "http", "config": map[string]any{}}).want(t, http.StatusCreated)
	x := f.do("POST", "/tasks/job/trigger?namespace=team-a", nil).want(t, http.StatusAccepted).json(t)
	waitFor(t, f, x["id"].(string)+"?namespace=team-a", "succeeded")
	f.do("PUT", "/secrets/sec?namespace=team-a", map[string]any{"value": "v"})
	if _, err := f.st.PluginPut(t.Context(), core.Plugin{Namespace: "team-a", Name: "plug", SHA256: "93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476", Size: 8}, []byte("\x00asm\x01\x00\x00\x00")); err != nil {
		t.Fatal(err)
	}
	mk := func(tok core.APIToken) (string, string) {
		secret := storeToken(t, f.st, key, tok)
		got, err := f.st.TokenGetByHash(t.Context(), auth.Hash(key, secret))
		if err != nil {
			t.Fatal(err)
		}
		return secret, got.ID
	}
	m := &matrixFixture{fixture: f, tokens: map[string]string{"none": ""}, params: map[string]string{}}
	a := map[string]core.Role{"team-a": core.RoleAdmin}
	m.tokens["expired"], _ = mk(core.APIToken{Name: "expired", Namespace: "team-a", Roles: a, ExpiresAt: time.Now().Add(time.Second)})
	var revokedID string
	m.tokens["revoked"], revokedID = mk(core.APIToken{Name: "revoked", Namespace: "team-a", Roles: a})
	if _, err := f.st.TokenRevoke(t.Context(), revokedID); err != nil {
		t.Fatal(err)
	}
	m.tokens["viewer"], _ = mk(core.APIToken{Name: "viewer", Namespace: "team-a", Roles: map[string]core.Role{"team-a": core.RoleViewer}})
	m.tokens["editor"], _ = mk(core.APIToken{Name: "editor", Namespace: "team-a", Roles: map[string]core.Role{"team-a": core.RoleEditor}})
	m.tokens["other-admin"], _ = mk(core.APIToken{Name: "other-admin", Namespace: "team-b", Roles: map[string]core.Role{"team-b": core.RoleAdmin}})
	m.tokens["admin"], _ = mk(core.APIToken{Name: "admin", Namespace: "team-a", Roles: a})
	_, victim := mk(core.APIToken{Name: "victim", Namespace: "team-a", Roles: map[string]core.Role{"team-a": core.RoleViewer}})
	m.params = map[string]string{"namespace": "team-a", "name": "job", "id": x["id"].(string)}
	m.params["token-id"] = victim
	time.Sleep(time.Until(time.Now().Add(time.Second))) // the expired token's second passes
	return m
}

// url fills an operation's path for team-a's objects.
func (m *matrixFixture) url(op operation) string {
	p := op.path
	name := m.params["name"]
	switch {
	case strings.HasPrefix(p, "/plugins/"):
		name = "plug"
	case strings.HasPrefix(p, "/secrets/"):
		name = "sec"
	}
	id := m.params["id"]
	if strings.HasPrefix(p, "/tokens/") {
		id = m.params["token-id"]
	}
	p = strings.NewReplacer("{namespace}", "team-a", "{name}", name, "{id}", id).Replace(p)
	if !strings.Contains(op.path, "{namespace}") {
		p += "?namespace=team-a"
		if op.id == "preview-schedule" {
			p += "&schedule=%40hourly"
		}
	}
	return p
}

// expect is the outcome the matrix wants of principal calling an
// operation that needs `need`: "401", "403", "404" (the namespace is
// hidden) or "allowed" (anything else: the handler ran).
func expect(principal, need string) string {
	switch principal {
	case "none", "expired", "revoked":
		return "401"
	}
	if need == "any" {
		return "allowed"
	}
	if need == "owner" {
		return "403"
	}
	if principal == "other-admin" {
		return "404"
	}
	order := []string{"viewer", "editor", "admin"}
	if slices.Index(order, principal) >= slices.Index(order, need) {
		return "allowed"
	}
	return "403"
}

// TestAuthorizationMatrix calls every operation of openapi/openapi.yaml as
// no one, an expired token, a revoked token, a viewer, an editor, an admin
// of another namespace and an admin, and checks each outcome.
func TestAuthorizationMatrix(t *testing.T) {
	ops := documentOperations(t)
	for _, op := range ops {
		if _, ok := needs[op.id]; !ok {
			t.Errorf("operation %s (%s %s) has no entry in the authorization matrix: decide who may call it (in api/authz.go and here)", op.id, op.method, op.path)
		}
	}
	if t.Failed() {
		return
	}
	m := newMatrixFixture(t)
	cases := 0
	for _, who := range principals {
		for _, op := range ops {
			want := expect(who, needs[op.id])
			var body any
			if op.body {
				body = "{}"
			}
			r := m.do(op.method, m.url(op), body, "Authorization", bearer(m.tokens[who]))
			cases++
			got := "allowed"
			switch {
			case r.code == http.StatusUnauthorized:
				got = "401"
			case r.code == http.StatusForbidden:
				got = "403"
			case r.code == http.StatusNotFound && strings.Contains(string(r.body), `"detail":"namespace \"team-a\" not found"`):
				got = "404"
			case r.code == http.StatusInternalServerError && strings.Contains(string(r.body), "no access policy"):
				got = "no policy"
			}
			if got != want {
				t.Errorf("%s as %s: got %s (%d %s), want %s", op.id, who, got, r.code, r.body, want)
			}
			if got == "401" && r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s as %s: 401 without WWW-Authenticate", op.id, who)
			}
		}
	}
	t.Logf("authorization matrix: %d operations × %d principals = %d calls", len(ops), len(principals), cases)
}

// bearer is the Authorization header of token; "" sends none.
func bearer(token string) string {
	if token == "" {
		return ""
	}
	return "Bearer " + token
}

// TestNamespacesAreIsolated runs two namespaces with the same task names:
// each one's token sees and runs its own, and the other's objects are not
// found, with the very answer a namespace that does not exist gives.
func TestNamespacesAreIsolated(t *testing.T) {
	f := newFixture(t)
	key := f.auth.HashKey()
	tok := map[string]string{}
	for _, ns := range []string{"red", "blue"} {
		f.do("POST", "/namespaces", map[string]any{"name": ns}).want(t, http.StatusCreated)
		tok[ns] = storeToken(t, f.st, key, core.APIToken{Name: ns + "-editor", Namespace: ns, Roles: map[string]core.Role{ns: core.RoleEditor}})
		as := func(method, path string, body any) response {
			return f.do(method, path, body, "Authorization", "Bearer "+tok[ns])
		}
		as("POST", "/tasks", map[string]any{"name": "backup", "schedule": "@every 1h", "executor": "http", "config": map[string]any{"url": ns}}).want(t, http.StatusCreated)
		x := as("POST", "/tasks/backup/trigger", nil).want(t, http.StatusAccepted).json(t)
		waitFor(t, f, x["id"].(string)+"?namespace="+ns, "succeeded")
	}
	for ns, other := range map[string]string{"red": "blue", "blue": "red"} {
		as := func(method, path string) response {
			return f.do(method, path, nil, "Authorization", "Bearer "+tok[ns])
		}
		// Its own, by default and by name.
		got := as("GET", "/tasks/backup").want(t, http.StatusOK).json(t)
		if got["namespace"] != ns || fmt.Sprint(got["config"]) != fmt.Sprint(map[string]any{"url": ns}) {
			t.Errorf("%s's backup task reads %v", ns, got)
		}
		list := as("GET", "/namespaces").want(t, http.StatusOK).json(t)["namespaces"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["name"] != ns {
			t.Errorf("%s lists namespaces %v", ns, list)
		}
		execs := as("GET", "/executions").want(t, http.StatusOK).json(t)["executions"].([]any)
		if len(execs) != 1 {
			t.Errorf("%s lists %d executions, want its 1", ns, len(execs))
		}
		otherExec := f.do("GET", "/executions?namespace="+other, nil).want(t, http.StatusOK).json(t)["executions"].([]any)[0].(map[string]any)["id"].(string)
		// The other's: every read and write answers as for a namespace that does not exist.
		for _, probe := range []struct{ method, path string }{
			{"GET", "/tasks/backup"},
			{"GET", "/tasks"},
			{"DELETE", "/tasks/backup"},
			{"POST", "/tasks/backup/trigger"},
			{"GET", "/executions/" + otherExec},
			{"GET", "/executions/" + otherExec + "/logs"},
			{"GET", "/secrets"},
			{"GET", "/plugins"},
		} {
			theirs := as(probe.method, probe.path+sep(probe.path)+"namespace="+other)
			nowhere := as(probe.method, probe.path+sep(probe.path)+"namespace=no-such-ns")
			if theirs.code != http.StatusNotFound || string(theirs.body) != strings.ReplaceAll(string(nowhere.body), "no-such-ns", other) {
				t.Errorf("%s %s in %s as %s: %d %s; a missing namespace gives %d %s", probe.method, probe.path, other, ns, theirs.code, theirs.body, nowhere.code, nowhere.body)
			}
		}
		// An execution ID of the other namespace, asked in its own: not found.
		as("GET", "/executions/"+otherExec).want(t, http.StatusNotFound)
		if n := f.do("GET", "/namespaces/"+other, nil, "Authorization", "Bearer "+tok[ns]); n.code != http.StatusNotFound {
			t.Errorf("get-namespace %s as %s: %d", other, ns, n.code)
		}
	}
	// Both tasks still exist: neither token could delete the other's.
	for _, ns := range []string{"red", "blue"} {
		if _, err := f.st.TaskGetByName(t.Context(), ns, "backup"); err != nil {
			t.Errorf("task backup of %s: %v", ns, err)
		}
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}
