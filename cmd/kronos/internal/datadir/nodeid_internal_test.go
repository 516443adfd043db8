package datadir

import (
	"strings"
	"testing"
)

func TestNewNodeIDFromHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host, wantPrefix string
	}{
		{"web-1", "web-1-"},
		{"Web_1.Example.COM", "web-1-example-com-"},
		{"", "node-"},
		{"...", "node-"},
		{strings.Repeat("h", 100), strings.Repeat("h", MaxNodeIDLen-7) + "-"},
	}
	for _, tt := range tests {
		id, err := newNodeID(tt.host)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(id, tt.wantPrefix) || len(id) != len(tt.wantPrefix)+6 {
			t.Errorf("newNodeID(%q) = %q, want %q and 6 hex digits", tt.host, id, tt.wantPrefix)
		}
		if err := CheckNodeID(id); err != nil {
			t.Errorf("newNodeID(%q) = %q, which is invalid: %v", tt.host, id, err)
		}
	}
}
