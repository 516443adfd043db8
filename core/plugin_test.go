package core_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core"
)

func validPlugin() core.Plugin {
	return core.Plugin{
		Namespace: core.DefaultNamespace, Name: "slack-notify", Version: "1.0.0",
		SHA256: strings.Repeat("ab", 32), Size: 1024,
		ConfigSchema: json.RawMessage(`{"type":"object"}`),
	}
}

func TestPluginValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		name     string
		mutate   func(*core.Plugin)
		field    string
		mentions string
	}{
		{"upper-case name suggests a fix", func(p *core.Plugin) { p.Name = "Slack Notify" }, "name", `"slack_notify"`},
		{"missing namespace", func(p *core.Plugin) { p.Namespace = "" }, "namespace", "required"},
		{"sha256 upper-case", func(p *core.Plugin) { p.SHA256 = strings.Repeat("AB", 32) }, "sha256", "lower-case hex"},
		{"sha256 too short", func(p *core.Plugin) { p.SHA256 = "abc" }, "sha256", "sha256sum"},
		{"size zero", func(p *core.Plugin) { p.Size = 0 }, "size", "needs its Wasm bytes"},
		{"version too long", func(p *core.Plugin) { p.Version = strings.Repeat("1", 65) }, "version", "limit is 64"},
		{"uploader not UTF-8", func(p *core.Plugin) { p.Uploader = "\xff" }, "uploader", "UTF-8"},
		{"config schema not JSON", func(p *core.Plugin) { p.ConfigSchema = json.RawMessage(`{"type":`) }, "config_schema", "not valid JSON"},
		{"description too long", func(p *core.Plugin) { p.Description = strings.Repeat("é", 1025) }, "description", "limit is 1024"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := validPlugin()
			c.mutate(&p)
			err := p.Validate()
			var fe *core.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a field error", err)
			}
			if fe.Field != c.field || !strings.Contains(fe.Message, c.mentions) {
				t.Fatalf("field %q: %q, want field %q mentioning %q", fe.Field, fe.Message, c.field, c.mentions)
			}
		})
	}
	p := validPlugin()
	if err := p.Validate(); err != nil {
		t.Fatalf("valid plugin: %v", err)
	}
	p.Version, p.Uploader, p.ConfigSchema = "", "", nil
	if err := p.Validate(); err != nil {
		t.Fatalf("plugin without optional fields: %v", err)
	}
}

func TestValidateKVKey(t *testing.T) {
	for _, c := range []struct {
		name, key, mentions string
	}{
		{"plain", "cursor", ""},
		{"spaces and unicode", "user 42/状态", ""},
		{"256 bytes", strings.Repeat("é", 128), ""},
		{"empty", "", "required"},
		{"257 bytes", strings.Repeat("k", 257), "limit is 256"},
		{"invalid UTF-8", "a\xffb", "not valid UTF-8"},
		{"newline", "a\nb", "U+000A at byte 1"},
		{"NUL", "\x00", "U+0000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fe := core.ValidateKVKey(c.key)
			switch {
			case c.mentions == "" && fe != nil:
				t.Fatalf("refused: %v", fe)
			case c.mentions != "" && (fe == nil || fe.Field != "key" || !strings.Contains(fe.Message, c.mentions)):
				t.Fatalf("error = %v, want a field error on key mentioning %q", fe, c.mentions)
			}
		})
	}
}
