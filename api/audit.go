package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// maxAuditBody bounds what of a response is kept as an event's "after".
const maxAuditBody = 256 << 10

// auditKinds maps the first segment of an operation's path to the kind of
// object it changes.
var auditKinds = map[string]string{
	"namespaces": "namespace", "tasks": "task", "executions": "execution",
	"plugins": "plugin", "secrets": "secret", "tokens": "token",
	"mq-connections": "mq_connection",
}

// audit records every change made through the API: each operation that
// is not a GET and succeeded, with who made it (the principal), where
// from (the client address), the object, and the object before (read
// from the store) and after (the response, as the API shows it). Neither
// holds a secret value: no API response carries one, and the token of
// create-token is left out. Refused requests are logged, not audited.
func (s *server) audit(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op.Method == http.MethodGet {
		next(ctx)
		return
	}
	p := PrincipalFrom(ctx.Context())
	kind, target := auditObject(ctx)
	ns, _ := namespaceOf(ctx)
	if kind == "namespace" {
		ns = target
	}
	before := s.snapshot(ctx.Context(), kind, ns, target)
	tee := &teeContext{humaContext: ctx}
	next(tee)
	status := ctx.Status()
	if status == 0 {
		status = http.StatusOK
	}
	if status >= 400 {
		return
	}
	after := tee.body()
	if op.OperationID == "create-token" {
		after = field(after, "detail") // never the token itself
	}
	if target == "" { // a create: the new object's name or ID
		target = objectName(after)
		if kind == "namespace" {
			ns = target
		}
	}
	e := core.AuditEvent{
		At: time.Now(), Namespace: ns, Actor: p.Actor(), Action: op.OperationID, Kind: kind, Target: target,
		Remote: remoteHost(ctx.RemoteAddr()), Status: status, Before: before, After: after,
	}
	// The change is made: record it even if the client has gone.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx.Context()), 5*time.Second)
	defer cancel()
	if _, err := s.cfg.Store.AuditAppend(actx, e); err != nil {
		s.log.Error("record an audit event", "action", e.Action, "kind", kind, "target", target, "actor", e.Actor, "err", err)
	}
}

// auditObject returns the kind of object an operation changes and its
// name or ID from the path ("" for a create).
func auditObject(ctx huma.Context) (kind, target string) {
	path := strings.TrimPrefix(strings.TrimPrefix(ctx.Operation().Path, Prefix), "/")
	first, rest, _ := strings.Cut(path, "/")
	kind = auditKinds[first]
	if kind == "" {
		kind = first
	}
	if param, _, _ := strings.Cut(rest, "/"); strings.HasPrefix(param, "{") {
		target = ctx.Param(strings.Trim(param, "{}"))
	}
	return kind, target
}

// snapshot is the object as the API shows it, or nil when there is none.
func (s *server) snapshot(ctx context.Context, kind, ns, target string) json.RawMessage {
	if target == "" {
		return nil
	}
	var v any
	var err error
	switch kind {
	case "task":
		var t core.Task
		if t, err = s.cfg.Store.TaskGetByName(ctx, ns, target); err == nil {
			v = taskOut(t)
		}
	case "namespace":
		var n core.Namespace
		if n, err = s.cfg.Store.NamespaceGet(ctx, target); err == nil {
			v = namespaceOut(n)
		}
	case "plugin":
		var pl core.Plugin
		if pl, err = s.cfg.Store.PluginGet(ctx, ns, target); err == nil {
			v = pluginOut(pl)
		}
	case "secret":
		var sec core.Secret
		if sec, err = s.cfg.Store.SecretGet(ctx, ns, target); err == nil {
			v = secretOut(sec) // name and key ID: never the value
		}
	case "mq_connection":
		var c core.MQConnection
		if c, err = s.cfg.Store.MQConnectionGet(ctx, ns, target); err == nil {
			v = mqConnectionOut(c) // a secret's name, never a password
		}
	case "token":
		var t core.APIToken
		if t, err = s.cfg.Store.TokenGet(ctx, target); err == nil {
			v = tokenOut(t)
		}
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// field returns the member name of a JSON object, or nil.
func field(obj json.RawMessage, name string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return nil
	}
	return m[name]
}

// objectName is the "name" of a created object, else its "id".
func objectName(obj json.RawMessage) string {
	var m struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	}
	if json.Unmarshal(obj, &m) != nil {
		return ""
	}
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}

func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// humaContext lets teeContext embed a huma.Context, whose method Context
// would clash with a field of that name.
type humaContext = huma.Context

// teeContext keeps a copy of the response body, up to maxAuditBody.
type teeContext struct {
	humaContext
	buf      bytes.Buffer
	overflow bool
}

func (c *teeContext) Unwrap() huma.Context { return c.humaContext }

func (c *teeContext) BodyWriter() io.Writer {
	return io.MultiWriter(c.humaContext.BodyWriter(), (*teeWriter)(c))
}

type teeWriter teeContext

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.buf.Len()+len(b) > maxAuditBody {
		w.overflow = true
	} else {
		w.buf.Write(b)
	}
	return len(b), nil
}

// body is the response if it is JSON and was kept whole.
func (c *teeContext) body() json.RawMessage {
	b := bytes.TrimSpace(c.buf.Bytes())
	if c.overflow || len(b) == 0 || !json.Valid(b) {
		return nil
	}
	return json.RawMessage(bytes.Clone(b))
}

// AuditEvent is a change as the audit log shows it.
type AuditEvent struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Namespace string          `json:"namespace,omitempty"`
	Actor     string          `json:"actor" doc:"Who: token:<id> (<name>), cert:<subject> (binding <id>), or anonymous (a --dev server)." example:"token:0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60 (ci-deploy)"`
	Action    string          `json:"action" doc:"The API operation." example:"replace-task"`
	Kind      string          `json:"kind" example:"task"`
	Target    string          `json:"target,omitempty" doc:"The object's name or ID." example:"daily_backup"`
	Remote    string          `json:"remote,omitempty" doc:"The client's address." example:"10.0.3.7"`
	Status    int             `json:"status" doc:"The response's HTTP status."`
	Before    json.RawMessage `json:"before,omitempty" doc:"The object before the change, as the API shows it; absent for a create."`
	After     json.RawMessage `json:"after,omitempty" doc:"The object after the change, as the API returned it; absent for a delete."`
}

// AuditList is a page of audit events, newest first.
type AuditList struct {
	Events []AuditEvent `json:"events"`
	// NextBeforeID, when set, is the before_id of the next page.
	NextBeforeID int64 `json:"next_before_id,omitempty" doc:"Pass as before_id for the next page; absent on the last."`
}

func (s *server) registerAudit(g huma.API) {
	g.OpenAPI().Tags = append(g.OpenAPI().Tags, &huma.Tag{Name: "Audit", Description: "Every change made through the API: who, what, when, from where, before and after."})
	huma.Register(g, huma.Operation{
		OperationID: "list-audit-events", Method: http.MethodGet, Path: "/audit", Tags: []string{"Audit"},
		Summary:     "List audit events",
		Description: "Lists the namespace's changes, newest first, filtered by actor, action, kind, target and time, and paged by before_id.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		Actor    string    `query:"actor" doc:"Only this actor, exactly as events show it."`
		Action   string    `query:"action" doc:"Only this operation, e.g. delete-task."`
		Kind     string    `query:"kind" enum:"namespace,task,execution,plugin,secret,mq_connection,token," doc:"Only changes to this kind of object."`
		Target   string    `query:"target" doc:"Only changes to this object (name or ID)."`
		Since    time.Time `query:"since" doc:"Only events at or after this instant (RFC 3339)."`
		Until    time.Time `query:"until" doc:"Only events before this instant (RFC 3339)."`
		BeforeID int64     `query:"before_id" minimum:"0" doc:"Only events older than this one: next_before_id of the previous page."`
		Limit    int       `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Events per page."`
	},
	) (*struct{ Body AuditList }, error) {
		events, err := s.cfg.Store.AuditList(ctx, store.AuditFilter{
			Namespaces: []string{in.Namespace}, Actor: in.Actor, Action: in.Action, Kind: in.Kind, Target: in.Target,
			Since: in.Since, Until: in.Until, BeforeID: in.BeforeID, Limit: in.Limit,
		})
		if err != nil {
			return nil, problem(fmt.Sprintf("list the audit events of namespace %q", in.Namespace), err)
		}
		out := AuditList{Events: make([]AuditEvent, len(events))}
		for i, e := range events {
			out.Events[i] = AuditEvent{
				ID: e.ID, At: e.At, Namespace: e.Namespace, Actor: e.Actor, Action: e.Action, Kind: e.Kind, Target: e.Target,
				Remote: e.Remote, Status: e.Status, Before: e.Before, After: e.After,
			}
		}
		if len(events) == in.Limit && len(events) > 0 {
			out.NextBeforeID = events[len(events)-1].ID
		}
		return &struct{ Body AuditList }{out}, nil
	})
}
