package host_test

import (
	"errors"
	"testing"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/host"
)

func TestInstallStoresADescribedPlugin(t *testing.T) {
	st := newStore(t)
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: newRuntime(t, nil), Plugins: st, Builtins: map[string][]byte{"http": httpWasm}})
	p, err := ex.Install(t.Context(), host.InstallParams{Namespace: "team-b", Name: "reporter", Wasm: fixtureWasm, Uploader: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "0.1.0" || p.Description != "test plugin" || len(p.ConfigSchema) == 0 || p.Uploader != "alice" || p.Size != int64(len(fixtureWasm)) {
		t.Fatalf("installed = %+v", p)
	}
	task := core.Task{Namespace: "team-b", Name: "t", Executor: "reporter", Config: []byte(`{"url":"https://x"}`)}
	task.Normalize()
	if err := ex.ValidateConfig(t.Context(), task); err != nil {
		t.Fatalf("a task of team-b using it: %v", err)
	}
	if res := ex.Execute(t.Context(), core.ExecuteRequest{Task: task, Execution: execution}); res.Status != core.StatusSucceeded {
		t.Fatalf("execute = %+v", res)
	}
}

func TestInstallRefusesAndStoresNothing(t *testing.T) {
	st := newStore(t)
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: newRuntime(t, nil), Plugins: st, Builtins: map[string][]byte{"http": httpWasm}})
	for _, c := range []struct {
		name, plugin string
		wasm         []byte
		field        string
		reason       host.ModuleRejection
	}{
		{name: "built-in name", plugin: "http", wasm: fixtureWasm, field: "name"},
		{name: "bad name", plugin: "My Plugin", wasm: fixtureWasm, field: "name"},
		{name: "not wasm", plugin: "junk", wasm: []byte("MZ\x90\x00"), reason: host.RejectNotWasm},
		{name: "no execute", plugin: "noexec", wasm: exporting("run", 0x7f), reason: host.RejectMissingExport},
		{name: "forbidden import", plugin: "sneaky", wasm: importing("env", "system"), reason: host.RejectImport},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ex.Install(t.Context(), host.InstallParams{Namespace: "team-b", Name: c.plugin, Wasm: c.wasm})
			var ve *core.ValidationError
			var me *host.ModuleError
			switch {
			case c.field != "":
				if !errors.As(err, &ve) || ve.Fields[0].Field != c.field {
					t.Fatalf("error = %v, want a field error on %s", err, c.field)
				}
			case !errors.As(err, &me) || me.Reason != c.reason:
				t.Fatalf("error = %v, want a ModuleError %s", err, c.reason)
			}
			if _, err := st.PluginGet(t.Context(), "team-b", c.plugin); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("something was stored: %v", err)
			}
		})
	}
}

func TestPrecompileStored(t *testing.T) {
	st := newStore(t) // holds the fixture in team-a
	rt := newRuntime(t, nil)
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: rt, Plugins: st})
	n, errs := ex.PrecompileStored(t.Context())
	if n != 1 || len(errs) != 0 {
		t.Fatalf("precompiled %d, errors %v", n, errs)
	}
	if s := rt.Stats(); s.Compiled != 1 {
		t.Fatalf("stats = %+v", s)
	}
}
