// Package core holds the Kronos domain: namespaces, tasks, executions and
// their log lines, executor plugins and the key-value pairs they keep,
// together with the validation rules that every entry point (API, CLI,
// store) shares.
//
// The types here are plain values. They know how to validate and normalise
// themselves and nothing else: persistence lives in core/store and its
// drivers, schedule parsing in core/schedule, and execution in the Wasm host,
// which core only ever sees through interfaces.
package core
