package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/host"
)

// MaxPluginBytes is the largest plugin module an upload takes: the Wasm
// host's own limit.
const MaxPluginBytes = host.DefaultMaxModuleBytes

// maxPluginBodyBytes bounds a plugin upload's request body: the module
// plus room for a multipart envelope. A raw body between the two limits
// reaches the handler, which refuses it with the module's size.
const maxPluginBodyBytes = MaxPluginBytes + 1<<20

// PluginInstaller validates, compiles, describes and stores uploaded
// plugins: the Wasm host's executor.
type PluginInstaller interface {
	// Install checks an uploaded module and stores it, or stores nothing.
	// Errors are *host.ModuleError (the module), *core.ValidationError
	// (the name) or the store's.
	Install(ctx context.Context, p host.InstallParams) (core.Plugin, error)
	// BuiltinNames returns the built-in executors, sorted; their names are
	// reserved in every namespace.
	BuiltinNames() []string
	// Builtin describes a built-in executor: version, description, config
	// schema, digest and size.
	Builtin(ctx context.Context, name string) (core.Plugin, error)
}

// Plugin is an executor plugin as the API returns it: one uploaded to the
// namespace, or a built-in one (builtin is true and only name is set).
type Plugin struct {
	Name         string          `json:"name" doc:"The executor name tasks give in executor." example:"reporter"`
	Namespace    string          `json:"namespace,omitempty" doc:"The namespace it was uploaded to; empty for a built-in, which every namespace has."`
	Builtin      bool            `json:"builtin,omitempty" doc:"True for a built-in executor, which cannot be replaced or deleted."`
	Version      string          `json:"version,omitempty" doc:"The plugin's own version, as its describe export reports it." example:"1.2.0"`
	SHA256       string          `json:"sha256,omitempty" doc:"Lower-case hex SHA-256 of the module." example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	Size         int64           `json:"size,omitempty" doc:"The module's length in bytes."`
	Uploader     string          `json:"uploader,omitempty" doc:"Who uploaded it."`
	Description  string          `json:"description,omitempty" doc:"What the plugin does, as its describe export reports it."`
	ConfigSchema json.RawMessage `json:"config_schema,omitempty" doc:"JSON Schema of the task config the plugin accepts, from its describe export; task configs are checked against it. Returned by get-plugin and upload-plugin, not by list-plugins."`
	CreatedAt    time.Time       `json:"created_at,omitzero" doc:"When it was first uploaded."`
	UpdatedAt    time.Time       `json:"updated_at,omitzero" doc:"When it was last replaced."`
}

// actorOf names the request's principal, as the audit log does.
func actorOf(ctx context.Context) string {
	if p := PrincipalFrom(ctx); p != nil {
		return p.Actor()
	}
	return "anonymous"
}

func pluginOut(p core.Plugin) Plugin {
	return Plugin{
		Name: p.Name, Namespace: p.Namespace, Version: p.Version, SHA256: p.SHA256, Size: p.Size, Uploader: p.Uploader,
		Description: p.Description, ConfigSchema: p.ConfigSchema, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

// PluginList is a namespace's plugins and the built-in ones.
type PluginList struct {
	Plugins []Plugin `json:"plugins" doc:"Ordered by name, built-in ones included."`
}

// PluginPath addresses one plugin.
type PluginPath struct {
	NamespaceParam
	Name string `path:"name" doc:"The plugin's executor name: lower-case letters, digits, '_' and '-'." example:"reporter"`
}

// PluginOutput is one plugin; Status is 201 when an upload created it.
type PluginOutput struct {
	Status int
	Body   Plugin
}

func (s *server) registerPlugins(g huma.API) {
	if oapi := g.OpenAPI(); !slices.ContainsFunc(oapi.Tags, func(t *huma.Tag) bool { return t.Name == "Plugins" }) {
		oapi.Tags = append(oapi.Tags, &huma.Tag{Name: "Plugins", Description: "Custom executors: WebAssembly modules uploaded to a namespace."})
	}
	binary := &huma.Schema{Type: "string", Format: "binary", Description: "The .wasm module."}
	pluginRef := g.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Plugin](), true, "")
	huma.Register(g, huma.Operation{
		OperationID: "upload-plugin", Method: http.MethodPut, Path: "/plugins/{name}", Tags: []string{"Plugins"},
		Summary: "Upload or replace a plugin",
		Description: "Uploads a WebAssembly module as the executor `name` of the namespace, replacing any plugin of that name " +
			"(its created_at stays). Send the module as the raw body (application/wasm or application/octet-stream; any other " +
			"non-multipart type is taken as raw bytes too) or as the `file` part of multipart/form-data. " +
			"The module is checked before anything is stored: it must be a core WebAssembly module of at most " +
			strconv.Itoa(MaxPluginBytes>>20) + " MiB that compiles, exports `execute` (or the `function` given) and imports only " +
			"from WASI preview 1, extism:host/env and kronos:host/v1; its optional `describe` export supplies its version, " +
			"description and config schema. A refused module is a 422 whose detail names the problem and the fix; " +
			"a module over the limit is a 413. The namespace's quotas apply too: a module larger than settings.quotas.max_plugin_bytes " +
			"is a 422, a new plugin beyond settings.quotas.max_plugins a 429 (replacing one is allowed). " +
			"Answers 201 when the plugin is new, 200 when it replaced one.",
		MaxBodyBytes: maxPluginBodyBytes,
		// The body is a module, not JSON: the handler reads it.
		SkipValidateBody: true,
		RequestBody: &huma.RequestBody{
			Description: "The module: the raw body, or the `file` part of a multipart form.",
			Content: map[string]*huma.MediaType{
				"application/wasm": {Schema: binary},
				"multipart/form-data": {Schema: &huma.Schema{
					Type: "object", Required: []string{"file"},
					Properties: map[string]*huma.Schema{"file": binary},
				}},
			},
		},
		Responses: map[string]*huma.Response{
			"201": {Description: "The plugin was created.", Content: map[string]*huma.MediaType{"application/json": {Schema: pluginRef}}},
		},
		Middlewares: huma.Middlewares{func(ctx huma.Context, next func(huma.Context)) {
			// Refuse a body known to be too large before reading it, with
			// the limit and the fix rather than huma's generic message.
			if n, err := strconv.ParseInt(ctx.Header("Content-Length"), 10, 64); err == nil && n >= maxPluginBodyBytes {
				_ = huma.WriteErr(g, ctx, http.StatusRequestEntityTooLarge, tooLarge(ctx.Param("name"), "the request body", n))
				return
			}
			next(ctx)
		}},
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		PluginPath
		Function    string `query:"function" doc:"The export the module must have: execute (the default) for a Kronos plugin; a plain Extism plugin names its own."`
		ContentType string `header:"Content-Type" hidden:"true"`
		RawBody     []byte `contentType:"application/octet-stream"`
	},
	) (*PluginOutput, error) {
		what := fmt.Sprintf("upload plugin %q", in.Name)
		if s.cfg.Plugins == nil {
			return nil, huma.Error500InternalServerError(what + ": this server has no Wasm host to install plugins with")
		}
		wasm, loc, err := uploadedModule(what, in.ContentType, in.RawBody)
		if err != nil {
			return nil, err
		}
		if len(wasm) > MaxPluginBytes {
			return nil, huma.Error413RequestEntityTooLarge(tooLarge(in.Name, "the module", int64(len(wasm))))
		}
		ns, err := s.namespace(ctx, in.Namespace)
		if err != nil {
			return nil, err
		}
		q := ns.Settings.Quotas
		if q.MaxPluginBytes > 0 && int64(len(wasm)) > q.MaxPluginBytes {
			return nil, huma.Error422UnprocessableEntity(fmt.Sprintf(
				"%s: the module is %d bytes and namespace %q's quota settings.quotas.max_plugin_bytes is %d: upload a smaller module or raise the quota",
				what, len(wasm), ns.Name, q.MaxPluginBytes))
		}
		status := http.StatusOK
		if _, err := s.cfg.Store.PluginGet(ctx, in.Namespace, in.Name); errors.Is(err, store.ErrNotFound) {
			status = http.StatusCreated
		} else if err != nil {
			return nil, problem(what, err)
		}
		if status == http.StatusCreated && q.MaxPlugins > 0 {
			// Replacing a plugin keeps the count; only a new name counts.
			plugins, err := s.cfg.Store.PluginList(ctx, in.Namespace)
			if err != nil {
				return nil, problem(what, err)
			}
			if len(plugins) >= q.MaxPlugins {
				return nil, huma.Error429TooManyRequests(fmt.Sprintf(
					"%s: namespace %q holds %d plugins and its quota settings.quotas.max_plugins is %d: delete a plugin, replace one of the same name, or raise the quota",
					what, ns.Name, len(plugins), q.MaxPlugins))
			}
		}
		p, err := s.cfg.Plugins.Install(ctx, host.InstallParams{
			Namespace: in.Namespace, Name: in.Name, Wasm: wasm, MaxBytes: MaxPluginBytes, Function: in.Function,
			Uploader: actorOf(ctx),
		})
		if err != nil {
			return nil, pluginProblem(what, loc, err)
		}
		return &PluginOutput{Status: status, Body: pluginOut(p)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "list-plugins", Method: http.MethodGet, Path: "/plugins", Tags: []string{"Plugins"},
		Summary: "List plugins",
		Description: "Lists the executors tasks of the namespace can name, by name: the plugins uploaded to it and the built-in ones " +
			"(builtin is true). Config schemas are left out; get-plugin returns a plugin's.",
	}, func(ctx context.Context, in *NamespaceParam) (*struct{ Body PluginList }, error) {
		ps, err := s.cfg.Store.PluginList(ctx, in.Namespace)
		if err != nil {
			return nil, problem("list plugins", err)
		}
		out := PluginList{Plugins: make([]Plugin, 0, len(ps))}
		for _, name := range s.builtins() {
			out.Plugins = append(out.Plugins, Plugin{Name: name, Builtin: true})
		}
		for _, p := range ps {
			o := pluginOut(p)
			o.ConfigSchema = nil
			out.Plugins = append(out.Plugins, o)
		}
		slices.SortStableFunc(out.Plugins, func(a, b Plugin) int { return strings.Compare(a.Name, b.Name) })
		return &struct{ Body PluginList }{out}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-plugin", Method: http.MethodGet, Path: "/plugins/{name}", Tags: []string{"Plugins"},
		Summary:     "Get a plugin",
		Description: "Returns the plugin with its version, digest and the config schema its describe export reports. A built-in executor's (builtin: true) has no namespace or uploader.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *PluginPath) (*struct{ Body Plugin }, error) {
		if slices.Contains(s.builtins(), in.Name) {
			p, err := s.cfg.Plugins.Builtin(ctx, in.Name)
			if err != nil {
				return nil, problem(fmt.Sprintf("get plugin %q", in.Name), err)
			}
			out := pluginOut(p)
			out.Namespace, out.Builtin = "", true
			return &struct{ Body Plugin }{out}, nil
		}
		p, err := s.cfg.Store.PluginGet(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("get plugin %q", in.Name), err)
		}
		return &struct{ Body Plugin }{pluginOut(p)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "delete-plugin", Method: http.MethodDelete, Path: "/plugins/{name}", Tags: []string{"Plugins"},
		Summary: "Delete a plugin",
		Description: "Deletes an uploaded plugin. While tasks of the namespace name it as their executor it is refused with 409, " +
			"naming them: delete them or change their executor first. Built-in executors cannot be deleted (409).",
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *PluginPath) (*struct{}, error) {
		what := fmt.Sprintf("delete plugin %q", in.Name)
		if slices.Contains(s.builtins(), in.Name) {
			return nil, huma.Error409Conflict(what + ": it is a built-in executor, which cannot be deleted")
		}
		if err := s.cfg.Store.PluginDelete(ctx, in.Namespace, in.Name); err != nil {
			return nil, problem(what, err)
		}
		return &struct{}{}, nil
	})
}

// builtins returns the built-in executor names; none without a Wasm host.
func (s *server) builtins() []string {
	if s.cfg.Plugins == nil {
		return nil
	}
	return s.cfg.Plugins.BuiltinNames()
}

// uploadedModule returns the module of an upload body and the location
// to blame in errors: the raw body, or the `file` part of a multipart form.
func uploadedModule(what, contentType string, body []byte) (wasm []byte, loc string, err error) {
	// An unparsable Content-Type is not multipart: the body is the module.
	mediaType, params, _ := mime.ParseMediaType(contentType)
	if mediaType != "multipart/form-data" {
		return body, "body", nil
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, "", huma.Error400BadRequest(what + ": the multipart/form-data Content-Type has no boundary: let your client set the header (curl -F file=@plugin.wasm)")
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", huma.Error422UnprocessableEntity(what+": invalid input", &huma.ErrorDetail{
				Location: "body.file", Message: "the form has no file part: send the module as the part named file (curl -F file=@plugin.wasm)",
			})
		}
		if err != nil {
			return nil, "", huma.Error400BadRequest(what + ": the multipart body is malformed: " + err.Error())
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		wasm, err := io.ReadAll(part)
		_ = part.Close()
		if err != nil {
			return nil, "", huma.Error400BadRequest(what + ": the multipart body is malformed: " + err.Error())
		}
		return wasm, "body.file", nil
	}
}

// tooLarge says that an upload is over the limit, and what to do.
func tooLarge(name, what string, n int64) string {
	return fmt.Sprintf("upload plugin %q: %s is %d bytes; a plugin module may be at most %d bytes (%d MiB): "+
		"make it smaller (build with -ldflags='-s -w', strip it with wasm-opt -Oz, or drop dependencies)",
		name, what, n, MaxPluginBytes, MaxPluginBytes>>20)
}

// pluginProblem maps an Install error: a refused module is 422 at loc
// (413 when too large), a bad name is 422 at path.name, the rest as
// [problem].
func pluginProblem(what, loc string, err error) error {
	var me *host.ModuleError
	var ve *core.ValidationError
	switch {
	case errors.As(err, &me) && me.Reason == host.RejectTooLarge:
		return huma.Error413RequestEntityTooLarge(what + ": " + me.Msg)
	case errors.As(err, &me):
		return huma.Error422UnprocessableEntity(what+": the module was refused ("+string(me.Reason)+")",
			&huma.ErrorDetail{Location: loc, Message: me.Msg})
	case errors.As(err, &ve):
		details := make([]error, len(ve.Fields))
		for i, f := range ve.Fields {
			l := bodyPath(f.Field)
			if f.Field == "name" {
				l = "path.name"
			}
			details[i] = &huma.ErrorDetail{Location: l, Message: f.Message}
		}
		return huma.Error422UnprocessableEntity(ve.What+" is invalid", details...)
	}
	return problem(what, err)
}
