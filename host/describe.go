package host

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/sdk"
)

// Description is what a plugin's optional describe export returns.
type Description struct {
	// Name is the executor name the plugin suggests, e.g. "http".
	Name string `json:"name"`
	// Version is the plugin's own version.
	Version string `json:"version,omitempty"`
	// Description is one paragraph for people.
	Description string `json:"description,omitempty"`
	// ConfigSchema is a JSON Schema (2020-12 by default) of the task
	// config the plugin accepts.
	ConfigSchema json.RawMessage `json:"config_schema,omitempty"`
}

// Describe calls the plugin's describe export in the namespace. A plugin
// without one gets an empty Description and no error.
func (c *Compiled) Describe(ctx context.Context, namespace string) (Description, error) {
	res, err := c.Call(ctx, CallRequest{Namespace: namespace, Function: "describe"})
	if err != nil {
		var ce *CallError
		if errors.As(err, &ce) && ce.Kind == KindHost && strings.Contains(ce.Msg, "exports no function") {
			return Description{}, nil
		}
		return Description{}, fmt.Errorf("describe plugin %s: %w", c.hash[:12], err)
	}
	var d Description
	if err := json.Unmarshal(res.Output, &d); err != nil {
		return Description{}, fmt.Errorf("describe plugin %s: output is not the describe JSON: %w", c.hash[:12], err)
	}
	return d, nil
}

// ConfigSchema is a compiled plugin config schema.
type ConfigSchema struct {
	schema *jsonschema.Schema
}

// CompileConfigSchema compiles a plugin's config schema. An empty schema
// accepts any config object.
func CompileConfigSchema(raw json.RawMessage) (*ConfigSchema, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return &ConfigSchema{}, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("plugin config schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const url = "kronos://plugin/config-schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("plugin config schema: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("plugin config schema does not compile: %w", err)
	}
	return &ConfigSchema{schema: s}, nil
}

// Validate checks a task config against the schema and reports every
// problem as a core.FieldError whose field is a path under "config", such
// as "config.url" or "config.headers.Authorization".
func (s *ConfigSchema) Validate(config json.RawMessage) []*core.FieldError {
	if s == nil || s.schema == nil {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(config))
	if err != nil {
		return []*core.FieldError{{Field: "config", Message: "is not valid JSON: " + err.Error()}}
	}
	err = s.schema.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []*core.FieldError{{Field: "config", Message: err.Error()}}
	}
	var out []*core.FieldError
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		msg := u.Error.String()
		if msg == "" || strings.HasPrefix(msg, "validation failed") {
			continue
		}
		out = append(out, &core.FieldError{Field: pointerToField(u.InstanceLocation), Message: msg})
	}
	if len(out) == 0 {
		out = append(out, &core.FieldError{Field: "config", Message: ve.Error()})
	}
	return out
}

// pointerToField turns a JSON pointer ("/headers/Authorization") into a
// field path ("config.headers.Authorization").
func pointerToField(ptr string) string {
	if ptr == "" || ptr == "/" {
		return "config"
	}
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return "config." + strings.Join(parts, ".")
}

// validateTimeout bounds a call of a plugin's validate export.
const validateTimeout = 10 * time.Second

// ValidateConfig calls the plugin's optional validate export in the
// namespace with a task config (as written, secrets unresolved) and
// returns the problems it reports, each on a field under "config". A
// plugin without the export reports none.
func (c *Compiled) ValidateConfig(ctx context.Context, namespace string, config json.RawMessage) ([]*core.FieldError, error) {
	in, err := json.Marshal(sdk.ValidateInput{Config: config})
	if err != nil {
		return nil, fmt.Errorf("validate plugin %s: encode the input: %w", c.hash[:12], err)
	}
	res, err := c.Call(ctx, CallRequest{Namespace: namespace, Function: sdk.ExportValidate, Input: in, Limits: Limits{Timeout: validateTimeout}})
	if err != nil {
		var ce *CallError
		if errors.As(err, &ce) && ce.Kind == KindHost && strings.Contains(ce.Msg, "exports no function") {
			return nil, nil
		}
		return nil, fmt.Errorf("validate plugin %s: %w", c.hash[:12], err)
	}
	var out sdk.ValidateOutput
	if err := json.Unmarshal(res.Output, &out); err != nil {
		return nil, fmt.Errorf("validate plugin %s: output is not {\"errors\": [{\"field\", \"message\"}]}: %w", c.hash[:12], err)
	}
	fields := make([]*core.FieldError, 0, len(out.Errors))
	for _, fe := range out.Errors {
		field := fe.Field
		if field != "config" && !strings.HasPrefix(field, "config.") {
			field = "config"
		}
		fields = append(fields, &core.FieldError{Field: field, Message: fe.Message})
	}
	return fields, nil
}
