package sdktest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/sdk"
	"github.com/shiyu-coder/kronos/sdk/sdktest"
)

func TestHostRecordsAndAnswers(t *testing.T) {
	host := sdktest.NewHost()
	handler := func(ctx *sdk.Context) (sdk.Result, error) {
		if _, err := ctx.HTTP(sdk.HTTPRequest{URL: "https://x.example"}); err == nil {
			t.Error("HTTP without HTTPFunc succeeded")
		}
		if err := ctx.KV.Set("k", []byte("v"), time.Minute); err != nil {
			return sdk.Result{}, err
		}
		v, found, err := ctx.KV.Get("k")
		if err != nil || !found || string(v) != "v" {
			t.Errorf("Get = %q, %v, %v", v, found, err)
		}
		ctx.Log.Warn("careful", "n", 1)
		return sdk.Failed("nope", ctx.Execution.Task), nil
	}
	out, err := sdktest.Execute(handler, host, map[string]any{}, sdktest.Execution())
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != sdk.StatusFailed || out.Error != "nope" || string(out.Result) != `"test"` {
		t.Errorf("output = %+v", out)
	}
	if host.TTL("k") != time.Minute || len(host.Requests()) != 1 {
		t.Errorf("ttl %s, requests %v", host.TTL("k"), host.Requests())
	}
	if logs := host.Logs(); len(logs) != 1 || logs[0] != (sdktest.LogLine{Level: sdk.LevelWarn, Msg: "careful n=1"}) {
		t.Errorf("logs = %v", logs)
	}
	if err := host.KVDelete("k"); err != nil || len(host.KV()) != 0 {
		t.Errorf("delete: %v, %v", err, host.KV())
	}
}

func TestHostKVErr(t *testing.T) {
	host := sdktest.NewHost()
	host.KVErr = errors.New("quota")
	_, err := sdktest.Execute(func(ctx *sdk.Context) (sdk.Result, error) {
		return sdk.Result{}, ctx.KV.Delete("k")
	}, host, nil, sdktest.Execution())
	if err == nil || err.Error() != `kv delete "k": quota` {
		t.Errorf("err = %v", err)
	}
	if _, err := sdktest.Execute(nil, host, func() {}, sdktest.Execution()); err == nil {
		t.Error("an unencodable config was accepted")
	}
}

func TestHostMQ(t *testing.T) {
	host := sdktest.NewHost()
	handler := func(ctx *sdk.Context) (sdk.Result, error) {
		_, err := ctx.PublishMQ(sdk.MQMessage{Connection: "events", Topic: "a"})
		var me *sdk.MQError
		if !errors.As(err, &me) || me.Kind != sdk.MQErrorNotFound {
			t.Errorf("publish without MQFunc: %v", err)
		}
		host.MQFunc = func(m sdk.MQMessage) (sdk.MQReceipt, error) { return sdk.MQReceipt{Broker: "nats"}, nil }
		r, err := ctx.PublishMQ(sdk.MQMessage{Connection: "events", Topic: "b", Payload: []byte("x")})
		if err != nil || r.Broker != "nats" {
			t.Errorf("publish = %+v, %v", r, err)
		}
		return sdk.Succeeded(nil), nil
	}
	if _, err := sdktest.Execute(handler, host, map[string]any{}, sdktest.Execution()); err != nil {
		t.Fatal(err)
	}
	if got := host.Messages(); len(got) != 2 || got[0].Topic != "a" || string(got[1].Payload) != "x" {
		t.Fatalf("messages %+v", got)
	}
}
