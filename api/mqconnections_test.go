package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
	"github.com/shiyu-coder/kronos/sdk/abi"
)

// mqTester records the tests the API asks for and answers with reply.
type mqTester struct {
	mu    sync.Mutex
	calls []mqTestCall
	reply abi.MQPublishResponse
}

type mqTestCall struct {
	settings        core.NamespaceSettings
	namespace, name string
	msg             *abi.MQPublish
}

func (m *mqTester) TestMQ(_ context.Context, settings core.NamespaceSettings, namespace, name string, msg *abi.MQPublish) abi.MQPublishResponse {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, mqTestCall{settings, namespace, name, msg})
	return m.reply
}

// newMQFixture serves the API over a real embedded store, with secrets
// and a recording MQ tester.
func newMQFixture(t *testing.T) (*fixture, *mqTester) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "kronos.db")})
	if err != nil {
		t.Fatal(err)
	}
	authn, vault, owner := newAuthVault(t, st)
	mq := &mqTester{}
	ex := &executor{}
	mux := http.NewServeMux()
	api.New(mux, api.Config{Store: st, Scheduler: idleScheduler{}, Validator: ex, Secrets: vault, MQ: mq, Auth: authn})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		_ = st.Close()
	})
	return &fixture{t: t, url: srv.URL + api.Prefix, st: st, ex: ex, auth: authn, token: owner}, mq
}

func TestMQConnectionLifecycle(t *testing.T) {
	f, _ := newMQFixture(t)
	f.do("PUT", "/secrets/nats-pass", map[string]any{"value": "s3cr3t"}).want(t, http.StatusOK)

	created := f.do("PUT", "/mq-connections/events", map[string]any{
		"description": "the event bus", "url": "nats://nats.internal:4222", "username": "pub",
		"password_secret": "nats-pass", "timeout": "3s", "jetstream": true,
	}).want(t, http.StatusOK).json(t)
	if created["name"] != "events" || created["namespace"] != "default" || created["broker"] != "nats" ||
		created["timeout"] != "3s" || created["jetstream"] != true || created["password_secret"] != "nats-pass" ||
		created["username"] != "pub" || created["description"] != "the event bus" {
		t.Fatalf("created %v", created)
	}
	f.do("PUT", "/mq-connections/cache", map[string]any{"url": "redis://127.0.0.1:6379/0", "max_len": 1000}).want(t, http.StatusOK)

	got := f.do("GET", "/mq-connections/events", nil).want(t, http.StatusOK).json(t)
	if got["url"] != "nats://nats.internal:4222" || got["created_at"] != created["created_at"] {
		t.Fatalf("get %v", got)
	}
	list := f.do("GET", "/mq-connections", nil).want(t, http.StatusOK).json(t)["connections"].([]any)
	var names []string
	for _, c := range list {
		names = append(names, c.(map[string]any)["name"].(string))
	}
	if !slices.Equal(names, []string{"cache", "events"}) {
		t.Fatalf("list names %v", names)
	}
	if c := list[0].(map[string]any); c["broker"] != "redis" || c["max_len"] != float64(1000) || c["timeout"] != nil {
		t.Fatalf("cache lists as %v", c)
	}

	// A replace keeps created_at and drops what it leaves out.
	replaced := f.do("PUT", "/mq-connections/events", map[string]any{"url": "nats://other:4222"}).want(t, http.StatusOK).json(t)
	if replaced["created_at"] != created["created_at"] || replaced["password_secret"] != nil || replaced["jetstream"] != nil {
		t.Fatalf("replaced %v (created %v)", replaced, created)
	}

	f.do("DELETE", "/mq-connections/events", nil).want(t, http.StatusNoContent)
	f.do("GET", "/mq-connections/events", nil).want(t, http.StatusNotFound)
	f.do("DELETE", "/mq-connections/events", nil).want(t, http.StatusNotFound)
	// Another namespace's, or one that does not exist.
	f.do("GET", "/mq-connections?namespace=nowhere", nil).want(t, http.StatusNotFound)
	f.do("PUT", "/mq-connections/x?namespace=nowhere", map[string]any{"url": "nats://a:1"}).want(t, http.StatusNotFound)

	// Each change is audited, before and after as the API shows them.
	events := f.do("GET", "/audit?kind=mq_connection&target=events", nil).want(t, http.StatusOK).json(t)["events"].([]any)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if !slices.Equal(actions, []string{"delete-mq-connection", "put-mq-connection", "put-mq-connection"}) {
		t.Fatalf("audit actions %v", actions)
	}
	del, rep, first := events[0].(map[string]any), events[1].(map[string]any), events[2].(map[string]any)
	if first["before"] != nil || first["after"].(map[string]any)["url"] != "nats://nats.internal:4222" {
		t.Errorf("create audited as %v", first)
	}
	if rep["before"].(map[string]any)["password_secret"] != "nats-pass" || rep["after"].(map[string]any)["url"] != "nats://other:4222" {
		t.Errorf("replace audited as %v", rep)
	}
	if del["before"].(map[string]any)["url"] != "nats://other:4222" || del["after"] != nil || del["status"] != float64(204) {
		t.Errorf("delete audited as %v", del)
	}
}

func TestMQConnectionValidationNamesTheField(t *testing.T) {
	f, _ := newMQFixture(t)
	f.do("PUT", "/secrets/present", map[string]any{"value": "v"}).want(t, http.StatusOK)
	cases := []struct {
		name, conn string
		body       map[string]any
		want       []string
		message    string
	}{
		{"password in the URL", "a", map[string]any{"url": "amqp://guest:guest@rabbit:5672/"}, []string{"body.url"}, "carries a password"},
		{"unknown scheme", "a", map[string]any{"url": "kafka://k:9092"}, []string{"body.url"}, "has scheme"},
		{"empty url", "a", map[string]any{"url": ""}, []string{"body.url"}, "is required"},
		{"missing url", "a", map[string]any{}, []string{"body.url"}, ""},
		{"unparsable timeout", "a", map[string]any{"url": "nats://n:4222", "timeout": "soon"}, []string{"body.timeout"}, "not a duration"},
		{"timeout over a minute", "a", map[string]any{"url": "nats://n:4222", "timeout": "2m"}, []string{"body.timeout"}, ""},
		{"jetstream on redis", "a", map[string]any{"url": "redis://r:6379", "jetstream": true}, []string{"body.jetstream"}, "nats://"},
		{"max_len on nats", "a", map[string]any{"url": "nats://n:4222", "max_len": 5}, []string{"body.max_len"}, "redis://"},
		{"bad CA", "a", map[string]any{"url": "mqtts://m:8883", "ca_pem": "nope"}, []string{"body.ca_pem"}, "PEM"},
		{"bad name", "Bad_Name!", map[string]any{"url": "nats://n:4222"}, []string{"path.name"}, ""},
		{
			"missing password secret", "a",
			map[string]any{"url": "nats://n:4222", "password_secret": "absent"},
			[]string{"body.password_secret"},
			`secret "absent" does not exist in namespace "default": create it first with kronos secrets set absent`,
		},
		{
			"every error at once", "a",
			map[string]any{"url": "redis://u:p@r:6379", "timeout": "x", "password_secret": "absent", "client_id": "c"},
			[]string{"body.client_id", "body.password_secret", "body.timeout", "body.url"},
			"",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do("PUT", "/mq-connections/"+c.conn, c.body).want(t, http.StatusUnprocessableEntity)
			got := r.locations(t)
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("locations %v, want %v: %s", got, c.want, r.body)
			}
			if !strings.Contains(r.detail(t), c.message) {
				t.Errorf("detail %q does not say %q", r.detail(t), c.message)
			}
		})
	}
	// Nothing was stored.
	if list := f.do("GET", "/mq-connections", nil).want(t, http.StatusOK).json(t)["connections"].([]any); len(list) != 0 {
		t.Fatalf("stored %v", list)
	}
	// The secret that exists is accepted.
	f.do("PUT", "/mq-connections/a", map[string]any{"url": "nats://n:4222", "username": "u", "password_secret": "present"}).want(t, http.StatusOK)
}

func TestMQConnectionDeleteInUse(t *testing.T) {
	f, _ := newMQFixture(t)
	for _, name := range []string{"bus", "other"} {
		f.do("PUT", "/mq-connections/"+name, map[string]any{"url": "nats://n:4222"}).want(t, http.StatusOK)
	}
	for _, task := range []struct{ name, executor, conn string }{
		{"publish-a", "mq", "bus"}, {"publish-b", "mq", "bus"}, {"publish-other", "mq", "other"}, {"not-mq", "http", "bus"},
	} {
		f.do("POST", "/tasks", map[string]any{"name": task.name, "executor": task.executor, "config": map[string]any{"connection": task.conn, "topic": "t"}}).
			want(t, http.StatusCreated)
	}
	r := f.do("DELETE", "/mq-connections/bus", nil).want(t, http.StatusConflict)
	if d := r.detail(t); !strings.Contains(d, `"publish-a", "publish-b"`) || strings.Contains(d, "not-mq") || !strings.Contains(d, "force=true") {
		t.Fatalf("conflict says %q", d)
	}
	f.do("GET", "/mq-connections/bus", nil).want(t, http.StatusOK)
	f.do("DELETE", "/mq-connections/bus?force=true", nil).want(t, http.StatusNoContent)
	f.do("GET", "/mq-connections/bus", nil).want(t, http.StatusNotFound)
	// other's task is gone: nothing holds it any more.
	f.do("DELETE", "/tasks/publish-other", nil).want(t, http.StatusNoContent)
	f.do("DELETE", "/mq-connections/other", nil).want(t, http.StatusNoContent)
}

func TestMQConnectionTest(t *testing.T) {
	f, mq := newMQFixture(t)
	f.do("POST", "/namespaces", map[string]any{"name": "team", "settings": map[string]any{"network": map[string]any{"allow_private": true}}}).
		want(t, http.StatusCreated)
	f.do("PUT", "/mq-connections/bus?namespace=team", map[string]any{"url": "redis://127.0.0.1:6379"}).want(t, http.StatusOK)

	// Without a body it only connects, under the namespace's settings.
	mq.reply = abi.MQPublishResponse{Broker: "redis", DurationMS: 3}
	got := f.do("POST", "/mq-connections/bus/test?namespace=team", nil).want(t, http.StatusOK).json(t)
	if got["ok"] != true || got["broker"] != "redis" || got["duration_ms"] != float64(3) || got["error"] != nil {
		t.Fatalf("connect-only test %v", got)
	}
	// With a topic it publishes one message.
	mq.reply = abi.MQPublishResponse{Broker: "redis", ID: "1-0", DurationMS: 4}
	got = f.do("POST", "/mq-connections/bus/test?namespace=team", map[string]any{
		"topic": "s", "payload": "hi", "headers": map[string]string{"k": "v"}, "key": "id-1", "qos": 0,
	}).want(t, http.StatusOK).json(t)
	if got["ok"] != true || got["id"] != "1-0" {
		t.Fatalf("publish test %v", got)
	}
	// A broker's failure is ok false, not an HTTP error; the broker falls
	// back to the connection's.
	mq.reply = abi.MQPublishResponse{DurationMS: 7, Error: &abi.MQError{Kind: "connect", Message: "dial tcp 127.0.0.1:1: connection refused"}}
	got = f.do("POST", "/mq-connections/bus/test?namespace=team", map[string]any{}).want(t, http.StatusOK).json(t)
	if e, _ := got["error"].(map[string]any); got["ok"] != false || got["broker"] != "redis" || e["kind"] != "connect" || !strings.Contains(e["message"].(string), "refused") {
		t.Fatalf("failed test %v", got)
	}

	mq.mu.Lock()
	calls := slices.Clone(mq.calls)
	mq.mu.Unlock()
	if len(calls) != 3 {
		t.Fatalf("%d calls", len(calls))
	}
	if c := calls[0]; c.namespace != "team" || c.name != "bus" || c.msg != nil || !c.settings.Network.AllowPrivate {
		t.Errorf("connect-only call %+v", c)
	}
	if m := calls[1].msg; m == nil || m.Connection != "bus" || m.Topic != "s" || m.Payload != "hi" || m.Headers["k"] != "v" || m.Key != "id-1" || m.QoS == nil || *m.QoS != 0 {
		t.Errorf("publish call %+v", m)
	}
	if calls[2].msg != nil {
		t.Errorf("an empty body published %+v", calls[2].msg)
	}

	// Message fields without a topic, an unknown connection, a bad QoS.
	r := f.do("POST", "/mq-connections/bus/test?namespace=team", map[string]any{"payload": "hi"}).want(t, http.StatusUnprocessableEntity)
	if l := r.locations(t); !slices.Equal(l, []string{"body.topic"}) {
		t.Errorf("payload without topic: %v", l)
	}
	f.do("POST", "/mq-connections/nope/test?namespace=team", nil).want(t, http.StatusNotFound)
	f.do("POST", "/mq-connections/bus/test?namespace=team", map[string]any{"topic": "t", "qos": 3}).want(t, http.StatusUnprocessableEntity)
	if n := len(mq.calls); n != 3 {
		t.Errorf("refused tests reached the tester: %d calls", n)
	}
	// Tests are audited: who published what, and the outcome.
	events := f.do("GET", "/audit?namespace=team&action=test-mq-connection", nil).want(t, http.StatusOK).json(t)["events"].([]any)
	if len(events) != 3 || events[0].(map[string]any)["kind"] != "mq_connection" || events[0].(map[string]any)["target"] != "bus" {
		t.Errorf("test audit events %v", events)
	}
}

func TestMQConnectionRoles(t *testing.T) {
	f, _ := newMQFixture(t)
	key := f.auth.HashKey()
	f.do("PUT", "/mq-connections/bus", map[string]any{"url": "nats://n:4222"}).want(t, http.StatusOK)
	token := func(role core.Role) string {
		return "Bearer " + storeToken(t, f.st, key, core.APIToken{Name: string(role), Namespace: core.DefaultNamespace, Roles: map[string]core.Role{core.DefaultNamespace: role}})
	}
	viewer, editor := token(core.RoleViewer), token(core.RoleEditor)
	f.do("GET", "/mq-connections", nil, "Authorization", viewer).want(t, http.StatusOK)
	f.do("GET", "/mq-connections/bus", nil, "Authorization", viewer).want(t, http.StatusOK)
	for _, op := range []struct{ method, path string }{
		{"PUT", "/mq-connections/bus"}, {"DELETE", "/mq-connections/bus"}, {"POST", "/mq-connections/bus/test"},
	} {
		f.do(op.method, op.path, map[string]any{"url": "nats://n:4222"}, "Authorization", viewer).want(t, http.StatusForbidden)
	}
	f.do("PUT", "/mq-connections/bus2", map[string]any{"url": "nats://n:4222"}, "Authorization", editor).want(t, http.StatusOK)
	f.do("POST", "/mq-connections/bus2/test", nil, "Authorization", editor).want(t, http.StatusOK)
	f.do("DELETE", "/mq-connections/bus2", nil, "Authorization", editor).want(t, http.StatusNoContent)
}

// An mq task that names a connection the namespace lacks is refused when
// saved, at config.connection, saying how to create it.
func TestMQTaskNamesAMissingConnection(t *testing.T) {
	f, _ := newMQFixture(t)
	task := map[string]any{"name": "publish", "executor": "mq", "config": map[string]any{"connection": "bus", "topic": "t"}}
	r := f.do("POST", "/tasks", task).want(t, http.StatusUnprocessableEntity)
	if b := string(r.body); !strings.Contains(b, "body.config.connection") || !strings.Contains(b, "kronos mq create bus") {
		t.Fatalf("problem %s", b)
	}
	f.do("PUT", "/mq-connections/bus", map[string]any{"url": "nats://n:4222"}).want(t, http.StatusOK)
	f.do("POST", "/tasks", task).want(t, http.StatusCreated)
}
