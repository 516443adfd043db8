package core_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core"
)

// Quotas travel in the settings' JSON (the store keeps settings as one
// JSON column), and zero quotas leave no trace in it.
func TestQuotaSettingsJSONRoundTrip(t *testing.T) {
	in := core.NamespaceSettings{Quotas: core.QuotaSettings{
		MaxTasks: 100, MaxConcurrentExecutions: 4, MaxExecutionsPerMinute: 600,
		MaxPlugins: 3, MaxPluginBytes: 1 << 20,
	}}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"quotas":{"max_tasks":100,"max_concurrent_executions":4,"max_executions_per_minute":600,"max_plugins":3,"max_plugin_bytes":1048576}}`
	if string(raw) != want {
		t.Fatalf("marshalled %s, want %s", raw, want)
	}
	var out core.NamespaceSettings
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if out.Quotas != in.Quotas {
		t.Fatalf("round trip gave %+v, want %+v", out.Quotas, in.Quotas)
	}
	if raw, _ := json.Marshal(core.NamespaceSettings{}); string(raw) != `{}` {
		t.Fatalf("empty settings marshal to %s, want {}", raw)
	}
}

func TestQuotaSettingsValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		name     string
		quotas   core.QuotaSettings
		field    string
		mentions string
	}{
		{"negative tasks", core.QuotaSettings{MaxTasks: -1}, "settings.quotas.max_tasks", "0 for no limit"},
		{"too many tasks", core.QuotaSettings{MaxTasks: 10_000_001}, "settings.quotas.max_tasks", "at most 10000000"},
		{"negative concurrency", core.QuotaSettings{MaxConcurrentExecutions: -2}, "settings.quotas.max_concurrent_executions", "negative"},
		{"concurrency too high", core.QuotaSettings{MaxConcurrentExecutions: 1_000_001}, "settings.quotas.max_concurrent_executions", "at most 1000000"},
		{"negative rate", core.QuotaSettings{MaxExecutionsPerMinute: -1}, "settings.quotas.max_executions_per_minute", "negative"},
		{"rate too high", core.QuotaSettings{MaxExecutionsPerMinute: 10_000_001}, "settings.quotas.max_executions_per_minute", "at most 10000000"},
		{"negative plugins", core.QuotaSettings{MaxPlugins: -1}, "settings.quotas.max_plugins", "negative"},
		{"too many plugins", core.QuotaSettings{MaxPlugins: 100_001}, "settings.quotas.max_plugins", "at most 100000"},
		{"negative plugin bytes", core.QuotaSettings{MaxPluginBytes: -1}, "settings.quotas.max_plugin_bytes", "negative"},
		{"plugin bytes above the server's limit", core.QuotaSettings{MaxPluginBytes: core.MaxPluginModuleBytes + 1}, "settings.quotas.max_plugin_bytes", "server's limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := core.Namespace{Name: "team-a", Settings: core.NamespaceSettings{Quotas: c.quotas}}
			err := ns.Validate()
			var ve *core.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 {
				t.Fatalf("Validate() = %v, want one field error", err)
			}
			if fe := ve.Fields[0]; fe.Field != c.field || !strings.Contains(fe.Message, c.mentions) {
				t.Fatalf("field %q: %q; want field %q mentioning %q", fe.Field, fe.Message, c.field, c.mentions)
			}
		})
	}
	ok := core.Namespace{Name: "team-a", Settings: core.NamespaceSettings{Quotas: core.QuotaSettings{
		MaxTasks: 10_000_000, MaxConcurrentExecutions: 1, MaxExecutionsPerMinute: 1, MaxPlugins: 1, MaxPluginBytes: core.MaxPluginModuleBytes,
	}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("quotas at their bounds are refused: %v", err)
	}
}
