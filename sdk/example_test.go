package sdk_test

import (
	"errors"
	"fmt"

	"github.com/shiyu-coder/kronos/sdk"
	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

// A handler reports an outcome with Succeeded or Failed; Encode shows the
// JSON that the execute export returns.
func ExampleFailed() {
	res := sdk.Failed("HTTP 503 from POST https://backup.example.com/v1/backup (expected 2xx)", map[string]int{"status": 503})
	out, _ := res.Encode()
	fmt.Println(string(out))
	// Output:
	// {"status":"failed","result":{"status":503},"error":"HTTP 503 from POST https://backup.example.com/v1/backup (expected 2xx)"}
}

// DecodeInput parses the envelope Kronos passes to execute, and
// DecodeConfig decodes the task config strictly.
func ExampleDecodeInput() {
	in, err := sdk.DecodeInput([]byte(`{
		"config": {"url": "https://backup.example.com/v1/backup", "retries": 3},
		"execution": {"id": "0193a5f0-0000-7000-8000-000000000001", "attempt": 1,
			"scheduled_at": "2026-12-01T02:00:00Z", "trigger": "schedule",
			"namespace": "default", "task": "daily_backup", "labels": {"team": "x"}}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.Execution.Task, in.Execution.Attempt, in.Execution.ScheduledAt.Format("2006-01-02 15:04 MST"))

	var cfg struct {
		URL string `json:"url"`
	}
	fmt.Println(sdk.DecodeConfig(in.Config, &cfg))
	// Output:
	// daily_backup 1 2026-12-01 02:00 UTC
	// config: unknown field "retries" (check its spelling against the plugin's config schema)
}

// FormatLog is how Context.Log formats a line.
func ExampleFormatLog() {
	fmt.Println(sdk.FormatLog("backup done", "files", 42, "target", "s3 bucket"))
	// Output:
	// backup done files=42 target="s3 bucket"
}

// A handler runs on any platform with sdktest, which fakes the host.
func ExampleInvoke() {
	handle := func(ctx *sdk.Context) (sdk.Result, error) {
		var cfg struct {
			Name string `json:"name"`
		}
		if err := ctx.Config(&cfg); err != nil {
			return sdk.Result{}, err
		}
		ctx.Log.Info("greeting", "name", cfg.Name)
		if err := ctx.KV.Set("last", []byte(cfg.Name), 0); err != nil {
			return sdk.Result{}, err
		}
		return sdk.Succeeded(map[string]string{"greeting": "hello, " + cfg.Name}), nil
	}

	host := sdktest.NewHost()
	input := []byte(`{"config": {"name": "kronos"}, "execution": {"id": "e1", "attempt": 1}}`)
	out, err := sdk.Invoke(host, input, handle)
	fmt.Println(string(out), err)
	fmt.Println(host.Logs()[0].Msg, string(host.KV()["last"]))
	// Output:
	// {"status":"succeeded","result":{"greeting":"hello, kronos"}} <nil>
	// greeting name=kronos kronos
}

// PublishMQ publishes on a connection of the namespace; sdktest's MQFunc
// plays the broker.
func ExampleContext_PublishMQ() {
	handle := func(ctx *sdk.Context) (sdk.Result, error) {
		r, err := ctx.PublishMQ(sdk.MQMessage{Connection: "events", Topic: "orders", Payload: []byte(`{"id":7}`)})
		var me *sdk.MQError
		if errors.As(err, &me) && me.Retryable() {
			return sdk.Failed("broker unavailable: "+me.Message, nil), nil
		}
		if err != nil {
			return sdk.Result{}, err
		}
		return sdk.Succeeded(map[string]string{"broker": r.Broker, "id": r.ID}), nil
	}
	host := sdktest.NewHost()
	host.MQFunc = func(m sdk.MQMessage) (sdk.MQReceipt, error) {
		return sdk.MQReceipt{Broker: "redis", ID: "1718000000000-0"}, nil
	}
	out, err := sdktest.Execute(handle, host, map[string]any{}, sdktest.Execution())
	fmt.Println(string(out.Result), err, host.Messages()[0].Topic)
	// Output:
	// {"broker":"redis","id":"1718000000000-0"} <nil> orders
}
