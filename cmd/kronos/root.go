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

Run a node with "kronos server". This release serves the store, the data dir
lock and the health endpoints; the scheduler, the REST API, the web UI and the
CLI client arrive in later releases.`,
		Version: version,
		// main prints errors once, with the exit code that fits them.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{err: fmtUsage(cmd, err)}
	})
	root.AddCommand(newServerCmd(), newVersionCmd(), newBenchCmd(), newOpenAPICmd())
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
