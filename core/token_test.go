package core_test

import (
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
)

func TestRoleIncludes(t *testing.T) {
	for _, c := range []struct {
		have, want core.Role
		ok         bool
	}{
		{core.RoleAdmin, core.RoleEditor, true},
		{core.RoleAdmin, core.RoleViewer, true},
		{core.RoleEditor, core.RoleEditor, true},
		{core.RoleEditor, core.RoleAdmin, false},
		{core.RoleViewer, core.RoleEditor, false},
		{"god", core.RoleViewer, false},
		{core.RoleAdmin, "god", false},
	} {
		if got := c.have.Includes(c.want); got != c.ok {
			t.Errorf("%s includes %s = %v, want %v", c.have, c.want, got, c.ok)
		}
	}
}

func TestTokenActive(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for name, c := range map[string]struct {
		tok  core.APIToken
		want bool
	}{
		"plain":   {core.APIToken{}, true},
		"expired": {core.APIToken{ExpiresAt: now}, false},
		"later":   {core.APIToken{ExpiresAt: now.Add(time.Second)}, true},
		"revoked": {core.APIToken{RevokedAt: now.Add(-time.Hour)}, false},
	} {
		if got := c.tok.Active(now); got != c.want {
			t.Errorf("%s: active %v, want %v", name, got, c.want)
		}
	}
}
