package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// WasmSettingsBody bounds each plugin call of a namespace; zero fields keep
// the server's defaults.
type WasmSettingsBody struct {
	MemoryPages          uint32 `json:"memory_pages,omitempty" doc:"Most 64 KiB pages a plugin may use, 16 to 65536."`
	MaxTimeout           string `json:"max_timeout,omitempty" doc:"Caps every task's timeout in the namespace (Go duration)." example:"10m"`
	MaxOutputBytes       int    `json:"max_output_bytes,omitempty"`
	MaxLogBytes          int    `json:"max_log_bytes,omitempty"`
	MaxHTTPResponseBytes int64  `json:"max_http_response_bytes,omitempty"`
	MaxKVValueBytes      int    `json:"max_kv_value_bytes,omitempty"`
}

// NamespaceSettingsBody are a namespace's limits, network policy and
// quotas.
type NamespaceSettingsBody struct {
	Wasm    WasmSettingsBody     `json:"wasm,omitzero"`
	Network core.NetworkSettings `json:"network,omitzero"`
	Quotas  QuotaSettingsBody    `json:"quotas,omitzero"`
}

// QuotaSettingsBody bounds what a namespace may hold and run; 0 is no
// limit beyond the server's. Exceeding one is a 429 (a 422 for a plugin's
// size) whose detail names it. The log bytes of one execution are bounded
// by wasm.max_log_bytes.
type QuotaSettingsBody struct {
	MaxTasks                int   `json:"max_tasks,omitempty" doc:"Most tasks the namespace may hold; creating one more is refused with 429." example:"1000"`
	MaxConcurrentExecutions int   `json:"max_concurrent_executions,omitempty" doc:"Most executions of the namespace running at once on one node; the rest wait. Lowers, never raises, the node's --namespace-workers." example:"8"`
	MaxExecutionsPerMinute  int   `json:"max_executions_per_minute,omitempty" doc:"Most executions of the namespace starting in any minute on one node, retries and manual triggers included. A scheduled fire or retry beyond it is recorded skipped, naming the quota; a trigger beyond it is refused with 429." example:"600"`
	MaxPlugins              int   `json:"max_plugins,omitempty" doc:"Most plugins the namespace may hold; uploading a new one beyond it is refused with 429 (replacing one is not)." example:"20"`
	MaxPluginBytes          int64 `json:"max_plugin_bytes,omitempty" doc:"Largest plugin module the namespace may upload, at most the server's 32 MiB; a larger one is refused with 422." example:"8388608"`
}

// NamespaceInput is a namespace as written by a client.
type NamespaceInput struct {
	Name        string                `json:"name,omitempty" doc:"Lower-case letters, digits, '_' and '-'. Required to create; on replace, the path names the namespace." example:"team-a"`
	Description string                `json:"description,omitempty"`
	Settings    NamespaceSettingsBody `json:"settings,omitzero"`
}

// Namespace is a namespace as the API returns it.
type Namespace struct {
	Name        string                `json:"name"`
	Description string                `json:"description,omitempty"`
	Settings    NamespaceSettingsBody `json:"settings"`
	Version     int64                 `json:"version"`
	CreatedAt   time.Time             `json:"created_at"`
	UpdatedAt   time.Time             `json:"updated_at"`
	Usage       *NamespaceUsage       `json:"usage,omitempty" readOnly:"true" doc:"What the namespace holds and runs now, against settings.quotas. In list-namespaces and get-namespace only."`
}

// NamespaceUsage is what a namespace holds and runs, cluster-wide, as the
// store counts it.
type NamespaceUsage struct {
	Tasks                int `json:"tasks" doc:"Tasks it holds (quota: max_tasks)."`
	Plugins              int `json:"plugins" doc:"Plugins uploaded to it."`
	RunningExecutions    int `json:"running_executions" doc:"Executions running now on any node (quota: max_concurrent_executions, which each node applies to its own)."`
	ExecutionsLastMinute int `json:"executions_last_minute" doc:"Executions whose instant falls in the last minute (quota: max_executions_per_minute, which each node applies to its own)."`
}

// withUsage returns out with the namespace's usage filled in.
func (s *server) withUsage(ctx context.Context, out Namespace) (Namespace, error) {
	u, err := s.cfg.Store.NamespaceUsage(ctx, out.Name, time.Now().Add(-time.Minute))
	if err != nil {
		return out, err
	}
	out.Usage = &NamespaceUsage{Tasks: u.Tasks, Plugins: u.Plugins, RunningExecutions: u.Running, ExecutionsLastMinute: u.ExecutionsSince}
	return out, nil
}

func (in *NamespaceInput) namespace() (core.Namespace, error) {
	var errs []*core.FieldError
	ns := core.Namespace{Name: in.Name, Description: in.Description, Settings: core.NamespaceSettings{
		Wasm: core.WasmSettings{
			MemoryPages: in.Settings.Wasm.MemoryPages, MaxOutputBytes: in.Settings.Wasm.MaxOutputBytes,
			MaxLogBytes: in.Settings.Wasm.MaxLogBytes, MaxHTTPResponseBytes: in.Settings.Wasm.MaxHTTPResponseBytes,
			MaxKVValueBytes: in.Settings.Wasm.MaxKVValueBytes,
			MaxTimeout:      duration("settings.wasm.max_timeout", in.Settings.Wasm.MaxTimeout, &errs),
		},
		Network: in.Settings.Network,
		Quotas:  core.QuotaSettings(in.Settings.Quotas),
	}}
	if len(errs) > 0 {
		return ns, &core.ValidationError{What: fmt.Sprintf("namespace %q", in.Name), Fields: errs}
	}
	return ns, nil
}

func namespaceOut(ns core.Namespace) Namespace {
	w := ns.Settings.Wasm
	return Namespace{
		Name: ns.Name, Description: ns.Description, Version: ns.Version, CreatedAt: ns.CreatedAt, UpdatedAt: ns.UpdatedAt,
		Settings: NamespaceSettingsBody{
			Wasm: WasmSettingsBody{
				MemoryPages: w.MemoryPages, MaxTimeout: durationString(w.MaxTimeout), MaxOutputBytes: w.MaxOutputBytes,
				MaxLogBytes: w.MaxLogBytes, MaxHTTPResponseBytes: w.MaxHTTPResponseBytes, MaxKVValueBytes: w.MaxKVValueBytes,
			},
			Network: ns.Settings.Network,
			Quotas:  QuotaSettingsBody(ns.Settings.Quotas),
		},
	}
}

// NamespaceList is every namespace.
type NamespaceList struct {
	Namespaces []Namespace `json:"namespaces"`
}

// NamespaceOutput is one namespace, with its version as ETag.
type NamespaceOutput struct {
	ETag string `header:"ETag"`
	Body Namespace
}

func (s *server) registerNamespaces(g huma.API) {
	huma.Register(g, huma.Operation{
		OperationID: "create-namespace", Method: http.MethodPost, Path: "/namespaces", Tags: []string{"Namespaces"},
		Summary:       "Create a namespace",
		Description:   "Creates a namespace with its description and settings. A name already taken is refused with 409.",
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct{ Body NamespaceInput }) (*NamespaceOutput, error) {
		ns, err := in.Body.namespace()
		if err != nil {
			return nil, problem("create namespace", err)
		}
		created, err := s.cfg.Store.NamespaceCreate(ctx, ns)
		if err != nil {
			return nil, problem(fmt.Sprintf("create namespace %q", ns.Name), err)
		}
		return &NamespaceOutput{ETag: etag(created.Version), Body: namespaceOut(created)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "list-namespaces", Method: http.MethodGet, Path: "/namespaces", Tags: []string{"Namespaces"},
		Summary:     "List namespaces",
		Description: "Lists the namespaces the credential holds a role in (every one for an owner), ordered by name, with their settings.",
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body NamespaceList }, error) {
		nss, err := s.cfg.Store.NamespaceList(ctx)
		if err != nil {
			return nil, problem("list namespaces", err)
		}
		p := PrincipalFrom(ctx)
		out := NamespaceList{Namespaces: []Namespace{}}
		for _, ns := range nss {
			if _, ok := p.Role(ns.Name); ok {
				n, err := s.withUsage(ctx, namespaceOut(ns))
				if err != nil {
					return nil, problem("list namespaces", err)
				}
				out.Namespaces = append(out.Namespaces, n)
			}
		}
		return &struct{ Body NamespaceList }{out}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-namespace", Method: http.MethodGet, Path: "/namespaces/{namespace}", Tags: []string{"Namespaces"},
		Summary:     "Get a namespace",
		Description: "Returns the namespace with its settings; its ETag is its version, for If-Match.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		Name string `path:"namespace" doc:"The namespace's name." example:"team-a"`
	},
	) (*NamespaceOutput, error) {
		ns, err := s.namespace(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		n, err := s.withUsage(ctx, namespaceOut(ns))
		if err != nil {
			return nil, problem(fmt.Sprintf("get namespace %q", in.Name), err)
		}
		return &NamespaceOutput{ETag: etag(ns.Version), Body: n}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "replace-namespace", Method: http.MethodPut, Path: "/namespaces/{namespace}", Tags: []string{"Namespaces"},
		Summary: "Replace a namespace's description and settings",
		Description: "With If-Match (the ETag as read), a namespace changed since is refused with 409. New settings apply to executions that start from now on. " +
			"Admins of the namespace may change it, except settings.quotas, which only owners may change (403).",
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		Name    string `path:"namespace" doc:"The namespace's name." example:"team-a"`
		IfMatch string `header:"If-Match" doc:"The namespace's ETag as read; the update is refused if it changed since."`
		Body    NamespaceInput
	},
	) (*NamespaceOutput, error) {
		version, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		in.Body.Name = in.Name
		ns, err := in.Body.namespace()
		if err != nil {
			return nil, problem("replace namespace", err)
		}
		cur, err := s.namespace(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		if version == 0 {
			version = cur.Version
		}
		// Quotas bound a tenant: its admins may read them, only an owner
		// may change them.
		if p := PrincipalFrom(ctx); ns.Settings.Quotas != cur.Settings.Quotas && !p.Owner {
			return nil, huma.Error403Forbidden(fmt.Sprintf("%s may change namespace %q's description and settings but not settings.quotas: ask an owner", p.Actor(), in.Name))
		}
		ns.Version = version
		updated, err := s.cfg.Store.NamespaceUpdate(ctx, ns)
		if err != nil {
			return nil, problem(fmt.Sprintf("replace namespace %q", in.Name), err)
		}
		// The engine applies the new settings and quotas to the
		// namespace's tasks at once.
		s.cfg.Scheduler.UpdateNamespace(updated.Name, updated.Settings)
		return &NamespaceOutput{ETag: etag(updated.Version), Body: namespaceOut(updated)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "delete-namespace", Method: http.MethodDelete, Path: "/namespaces/{namespace}", Tags: []string{"Namespaces"},
		Summary: "Delete a namespace",
		Description: "Deletes an empty namespace; one that holds tasks or plugins is refused with 409 unless force is set, " +
			"which deletes its tasks (they fire no more), its plugins and its finished executions first.",
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		Name  string `path:"namespace" doc:"The namespace's name." example:"team-a"`
		Force bool   `query:"force" doc:"Delete the namespace's tasks, plugins and finished executions too."`
	},
	) (*struct{}, error) {
		if in.Name == core.DefaultNamespace {
			return nil, huma.Error409Conflict("the default namespace cannot be deleted")
		}
		if in.Force {
			if _, err := s.namespace(ctx, in.Name); err != nil {
				return nil, err
			}
			if err := s.emptyNamespace(ctx, in.Name); err != nil {
				return nil, problem(fmt.Sprintf("delete namespace %q", in.Name), err)
			}
		}
		if err := s.cfg.Store.NamespaceDelete(ctx, in.Name); err != nil {
			return nil, problem(fmt.Sprintf("delete namespace %q", in.Name), err)
		}
		return &struct{}{}, nil
	})
}

// emptyNamespace deletes a namespace's tasks (telling the engine), plugins
// and finished executions.
func (s *server) emptyNamespace(ctx context.Context, namespace string) error {
	for {
		page, err := s.cfg.Store.TaskList(ctx, store.TaskListParams{Namespace: namespace, Limit: store.MaxPageSize})
		if err != nil {
			return err
		}
		for _, t := range page.Tasks {
			if err := s.cfg.Store.TaskDelete(ctx, store.TaskDeleteParams{Namespace: namespace, Name: t.Name}); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			s.cfg.Scheduler.Remove(t.ID)
		}
		if page.NextCursor == "" {
			break
		}
	}
	plugins, err := s.cfg.Store.PluginList(ctx, namespace)
	if err != nil {
		return err
	}
	for _, p := range plugins {
		if err := s.cfg.Store.PluginDelete(ctx, namespace, p.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	_, err = s.cfg.Store.ExecutionDeleteBefore(ctx, store.ExecutionDeleteBeforeParams{Namespace: namespace, Before: time.Now().Add(time.Hour)})
	return err
}
