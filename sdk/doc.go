// Package sdk is the Go SDK for Kronos executor plugins, and the contract
// types that the host shares with them.
//
// A plugin is a WebAssembly module built for wasip1 and run by Extism. It
// exports execute, which Kronos calls once per execution with the task's
// config, and optionally describe, which names the plugin and gives the
// JSON Schema of its config. CONTRACT.md in this directory describes the
// contract for plugins written with any Extism PDK.
//
// # A plugin
//
// Keep the handler in a plain Go file, so that it builds and is tested on
// any platform:
//
//	// hello.go
//	package main
//
//	import (
//		"encoding/json"
//		"fmt"
//
//		"github.com/shiyu-coder/kronos/sdk"
//	)
//
//	type config struct {
//		Name string `json:"name"`
//	}
//
//	func handle(ctx *sdk.Context) (sdk.Result, error) {
//		var cfg config
//		if err := ctx.Config(&cfg); err != nil {
//			return sdk.Result{}, err // an invalid config fails the execution
//		}
//		ctx.Log.Info("greeting", "name", cfg.Name, "attempt", ctx.Execution.Attempt)
//		resp, err := ctx.HTTP(sdk.HTTPRequest{
//			Method:  "POST",
//			URL:     "https://hooks.example.com/hello",
//			Headers: map[string]string{"Idempotency-Key": ctx.Execution.ID},
//			Body:    []byte(`{"name":"` + cfg.Name + `"}`),
//		})
//		if err != nil {
//			return sdk.Failed("hook: "+err.Error(), nil), nil // err is an *sdk.HTTPError
//		}
//		if resp.Status >= 300 {
//			return sdk.Failed(fmt.Sprintf("hook answered HTTP %d", resp.Status), resp.Status), nil
//		}
//		return sdk.Succeeded(map[string]any{"greeting": "hello, " + cfg.Name}), nil
//	}
//
//	var description = sdk.Description{
//		Name:         "hello",
//		Version:      "1.0.0",
//		Description:  "Greets someone.",
//		ConfigSchema: json.RawMessage(`{"type": "object", "additionalProperties": false,
//			"properties": {"name": {"type": "string"}}}`),
//	}
//
//	// main is empty: the module is a library of exports.
//	func main() {}
//
// and the exports in a file built only for wasip1:
//
//	// exports_wasip1.go
//	//go:build wasip1
//
//	package main
//
//	import "github.com/shiyu-coder/kronos/sdk"
//
//	//go:wasmexport execute
//	func execute() int32 { return sdk.Run(handle) }
//
//	//go:wasmexport describe
//	func describe() int32 { return sdk.Describe(description) }
//
// Build it with Go 1.24 or later:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm .
//
// # Results and errors
//
// A handler returns Succeeded(value) or Failed(message, value) for an
// execution that ran, and an error for one that could not run (an invalid
// config, a kv failure it cannot live with). Both failures fail the
// execution; the value of a Failed result is still recorded, so keep the
// evidence (the response, the status) in it. A panic is recovered and
// reported as an error.
//
// # Host functions
//
// Context.HTTP, Context.KV and Context.Log call the host functions of the
// "kronos:host/v1" module. HTTP requests go through the host, which
// applies the namespace's network policy; a request that got no response
// returns an *HTTPError with a Kind (refused, dns, timeout, …), never a
// trap. Extism's own HTTP functions are not enabled in Kronos.
//
// # Tests
//
// Package sdktest fakes the host so that handlers run in ordinary Go
// tests; Invoke is the function Run uses, minus the Wasm glue.
//
// Run and Describe exist only when GOOS=wasip1: they read the Extism input
// and write the output with github.com/extism/go-pdk.
package sdk
