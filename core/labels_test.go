package core_test

import (
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core"
)

func TestParseLabelSelector(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{in: "", want: ""},
		{in: "env=prod", want: "env=prod"},
		{in: " env == prod , team ", want: "env=prod,team"},
		{in: "env!=dev,!legacy", want: "env!=dev,!legacy"},
		{in: "kronos.dev/tier=gold", want: "kronos.dev/tier=gold"},
		{in: "env=prod,,team", err: "empty term"},
		{in: "bad key=x", err: "label key"},
		{in: "env=not ok", err: "label value"},
	} {
		sel, err := core.ParseLabelSelector(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "selector:") {
				t.Errorf("%q: error = %v, want one about %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || sel.String() != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, sel.String(), err, c.want)
		}
	}
}

func TestLabelSelectorMatches(t *testing.T) {
	labels := map[string]string{"env": "prod", "team": "pay"}
	for sel, want := range map[string]bool{
		"":                  true,
		"env=prod":          true,
		"env=dev":           false,
		"env!=dev":          true,
		"env!=prod":         false,
		"team":              true,
		"owner":             false,
		"!owner":            true,
		"!team":             false,
		"env=prod,team=pay": true,
		"env=prod,team=ops": false,
	} {
		s, err := core.ParseLabelSelector(sel)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Matches(labels); got != want {
			t.Errorf("%q.Matches = %v, want %v", sel, got, want)
		}
	}
}
