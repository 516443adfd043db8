package core

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"
)

// Plugin limits.
const (
	// MaxPluginVersionLength is the longest plugin version, in characters.
	MaxPluginVersionLength = 64
	// MaxPluginUploaderLength is the longest uploader name, in characters.
	MaxPluginUploaderLength = 255
	// MaxPluginConfigSchemaBytes is the largest config schema accepted, in
	// bytes.
	MaxPluginConfigSchemaBytes = 256 << 10
)

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Plugin is a custom executor uploaded to a namespace: a Wasm module whose
// Name is the executor type that tasks of the namespace name in
// Task.Executor. The store keeps the module's bytes beside this metadata,
// but lists return the metadata only.
type Plugin struct {
	// Namespace is the tenant the plugin belongs to; tasks of other
	// namespaces cannot use it.
	Namespace string `json:"namespace"`
	// Name is the executor type name, unique within the namespace; see
	// ValidateName.
	Name string `json:"name"`
	// Version is the plugin's own version as its describe call reports it,
	// e.g. "1.2.0". Free text; may be empty.
	Version string `json:"version,omitempty"`
	// SHA256 is the lower-case hex SHA-256 of the Wasm bytes.
	SHA256 string `json:"sha256"`
	// Size is the length of the Wasm bytes.
	Size int64 `json:"size"`
	// Uploader names who uploaded it, for the record. May be empty.
	Uploader string `json:"uploader,omitempty"`
	// Description is free text for people.
	Description string `json:"description,omitempty"`
	// ConfigSchema is the JSON Schema of the task config the plugin
	// accepts, as its describe call reports it. May be empty.
	ConfigSchema json.RawMessage `json:"config_schema,omitempty"`
	// CreatedAt is when the plugin was first uploaded.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when it was last replaced.
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate reports every invalid field of p. It checks the metadata only;
// whether SHA256 and Size match the Wasm bytes is the store's check.
func (p *Plugin) Validate() error {
	var v validator
	if fe := ValidateName("namespace", p.Namespace); fe != nil {
		v.fields = append(v.fields, fe)
	}
	if fe := ValidateName("name", p.Name); fe != nil {
		v.fields = append(v.fields, fe)
	}
	v.text("version", p.Version, MaxPluginVersionLength)
	if !sha256Pattern.MatchString(p.SHA256) {
		v.add("sha256", "%q is not a SHA-256: use the 64 lower-case hex digits of the module's digest (sha256sum plugin.wasm)", p.SHA256)
	}
	if p.Size <= 0 {
		v.add("size", "is %d: a plugin needs its Wasm bytes", p.Size)
	}
	v.text("uploader", p.Uploader, MaxPluginUploaderLength)
	v.description("description", p.Description)
	switch {
	case len(p.ConfigSchema) > MaxPluginConfigSchemaBytes:
		v.add("config_schema", "is %d bytes; the limit is %d", len(p.ConfigSchema), MaxPluginConfigSchemaBytes)
	case len(p.ConfigSchema) > 0 && !json.Valid(p.ConfigSchema):
		v.add("config_schema", "is not valid JSON: pass the JSON Schema the plugin's describe returns, or nothing")
	}
	return v.err(fmt.Sprintf("plugin %q", p.Name))
}

// text checks a short free-text field: valid UTF-8, at most limit
// characters.
func (v *validator) text(field, s string, limit int) {
	if !utf8.ValidString(s) {
		v.add(field, "is not valid UTF-8")
		return
	}
	if n := utf8.RuneCountInString(s); n > limit {
		v.add(field, "is %d characters long; the limit is %d", n, limit)
	}
}
