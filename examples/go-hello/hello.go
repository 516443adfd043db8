package main

import (
	"encoding/json"
	"strconv"

	"github.com/shiyu-coder/kronos/sdk"
)

// config is the task config of the plugin.
type config struct {
	// Name is who to greet. Defaults to "world".
	Name string `json:"name"`
}

// output is the result the plugin records.
type output struct {
	Greeting string `json:"greeting"`
	Count    int    `json:"count"`
}

// counterKey is the kv key of the run counter; the store is per
// namespace, so the task name keeps tasks apart.
func counterKey(task string) string { return "go-hello/" + task + "/count" }

// handle greets, and counts the runs of the task.
func handle(ctx *sdk.Context) (sdk.Result, error) {
	var cfg config
	if err := ctx.Config(&cfg); err != nil {
		return sdk.Result{}, err
	}
	if cfg.Name == "" {
		cfg.Name = "world"
	}
	greeting := "hello, " + cfg.Name
	ctx.Log.Info(greeting, "execution", ctx.Execution.ID, "attempt", ctx.Execution.Attempt)

	key := counterKey(ctx.Execution.Task)
	count := 0
	if v, found, err := ctx.KV.Get(key); err != nil {
		return sdk.Result{}, err
	} else if found {
		if count, err = strconv.Atoi(string(v)); err != nil {
			ctx.Log.Warn("counter is not a number; starting again", "key", key, "value", string(v))
			count = 0
		}
	}
	count++
	if err := ctx.KV.Set(key, []byte(strconv.Itoa(count)), 0); err != nil {
		return sdk.Result{}, err
	}
	return sdk.Succeeded(output{Greeting: greeting, Count: count}), nil
}

// description is what describe returns.
var description = sdk.Description{
	Name:        "go-hello",
	Version:     "0.1.0",
	Description: "Greets someone and counts its runs: an example plugin for the Kronos Go SDK.",
	ConfigSchema: json.RawMessage(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "name": {"description": "Who to greet.", "type": "string", "maxLength": 100, "default": "world"}
  }
}`),
}
