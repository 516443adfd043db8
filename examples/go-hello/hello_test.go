package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/sdk"
	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

func TestHelloCounts(t *testing.T) {
	host := sdktest.NewHost()
	exec := sdktest.Execution()
	for want := 1; want <= 3; want++ {
		out, err := sdktest.Execute(handle, host, map[string]string{"name": "Kronos"}, exec)
		if err != nil {
			t.Fatal(err)
		}
		var got output
		if err := json.Unmarshal(out.Result, &got); err != nil {
			t.Fatal(err)
		}
		if out.Status != sdk.StatusSucceeded || got.Greeting != "hello, Kronos" || got.Count != want {
			t.Errorf("run %d: %+v %+v", want, out, got)
		}
	}
	if got := string(host.KV()[counterKey(exec.Task)]); got != "3" {
		t.Errorf("counter = %q", got)
	}
	if logs := host.Logs(); len(logs) != 3 || !strings.HasPrefix(logs[0].Msg, "hello, Kronos execution=") {
		t.Errorf("logs = %v", logs)
	}
}

func TestHelloDefaultsAndErrors(t *testing.T) {
	host := sdktest.NewHost()
	out, err := sdktest.Execute(handle, host, nil, sdktest.Execution())
	if err != nil || !strings.Contains(string(out.Result), `"greeting":"hello, world"`) {
		t.Errorf("no config: %s, %v", out.Result, err)
	}
	if _, err := sdktest.Execute(handle, host, map[string]string{"names": "x"}, sdktest.Execution()); err == nil || !strings.Contains(err.Error(), `unknown field "names"`) {
		t.Errorf("misspelt field: err = %v", err)
	}
	host.KVErr = errors.New("kv_set: quota exceeded")
	if _, err := sdktest.Execute(handle, host, nil, sdktest.Execution()); err == nil || !strings.Contains(err.Error(), "quota exceeded") {
		t.Errorf("kv failure: err = %v", err)
	}
}

func TestHelloDescription(t *testing.T) {
	if _, err := description.Encode(); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(description.ConfigSchema.(json.RawMessage)) {
		t.Error("the config schema is not JSON")
	}
}
