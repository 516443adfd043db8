package mq

import (
	"context"
	"testing"
	"time"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustOpen opens cfg and closes the Conn with the test.
func mustOpen(t *testing.T, cfg ConnConfig) Conn {
	t.Helper()
	c, err := Open(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var testHeaders = map[string]string{"Trace-Id": "abc-123", "x-kronos-task": "nightly report"}
