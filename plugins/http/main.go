// Command http is Kronos's built-in HTTP executor: one HTTP request per
// execution, sent through the host's http_request function (so the
// namespace's network policy applies), with the execution id as an
// idempotency key and the status checked against expected_status.
//
// Build it with `just plugins`, or:
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o http.wasm ./plugins/http
//
// The exports live in exports_wasip1.go; everything else is plain Go,
// tested on any platform with sdk/sdktest.
package main

// main is empty: a c-shared Wasm module is a library whose exports
// Kronos calls.
func main() {}
