// Package host runs Kronos executor plugins: WebAssembly modules that
// follow the Kronos plugin contract (see sdk/CONTRACT.md) or any Extism
// plugin, inside the Extism Go SDK on wazero.
//
// A [Runtime] owns the compiled plugins and their instance pools:
//
//   - Compilation is cached twice: wazero's on-disk compilation cache in
//     [Config].CacheDir (the server's is shared by the user's kronos
//     processes, so a restart or a new data dir does not recompile), and
//     compiled plugins in memory keyed by the module's SHA-256 and its
//     memory limit (Extism applies the memory limit per compiled runtime,
//     so two limits are two compilations). Concurrent compilations of one
//     module and limit are one: the callers after the first wait for it,
//     which is what lets [Executor.PrecompileBuiltin] run in the
//     background while tasks fire.
//   - Instances are pooled per namespace and compiled plugin. An instance is
//     not safe for concurrent calls; each call checks one out and gives it
//     back. An instance whose call trapped, timed out or was stopped is
//     closed, never reused. A warm call compiles and instantiates nothing.
//   - Every call runs under [Limits]: memory pages, a wall-clock timeout
//     (wazero closes the module when the context ends; wazero has no fuel,
//     so time is the CPU bound), output bytes, log bytes, and the network
//     policy of the Kronos HTTP host function.
//
// Plugins reach the outside world only through the Kronos host module
// (wasm import module "kronos:host/v1"): log, http_request, kv_get, kv_set,
// kv_delete and mq_publish; http_request and mq_publish dial under the
// call's network policy. Extism's own HTTP function is never enabled (its allowed
// hosts list stays empty, so it refuses every request).
package host
