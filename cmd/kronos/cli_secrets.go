package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/openapi/client"
)

func newSecretsCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := newClientGroup("secrets", "Set, list and delete the secrets of a namespace",
		`Secrets manages values that task configs refer to as {{ secret "name" }}:
sealed at rest, resolved only inside an execution, redacted from its output
and logs, and never shown by any command.`, o, true)
	cmd.Example = `  kronos secrets set backup-token --from-file token.txt
  printf %s "$TOKEN" | kronos secrets set backup-token
  kronos secrets list
  kronos secrets delete backup-token`
	cmd.AddCommand(newSecretsSetCmd(o), newSecretsListCmd(o), newSecretsDeleteCmd(o))
	return cmd
}

func newSecretsSetCmd(o *clientOptions) *cobra.Command {
	var fromFile string
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Create a secret or rotate its value",
		Long: `Set stores a secret's value, read from --from-file or from standard input
(never from the command line, where it would land in the shell's history).
One trailing newline is dropped.`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := cmd.InOrStdin()
			if fromFile != "" {
				f, err := os.Open(fromFile)
				if err != nil {
					return &usageError{err: fmt.Errorf("read the secret: %w", err)}
				}
				defer f.Close()
				in = f
			}
			b, err := io.ReadAll(io.LimitReader(in, 1<<20))
			if err != nil {
				return &usageError{err: fmt.Errorf("read the secret: %w", err)}
			}
			value := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
			if value == "" {
				return &usageError{err: fmt.Errorf("the secret is empty: give it with --from-file or on standard input")}
			}
			what := fmt.Sprintf("set secret %q", args[0])
			r, err := o.api.PutSecretWithResponse(cmd.Context(), args[0], &client.PutSecretParams{Namespace: o.ns()}, client.SecretValue{Value: value})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody(what, r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { secretTable(w, []client.Secret{*r.JSON200}) })
		},
	}
	cmd.Flags().StringVar(&fromFile, "from-file", "", "read the value from this file (default: standard input)")
	return cmd
}

func newSecretsListCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the namespace's secrets, without values",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := o.api.ListSecretsWithResponse(cmd.Context(), &client.ListSecretsParams{Namespace: o.ns()})
			if err := o.check("list secrets", r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody("list secrets", r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { secretTable(w, deref(r.JSON200.Secrets)) })
		},
	}
}

func newSecretsDeleteCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a secret",
		Long:  "Delete deletes a secret; executions of tasks that still refer to it fail, naming it.",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("delete secret %q", args[0])
			r, err := o.api.DeleteSecretWithResponse(cmd.Context(), args[0], &client.DeleteSecretParams{Namespace: o.ns()})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if o.output == "table" {
				fmt.Fprintf(cmd.OutOrStdout(), "secret %q deleted\n", args[0])
			}
			return nil
		},
	}
}

// secretTable writes secrets as a table.
func secretTable(w io.Writer, ss []client.Secret) {
	fmt.Fprintln(w, "NAME\tKEY\tUPDATED")
	for _, s := range ss {
		fmt.Fprintf(w, "%s\t%s\t%s\n", s.Name, s.KeyId, s.UpdatedAt.Format(time.RFC3339))
	}
}
