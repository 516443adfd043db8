//go:build wasip1

package main

import "github.com/shiyu-coder/kronos/sdk"

//go:wasmexport execute
func execute() int32 { return sdk.Run(handle) } //nolint:unused // called by the host: //go:wasmexport

//go:wasmexport describe
func describe() int32 { return sdk.Describe(description) } //nolint:unused // called by the host: //go:wasmexport

//go:wasmexport validate
func validate() int32 { return sdk.Validate(validateConfig) } //nolint:unused // called by the host: //go:wasmexport
