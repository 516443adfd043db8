//go:build wasip1

package sdk

import (
	"github.com/extism/go-pdk"
)

//go:wasmimport kronos:host/v1 log
func hostLog(level uint32, msg uint64)

//go:wasmimport kronos:host/v1 http_request
func hostHTTPRequest(req uint64) uint64

//go:wasmimport kronos:host/v1 kv_get
func hostKVGet(req uint64) uint64

//go:wasmimport kronos:host/v1 kv_set
func hostKVSet(req uint64) uint64

//go:wasmimport kronos:host/v1 kv_delete
func hostKVDelete(req uint64) uint64

//go:wasmimport kronos:host/v1 mq_publish
func hostMQPublish(req uint64) uint64

// Run runs handler for the current execute call and returns the export's
// result code. Call it from the plugin's execute export:
//
//	//go:wasmexport execute
//	func execute() int32 { return sdk.Run(handle) }
//
// A handler error (or panic) becomes an Extism error, which fails the
// execution with its message.
func Run(handler Handler) int32 {
	out, err := Invoke(wireHost{raw: pdkHost{}}, pdk.Input(), handler)
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	pdk.Output(out)
	return 0
}

// Describe writes d as the output of the describe export and returns the
// export's result code:
//
//	//go:wasmexport describe
//	func describe() int32 { return sdk.Describe(description) }
func Describe(d Description) int32 {
	out, err := d.Encode()
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	pdk.Output(out)
	return 0
}

// Validate runs v for the current validate call and returns the export's
// result code:
//
//	//go:wasmexport validate
//	func validate() int32 { return sdk.Validate(validateConfig) }
func Validate(v Validator) int32 {
	out, err := InvokeValidate(pdk.Input(), v)
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	pdk.Output(out)
	return 0
}

// pdkHost is the rawHost of the Kronos host module.
type pdkHost struct{}

func (pdkHost) log(level Level, msg string) {
	mem := pdk.AllocateString(msg)
	hostLog(uint32(level), mem.Offset())
	mem.Free()
}

func (pdkHost) call(fn string, req []byte) []byte {
	mem := pdk.AllocateBytes(req)
	defer mem.Free()
	var off uint64
	switch fn {
	case hostFuncHTTP:
		off = hostHTTPRequest(mem.Offset())
	case hostFuncKVGet:
		off = hostKVGet(mem.Offset())
	case hostFuncKVSet:
		off = hostKVSet(mem.Offset())
	case hostFuncKVDelete:
		off = hostKVDelete(mem.Offset())
	case hostFuncMQ:
		off = hostMQPublish(mem.Offset())
	default:
		return nil
	}
	if off == 0 {
		return nil
	}
	resp := pdk.FindMemory(off)
	defer resp.Free()
	return resp.ReadBytes()
}
