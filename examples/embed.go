// Package examples holds the example plugins (each a program of its own
// under a directory here). It embeds the AssemblyScript example's helper
// modules, which `kronos plugin init --lang assemblyscript` copies into a
// new plugin, so that there is one copy of them to maintain.
package examples

import "embed"

// AssemblyScriptHelpers holds assemblyscript-hello/assembly/json.ts and
// base64.ts.
//
//go:embed assemblyscript-hello/assembly/json.ts assemblyscript-hello/assembly/base64.ts
var AssemblyScriptHelpers embed.FS
