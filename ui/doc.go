// Package ui serves Kronos's web UI: the TypeScript app under this
// directory, built by Vite into ui/dist (`just ui`) and embedded in the
// binary when it is built with the kronos_ui tag (`just build`). Every node
// serves it at / next to the REST API it calls (/api/v1).
//
// A binary built without the tag (plain `go build ./cmd/kronos`, or any
// build without Node.js and npm) embeds only a short page that says how to
// build the UI, so the module compiles and tests without ui/dist.
//
// See ui/README.md for the app itself and its build.
package ui
