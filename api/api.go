// Package api is Kronos's REST API under /api/v1, defined with huma v2 so
// that the OpenAPI 3.1 document is generated from the code. The CLI and
// the web UI are clients of this same API.
//
// Conventions every operation follows:
//
//   - Every operation needs a credential: an API token as
//     "Authorization: Bearer kro_…", or a client certificate bound to
//     roles (see auth.go); a --dev server on loopback also lets requests
//     without one act as owner. Each operation has an access policy
//     (authz.go): the role it needs in the request's namespace.
//   - The namespace is the `namespace` query parameter, the principal's
//     default namespace when absent. A namespace the principal has no
//     role in is not found (404), whether it exists or not.
//   - Tasks are addressed by name within their namespace.
//   - Durations are Go duration strings ("30s", "5m", "1h30m").
//   - Errors are RFC 9457 problem documents (application/problem+json):
//     422 with one entry per invalid field whose location is the JSON
//     path of the field ("body.schedule", "body.config.url"), 404 for a
//     missing namespace, task or execution, 409 for a name taken, a stale
//     version, or a namespace, plugin or MQ connection still in use.
//   - Writes that change a task reach the engine at once: the next fire
//     follows the new schedule without a restart.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// APIVersion is info.version of the OpenAPI document: the version of the
// API's contract (its major is the v1 of [Prefix]), not of the build, so
// that the committed openapi/openapi.yaml does not change with every build.
const APIVersion = "1.0.0"

// MaxBodyBytes bounds a request body (a task with its config; plugin
// uploads have their own, larger limit).
const MaxBodyBytes = 1 << 20

// Scheduler is the engine as the API sees it.
type Scheduler interface {
	// Upsert tells the engine a task was created or changed.
	Upsert(t core.Task, settings core.NamespaceSettings)
	// Remove tells the engine a task was deleted.
	Remove(taskID string)
	// UpdateNamespace tells the engine a namespace's settings (its Wasm
	// limits, network policy and quotas) changed.
	UpdateNamespace(name string, settings core.NamespaceSettings)
	// Trigger runs a task now, with an optional config override.
	Trigger(ctx context.Context, t core.Task, settings core.NamespaceSettings, config json.RawMessage) (core.Execution, error)
	// Cancel cancels an execution running on this node.
	Cancel(executionID string) bool
}

// ConfigValidator checks a task's executor and config (the Wasm host's
// executor: the plugin exists and its config matches its schema).
type ConfigValidator interface {
	ValidateConfig(ctx context.Context, t core.Task) error
}

// Config configures the API.
type Config struct {
	// Store keeps everything. Required.
	Store store.Store
	// Scheduler hears of task changes and runs triggers. Required.
	Scheduler Scheduler
	// Validator checks executor configs; nil skips the check.
	Validator ConfigValidator
	// Plugins installs uploaded plugins and names the built-in ones; nil
	// refuses uploads and lists stored plugins only.
	Plugins PluginInstaller
	// Secrets seals secret values; nil refuses put-secret.
	Secrets SecretSealer
	// MQ tests MQ connections (the Wasm host's executor); nil refuses
	// test-mq-connection.
	MQ MQTester
	// Node describes this node for get-node.
	Node NodeInfo
	// Stats is the engine's view of its work, for get-node; nil uses the
	// Scheduler's, if it has one.
	Stats StatsSource
	// Members lists a cluster's live nodes; nil (embedded mode) lists this
	// node alone.
	Members Members
	// Auth authenticates every request; nil refuses every request (for a
	// document-only API such as kronos openapi's).
	Auth *Authenticator
	// RateLimit bounds each principal's requests on this node; the zero
	// value is no limit.
	RateLimit RateLimit
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// server holds the API's dependencies.
type server struct {
	cfg    Config
	log    *slog.Logger
	limits *limiters
}

// New registers the API on mux, with the OpenAPI document at
// /openapi.json and /openapi.yaml and its reference at /docs, and returns
// it (for the document).
func New(mux *http.ServeMux, cfg Config) huma.API {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	hc := huma.DefaultConfig("Kronos", APIVersion)
	hc.Info.Description = "A distributed task scheduler whose executors are sandboxed WebAssembly plugins. " +
		"Every operation lives under " + Prefix + "; errors are RFC 9457 problem documents."
	hc.Info.Contact = &huma.Contact{Name: "Kronos", URL: "https://github.com/shiyu-coder/kronos"}
	hc.Servers = []*huma.Server{{URL: "http://localhost:8080", Description: "A local node (just dev)."}}
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {
			Type: "http", Scheme: "bearer", BearerFormat: "kro_ token",
			Description: "An API token (`kronos tokens create`). A client certificate bound to roles " +
				"(`kronos tokens create --subject`) is accepted instead when the server runs with --client-ca.",
		},
	}
	hc.Security = []map[string][]string{{"bearer": {}}}
	hc.OpenAPIPath = "/openapi"
	hc.DocsPath = "/docs"
	hc.SchemasPath = "/schemas"
	// No "$schema" field or Link header in responses: they would name the
	// document's server (localhost:8080) whatever node answers.
	hc.CreateHooks = nil
	hc.Tags = []*huma.Tag{
		{Name: "Namespaces", Description: "Tenants: every task, execution and plugin belongs to one."},
		{Name: "Tasks", Description: "What runs when: a schedule, an executor and its config."},
		{Name: "Executions", Description: "Each run of a task, with its status, result and log lines."},
		{Name: "Schedules", Description: "Schedule expressions, checked and previewed."},
		{Name: "Nodes", Description: "The nodes that run the engine."},
	}
	a := humago.New(mux, hc)
	// A path under /api/ that no operation takes answers a problem, as
	// every API error does, whatever its method (the web UI serves the
	// rest of the paths).
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(huma.ErrorModel{
			Title: http.StatusText(http.StatusNotFound), Status: http.StatusNotFound,
			Detail: fmt.Sprintf("no operation %s %s: the operations are listed at /docs and in /openapi.yaml", r.Method, r.URL.Path),
		})
	})
	s := &server{cfg: cfg, log: cfg.Logger, limits: newLimiters(cfg.RateLimit)}
	g := huma.NewGroup(a, Prefix)
	g.UseModifier(func(op *huma.Operation, next func(*huma.Operation)) {
		if op.MaxBodyBytes == 0 {
			op.MaxBodyBytes = MaxBodyBytes
		}
		// Every operation can be refused for its credential (401), its
		// role (403) or its rate (429).
		// huma has documented op.Errors by now, so the responses are
		// added here too, shaped like the operation's default (a problem).
		for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests} {
			if !slices.Contains(op.Errors, code) {
				op.Errors = append(op.Errors, code)
			}
			key := strconv.Itoa(code)
			if op.Responses[key] != nil {
				continue
			}
			for _, from := range []string{"default", "500"} {
				if r := op.Responses[from]; r != nil {
					op.Responses[key] = &huma.Response{Description: http.StatusText(code), Content: r.Content}
					break
				}
			}
		}
		next(op)
	})
	g.UseMiddleware(s.authorize(a), s.audit)
	s.registerNamespaces(g)
	s.registerTasks(g)
	s.registerPatch(g)
	s.registerExecutions(g)
	s.registerFollow(g)
	s.registerSchedules(g)
	s.registerStats(g)
	s.registerNode(g)
	s.registerPlugins(g)
	s.registerSecrets(g)
	s.registerMQConnections(g)
	s.registerTokens(g)
	s.registerAudit(g)
	return a
}

// NamespaceParam selects the namespace of a request.
type NamespaceParam struct {
	Namespace string `query:"namespace" doc:"The namespace the request acts in; the credential's default namespace when absent." example:"default"`
}

// problem turns an error from the store or the domain into an HTTP
// problem: field errors become 422 with a location per field; the store's
// sentinels become 404 or 409.
func problem(what string, err error) error {
	var ve *core.ValidationError
	var fe *core.FieldError
	switch {
	case errors.As(err, &ve):
		details := make([]error, len(ve.Fields))
		for i, f := range ve.Fields {
			details[i] = &huma.ErrorDetail{Location: bodyPath(f.Field), Message: f.Message}
		}
		return huma.Error422UnprocessableEntity(ve.What+" is invalid", details...)
	case errors.As(err, &fe):
		return huma.Error422UnprocessableEntity(what+": invalid input",
			&huma.ErrorDetail{Location: bodyPath(fe.Field), Message: fe.Message})
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound(what + ": " + err.Error())
	case errors.Is(err, store.ErrAlreadyExists), errors.Is(err, store.ErrConflict),
		errors.Is(err, store.ErrNotEmpty), errors.Is(err, store.ErrInUse):
		return huma.Error409Conflict(what + ": " + err.Error())
	case errors.Is(err, store.ErrQuotaExceeded):
		return huma.Error429TooManyRequests(what + ": " + err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return huma.Error503ServiceUnavailable(what + ": " + err.Error())
	}
	return huma.Error500InternalServerError(what + ": " + err.Error())
}

// bodyPath is the location of a field of the request body.
func bodyPath(field string) string {
	if field == "" {
		return "body"
	}
	if strings.HasPrefix(field, "body") {
		return field
	}
	return "body." + field
}
