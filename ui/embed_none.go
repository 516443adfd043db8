//go:build !kronos_ui

package ui

import "embed"

// embedded holds only the page that says how to build the UI: this binary
// was built without the kronos_ui tag.
//
//go:embed noui
var embedded embed.FS

// embeddedDir is the directory of embedded that holds index.html.
const embeddedDir = "noui"

// Built reports whether this binary embeds the web UI.
const Built = false
