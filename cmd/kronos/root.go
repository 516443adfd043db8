package main

import (
	"github.com/spf13/cobra"
)

// newRootCmd returns the kronos command with its subcommands. Cobra adds
// `kronos completion bash|zsh|fish|powershell` and --version.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "kronos",
		Short: "Kronos is a distributed task scheduler whose executors are sandboxed WebAssembly plugins",
		Long: `Kronos is a distributed task scheduler whose executors are sandboxed WebAssembly plugins.

Run a node with "kronos server": it fires the tasks in its store and serves
the REST API under /api/v1. "kronos tasks", "kronos executions" and
"kronos namespaces" are clients of that API (see their --help for the server,
namespace and output settings and the exit codes); cluster mode and the web
UI arrive in later releases.`,
		Version: version,
		// main prints errors once, with the exit code that fits them.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{err: fmtUsage(cmd, err)}
	})
	root.AddCommand(newServerCmd(), newVersionCmd(), newBenchCmd(), newOpenAPICmd(), newPKICmd())
	root.AddCommand(newTasksCmd(), newExecutionsCmd(), newNamespacesCmd(), newPluginsCmd(), newPluginCmd(), newSecretsCmd(), newMQCmd())
	root.AddCommand(newTokensCmd(), newAuditCmd(), newLoginCmd(), newLogoutCmd(), newWhoamiCmd())
	return root
}

// fmtUsage adds a pointer to --help to a command line error.
func fmtUsage(cmd *cobra.Command, err error) error {
	return &hintError{err: err, hint: `run "` + cmd.CommandPath() + ` --help" for usage`}
}

// hintError is an error followed by what to do about it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + "; " + e.hint }
func (e *hintError) Unwrap() error { return e.err }
