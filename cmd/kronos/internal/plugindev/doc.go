// Package plugindev is the plugin author's side of the kronos command:
// the skeletons `kronos plugin init` writes (embedded under templates/),
// and an in-memory kv store for `kronos plugin test`. The commands
// themselves live in cmd/kronos (cli_plugin_dev.go).
package plugindev
