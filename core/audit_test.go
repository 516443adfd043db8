package core_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core"
)

func TestAuditEventValidate(t *testing.T) {
	valid := func() core.AuditEvent {
		return core.AuditEvent{Namespace: "team-a", Actor: "anonymous", Action: "create-task", Kind: "task", Status: 201}
	}
	for name, c := range map[string]struct {
		edit  func(e *core.AuditEvent)
		field string // "" when valid
	}{
		"minimal":                       {func(*core.AuditEvent) {}, ""},
		"cluster-wide has no namespace": {func(e *core.AuditEvent) { e.Namespace = "" }, ""},
		"json before and after": {func(e *core.AuditEvent) {
			e.Before, e.After = json.RawMessage(`null`), json.RawMessage(` {"a": [1, 2]} `)
		}, ""},
		"no actor":             {func(e *core.AuditEvent) { e.Actor = "" }, "actor"},
		"no action":            {func(e *core.AuditEvent) { e.Action = "" }, "action"},
		"no kind":              {func(e *core.AuditEvent) { e.Kind = "" }, "kind"},
		"long actor":           {func(e *core.AuditEvent) { e.Actor = strings.Repeat("a", core.MaxAuditActorBytes+1) }, "actor"},
		"long action":          {func(e *core.AuditEvent) { e.Action = strings.Repeat("a", core.MaxAuditActionBytes+1) }, "action"},
		"long kind":            {func(e *core.AuditEvent) { e.Kind = strings.Repeat("k", core.MaxAuditKindBytes+1) }, "kind"},
		"long target":          {func(e *core.AuditEvent) { e.Target = strings.Repeat("t", core.MaxAuditTargetBytes+1) }, "target"},
		"long remote":          {func(e *core.AuditEvent) { e.Remote = strings.Repeat("r", core.MaxAuditRemoteBytes+1) }, "remote"},
		"long namespace":       {func(e *core.AuditEvent) { e.Namespace = strings.Repeat("n", core.MaxNameLength+1) }, "namespace"},
		"limits count bytes":   {func(e *core.AuditEvent) { e.Actor = strings.Repeat("é", core.MaxAuditActorBytes/2+1) }, "actor"},
		"target not utf-8":     {func(e *core.AuditEvent) { e.Target = "a\xffb" }, "target"},
		"before not json":      {func(e *core.AuditEvent) { e.Before = json.RawMessage(`{"a":`) }, "before"},
		"after not utf-8 json": {func(e *core.AuditEvent) { e.After = json.RawMessage("\"\xff\"") }, "after"},
		"after too big": {func(e *core.AuditEvent) {
			e.After = json.RawMessage(`"` + strings.Repeat("x", core.MaxAuditJSONBytes-1) + `"`)
		}, "after"},
	} {
		e := valid()
		c.edit(&e)
		err := e.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		var fe *core.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: error = %v, want a field error on %s", name, err, c.field)
		}
	}
}

func TestTokenSubjectValidate(t *testing.T) {
	for subject, wantOK := range map[string]bool{
		"":                            true,
		"CN=alice":                    true,
		"DNS:runner.example.com":      true,
		"URI:spiffe://example.org/ci": true,
		"EMAIL:ops@example.com":       true,
		"alice":                       false,
		"cn=alice":                    false,
		"CN=":                         false,
		"URI:":                        false,
		"CN=a\xff":                    false,
		"CN=" + strings.Repeat("a", core.MaxTokenSubjectBytes-3): true,
		"CN=" + strings.Repeat("a", core.MaxTokenSubjectBytes-2): false,
	} {
		tok := core.APIToken{Name: "t", Namespace: "default", Hash: make([]byte, core.TokenHashLen), Owner: true, Subject: subject}
		err := tok.Validate()
		if wantOK != (err == nil) {
			t.Errorf("subject %q: error = %v, want ok %v", subject, err, wantOK)
		}
		var fe *core.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "subject") {
			t.Errorf("subject %q: error = %v, want a field error on subject", subject, err)
		}
	}
}
