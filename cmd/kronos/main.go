// Command kronos is the one Kronos binary: `kronos server` runs a node, and
// later releases add a CLI client beside it.
//
// Exit codes: 0 on success and after a graceful shutdown, 1 when the server
// fails (data dir in use, port taken, store unreachable), 2 for invalid
// flags, environment or config file.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(executeWithInput(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// execute runs the kronos command line with no standard input and returns
// the process exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return executeWithInput(ctx, args, strings.NewReader(""), stdout, stderr)
}

// executeWithInput runs the kronos command line and returns the process
// exit code.
func executeWithInput(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd() //nolint:contextcheck // the commands take ctx from cmd.Context(), which ExecuteContext sets
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "kronos: %v\n", err)
	return exitCode(err) // a usage error is 2, an API problem 3/4/5 (see cli.go), anything else 1
}

// usageError is a mistake in the command line, environment or config file
// (exit code 2), as opposed to a failure while running (exit code 1).
type usageError struct {
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
