package sdk

// The names of the plugin contract. CONTRACT.md describes each in full.
const (
	// HostModule is the wasm import module of the Kronos host functions.
	HostModule = "kronos:host/v1"
	// ExportExecute is the export Kronos calls to run an execution. Every
	// Kronos plugin has it.
	ExportExecute = "execute"
	// ExportDescribe is the optional export that describes the plugin and
	// the JSON Schema of its config.
	ExportDescribe = "describe"
)

// The host functions of HostModule.
const (
	hostFuncLog      = "log"
	hostFuncHTTP     = "http_request"
	hostFuncKVGet    = "kv_get"
	hostFuncKVSet    = "kv_set"
	hostFuncKVDelete = "kv_delete"
)
