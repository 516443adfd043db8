// Command script is Kronos's built-in JavaScript executor: the task's
// script runs in goja (an ECMAScript 5.1+ engine written in Go, with
// ES2015+ classes, promises and async functions), compiled with the rest of
// this plugin to wasip1, so the script is inside the same Wasm sandbox and
// under the same memory, time, output and log limits as every plugin.
//
// The script is the body of an async function: `return` (or the value its
// returned promise settles to) is the execution's result, encoded as JSON;
// a thrown error, or a rejected promise, fails the execution with the
// error's message, and its stack is kept in the result. Every execution
// gets a fresh JavaScript context with these globals:
//
//   - console.log / info / warn / error / debug: execution log lines;
//   - fetch(url, {method, headers, body, redirect, timeout}): a Response
//     (status, ok, url, headers.get, text(), json()) through the host's
//     http_request, so the namespace's network policy applies;
//   - kv.get(key), kv.set(key, value, {ttl_ms}), kv.delete(key): the
//     namespace's key-value store, values as strings;
//   - config: the config's args; secrets: the config's secrets, their
//     {{ secret "name" }} references resolved;
//   - execution: id, attempt, scheduled_at, trigger, namespace, task, labels.
//
// Build it with `just plugins`, or:
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o script.wasm ./plugins/script
//
// The exports live in exports_wasip1.go; everything else is plain Go,
// tested on any platform with sdk/sdktest.
package main

// main is empty: a c-shared Wasm module is a library whose exports
// Kronos calls.
func main() {}
