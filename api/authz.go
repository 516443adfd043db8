package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/shiyu-coder/kronos/core"
)

// policy is who may call an operation.
type policy struct {
	// role is what the principal needs in the request's namespace (the
	// `namespace` query parameter, or the {namespace} path parameter); ""
	// for operations that act in no namespace, which any principal may
	// call.
	role core.Role
	// owner limits the operation to owners (cluster-wide changes).
	owner bool
}

var (
	anyPrincipal = policy{}
	viewer       = policy{role: core.RoleViewer}
	editor       = policy{role: core.RoleEditor}
	admin        = policy{role: core.RoleAdmin}
	ownerOnly    = policy{owner: true}
)

// policies is the access policy of every operation, by operation ID. An
// operation missing here is refused to everyone with 500, and the
// authorization matrix test fails, so that no endpoint is born open.
var policies = map[string]policy{
	// Namespaces: owners create and delete them; admins change their own.
	"create-namespace":  ownerOnly,
	"list-namespaces":   anyPrincipal, // lists those the principal has a role in
	"get-namespace":     viewer,
	"replace-namespace": admin, // quotas: owners only (checked in the handler)
	"delete-namespace":  ownerOnly,

	"create-task":  editor,
	"list-tasks":   viewer,
	"get-task":     viewer,
	"replace-task": editor,
	"patch-task":   editor,
	"delete-task":  editor,
	"pause-task":   editor,
	"resume-task":  editor,
	"trigger-task": editor,
	"preview-task": viewer,

	"list-executions":       viewer,
	"list-task-executions":  viewer,
	"get-execution":         viewer,
	"cancel-execution":      editor,
	"retry-execution":       editor,
	"get-execution-logs":    viewer,
	"get-task-logs":         viewer,
	"follow-execution-logs": viewer,
	"get-execution-stats":   viewer,

	"upload-plugin": editor,
	"list-plugins":  viewer,
	"get-plugin":    viewer,
	"delete-plugin": editor,

	"put-secret":    admin,
	"list-secrets":  admin,
	"delete-secret": admin,

	// MQ connections hold no password (only its secret's name): viewers
	// read them; editors, who write the tasks that name them, change and
	// test them, as they upload plugins.
	"put-mq-connection":    editor,
	"list-mq-connections":  viewer,
	"get-mq-connection":    viewer,
	"delete-mq-connection": editor,
	"test-mq-connection":   editor, // it may publish a message

	"create-token":  admin, // and no more than the creator holds (checked in the handler)
	"list-tokens":   admin,
	"revoke-token":  admin,
	"get-principal": anyPrincipal,

	"list-audit-events": admin,

	"preview-schedule": anyPrincipal,
	"get-node":         anyPrincipal,
	"list-nodes":       anyPrincipal,
}

// namespaceOf returns the namespace an operation acts in, and whether it
// comes from the path ({namespace}) rather than the query.
func namespaceOf(ctx huma.Context) (ns string, inPath bool) {
	if strings.Contains(ctx.Operation().Path, "{namespace}") {
		return ctx.Param("namespace"), true
	}
	return ctx.Query("namespace"), false
}

// authorize authenticates every operation's request, applies the
// principal's rate limit, and checks its role in the request's namespace
// against the operation's policy. A namespace in which the principal has
// no role is reported as not found, whether it exists or not, so that
// names do not leak across tenants. A request without a namespace acts in
// the principal's default namespace.
func (s *server) authorize(a huma.API) func(ctx huma.Context, next func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		pol, ok := policies[op.OperationID]
		if !ok {
			s.log.Error("operation without an access policy: refused", "operation", op.OperationID)
			_ = huma.WriteErr(a, ctx, http.StatusInternalServerError, fmt.Sprintf("operation %s has no access policy yet; it is refused to everyone", op.OperationID))
			return
		}
		if s.cfg.Auth == nil {
			_ = huma.WriteErr(a, ctx, http.StatusInternalServerError, "this API was built without an authenticator; it refuses every request")
			return
		}
		r, _ := humago.Unwrap(ctx)
		p, err := s.cfg.Auth.Authenticate(ctx.Context(), r)
		if err != nil {
			if ae := (*AuthError)(nil); errors.As(err, &ae) {
				ctx.SetHeader("WWW-Authenticate", `Bearer realm="kronos"`)
				_ = huma.WriteErr(a, ctx, http.StatusUnauthorized, ae.Reason)
				return
			}
			s.log.Error("authenticate a request", "operation", op.OperationID, "err", err)
			_ = huma.WriteErr(a, ctx, http.StatusServiceUnavailable, "could not check the credentials: "+err.Error())
			return
		}
		if wait, ok := s.limits.allow(p); !ok {
			ctx.SetHeader("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			_ = huma.WriteErr(a, ctx, http.StatusTooManyRequests, fmt.Sprintf(
				"%s made more than %g requests per second (burst %d); retry after %s", p.Actor(), s.limits.perSecond, s.limits.burst, wait.Round(1e6)))
			return
		}
		switch {
		case pol.owner:
			if !p.Owner {
				_ = huma.WriteErr(a, ctx, http.StatusForbidden, fmt.Sprintf("%s is not an owner; %s needs the cluster-wide owner role", p.Actor(), op.OperationID))
				return
			}
		case pol.role != "":
			ns, inPath := namespaceOf(ctx)
			if ns == "" && !inPath {
				ns = p.Namespace
				q := r.URL.Query()
				q.Set("namespace", ns)
				r.URL.RawQuery = q.Encode()
			}
			role, ok := p.Role(ns)
			if !ok {
				_ = huma.WriteErr(a, ctx, http.StatusNotFound, fmt.Sprintf("namespace %q not found", ns))
				return
			}
			if !role.Includes(pol.role) {
				_ = huma.WriteErr(a, ctx, http.StatusForbidden, fmt.Sprintf("%s is %s in namespace %q; %s needs %s", p.Actor(), role, ns, op.OperationID, pol.role))
				return
			}
		}
		next(huma.WithValue(ctx, principalKey{}, p))
	}
}
