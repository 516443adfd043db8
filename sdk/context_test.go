package sdk

import (
	"errors"
	"strings"
	"testing"
)

const testInput = `{"config":{"name":"kronos"},"execution":{"id":"e1","attempt":1,"scheduled_at":"2026-12-01T02:00:00Z","trigger":"manual","namespace":"default","task":"t"}}`

func TestInvoke(t *testing.T) {
	raw := &fakeRaw{responses: map[string]string{hostFuncKVGet: `{}`, hostFuncKVSet: `{}`}}
	out, err := Invoke(wireHost{raw}, []byte(testInput), func(ctx *Context) (Result, error) {
		var cfg struct {
			Name string `json:"name"`
		}
		if err := ctx.Config(&cfg); err != nil {
			return Result{}, err
		}
		ctx.Log.Info("hello", "name", cfg.Name)
		if _, _, err := ctx.KV.Get("k"); err != nil {
			return Result{}, err
		}
		return Succeeded(map[string]string{"greeting": "hello, " + cfg.Name, "trigger": ctx.Execution.Trigger}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"status":"succeeded","result":{"greeting":"hello, kronos","trigger":"manual"}}`; string(out) != want {
		t.Errorf("output = %s, want %s", out, want)
	}
	if len(raw.logs) != 1 || raw.logs[0] != "hello name=kronos" {
		t.Errorf("logs = %q", raw.logs)
	}
}

func TestInvokeErrors(t *testing.T) {
	ok := func(*Context) (Result, error) { return Succeeded(nil), nil }
	tests := []struct {
		name    string
		input   string
		handler Handler
		wantErr string
	}{
		{"nil handler", testInput, nil, "handler is nil"},
		{"bad input", "{", ok, "execute input"},
		{"handler error", testInput, func(*Context) (Result, error) { return Result{}, errors.New("config.url: is required") }, "config.url: is required"},
		{"config error", testInput, func(ctx *Context) (Result, error) {
			var v struct{}
			return Result{}, ctx.Config(&v)
		}, `config: unknown field "name"`},
		{"panic", testInput, func(*Context) (Result, error) { panic("boom") }, "plugin panicked: boom"},
		{"bad result", testInput, func(*Context) (Result, error) { return Result{Status: "maybe"}, nil }, `result status "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := &fakeRaw{}
			_, err := Invoke(wireHost{raw}, []byte(tt.input), tt.handler)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestContextWithoutHost(t *testing.T) {
	ctx := NewContext(nil, Input{})
	if _, err := ctx.HTTP(HTTPRequest{URL: "https://x"}); err == nil {
		t.Error("HTTP without a host succeeded")
	}
	if err := ctx.KV.Set("k", nil, 0); err == nil {
		t.Error("KV.Set without a host succeeded")
	}
	ctx.Log.Info("dropped")
}
