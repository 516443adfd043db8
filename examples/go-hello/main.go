// Command go-hello is an example Kronos plugin written with the Go SDK. It
// greets the name in its config, counts its runs in the namespace's
// key-value store, and returns {"greeting": "hello, …", "count": n}.
//
// Build it with `just plugins`, or:
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o go-hello.wasm ./examples/go-hello
//
// The handler (hello.go) is plain Go, tested on any platform with
// sdk/sdktest; only the exports (exports_wasip1.go) need wasip1.
package main

// main is empty: a c-shared Wasm module is a library whose exports
// Kronos calls.
func main() {}
