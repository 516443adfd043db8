package sdk

import (
	"errors"
	"testing"
	"time"
)

func TestFormatLog(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		kv   []any
		want string
	}{
		{"message only", "started", nil, "started"},
		{"plain values", "done", []any{"status", 200, "ok", true}, "done status=200 ok=true"},
		{"values with spaces are quoted", "x", []any{"name", "two words"}, `x name="two words"`},
		{"empty values are quoted", "x", []any{"name", ""}, `x name=""`},
		{"quotes and newlines are escaped", "x", []any{"v", "a\"b\nc"}, `x v="a\"b\nc"`},
		{"errors print their message", "x", []any{"err", errors.New("no route")}, `x err="no route"`},
		{"stringers print their string", "x", []any{"d", 1500 * time.Millisecond}, "x d=1.5s"},
		{"nil prints as <nil>", "x", []any{"v", nil}, "x v=<nil>"},
		{"a key without a value", "x", []any{"lonely"}, "x lonely=!MISSING"},
		{"non-string keys are printed", "x", []any{1, 2}, "x 1=2"},
		{"keys lose spaces and =", "x", []any{"a b=c", 1}, "x a_b_c=1"},
		{"empty message", "", []any{"k", "v"}, "k=v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatLog(tt.msg, tt.kv...); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[Level]string{LevelDebug: "debug", LevelInfo: "info", LevelWarn: "warn", LevelError: "error", 7: "level(7)"} {
		if got := l.String(); got != want {
			t.Errorf("Level(%d) = %q, want %q", l, got, want)
		}
	}
}

func TestNilLoggerAndKV(t *testing.T) {
	var l *Logger
	l.Info("does not panic")
	var kv *KV
	if _, _, err := kv.Get("k"); err == nil {
		t.Error("Get on a nil KV succeeded")
	}
}
