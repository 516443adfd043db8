//go:build kronos_ui

package ui

import "embed"

// embedded holds the built app. `just ui` (npm run build) writes ui/dist;
// building with -tags kronos_ui without it fails here, by design: "pattern
// all:dist: no matching files found" means run `just ui` first.
//
//go:embed all:dist
var embedded embed.FS

// embeddedDir is the directory of embedded that holds index.html.
const embeddedDir = "dist"

// Built reports whether this binary embeds the web UI.
const Built = true
