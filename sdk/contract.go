package sdk

import "github.com/shiyu-coder/kronos/sdk/abi"

// The names of the plugin contract. CONTRACT.md describes each in full.
const (
	// HostModule is the wasm import module of the Kronos host functions.
	HostModule = abi.HostModule
	// ExportExecute is the export Kronos calls to run an execution. Every
	// Kronos plugin has it.
	ExportExecute = "execute"
	// ExportDescribe is the optional export that describes the plugin and
	// the JSON Schema of its config.
	ExportDescribe = "describe"
	// ExportValidate is the optional export that checks a task config
	// beyond its JSON Schema, when the task is created or changed.
	ExportValidate = "validate"
)

// The host functions of HostModule.
const (
	hostFuncLog      = abi.FuncLog
	hostFuncHTTP     = abi.FuncHTTPRequest
	hostFuncKVGet    = abi.FuncKVGet
	hostFuncKVSet    = abi.FuncKVSet
	hostFuncKVDelete = abi.FuncKVDelete
	hostFuncMQ       = abi.FuncMQPublish
)
