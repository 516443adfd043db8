package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/openapi/client"
)

func newNamespacesCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := newClientGroup("namespaces", "List, create and delete namespaces",
		`Namespaces manages the tenants of a running server: every task, execution and
plugin belongs to one. The namespace "default" always exists.`, o, false)
	cmd.Example = `  kronos namespaces create team-a --description "Team A's jobs"
  kronos tasks list -n team-a
  kronos namespaces delete team-a`
	cmd.AddCommand(newNamespacesListCmd(o), newNamespacesGetCmd(o), newNamespacesCreateCmd(o), newNamespacesDeleteCmd(o))
	return cmd
}

func newNamespacesListCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every namespace, by name",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := o.api.ListNamespacesWithResponse(cmd.Context())
			if err := o.check("list namespaces", r, err); err != nil {
				return err
			}
			list := r.JSON200
			if list == nil {
				return noBody("list namespaces", r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { namespaceTable(w, deref(list.Namespaces)) })
		},
	}
}

func newNamespacesGetCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Print a namespace with its settings",
		Long:  "Get prints one namespace; -o yaml or -o json shows its settings.",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("get namespace %q", args[0])
			r, err := o.api.GetNamespaceWithResponse(cmd.Context(), args[0])
			if err := o.check(what, r, err); err != nil {
				return err
			}
			ns := r.JSON200
			if ns == nil {
				return noBody(what, r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { namespaceTable(w, []client.Namespace{*ns}) })
		},
	}
}

func newNamespacesCreateCmd(o *clientOptions) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a namespace",
		Long:  "Create creates a namespace with the server's default settings. A name already taken is a conflict (exit code 4).",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("create namespace %q", args[0])
			in := client.NamespaceInput{Name: &args[0]}
			if description != "" {
				in.Description = &description
			}
			r, err := o.api.CreateNamespaceWithResponse(cmd.Context(), in)
			if err := o.check(what, r, err); err != nil {
				return err
			}
			ns := r.JSON201
			if ns == nil {
				return noBody(what, r)
			}
			if o.output != "table" {
				return o.print(cmd.OutOrStdout(), apiObject(r.Body), nil)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "namespace %q created\n", ns.Name)
			return err
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the namespace is for")
	return cmd
}

func newNamespacesDeleteCmd(o *clientOptions) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a namespace",
		Long: `Delete deletes an empty namespace. One that still holds tasks or plugins is a
conflict (exit code 4) unless --force deletes them (and its finished
executions) too; "default" cannot be deleted.`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("delete namespace %q", args[0])
			p := &client.DeleteNamespaceParams{}
			if force {
				p.Force = &force
			}
			r, err := o.api.DeleteNamespaceWithResponse(cmd.Context(), args[0], p)
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if o.output == "table" {
				fmt.Fprintf(cmd.OutOrStdout(), "namespace %q deleted\n", args[0])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete the namespace's tasks, plugins and finished executions too")
	return cmd
}

// namespaceTable writes namespaces as a table.
func namespaceTable(w io.Writer, nss []client.Namespace) {
	fmt.Fprintln(w, "NAME\tDESCRIPTION\tVERSION\tCREATED")
	for _, ns := range nss {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", ns.Name, orDash(deref(ns.Description)), ns.Version, ns.CreatedAt.Format(time.RFC3339))
	}
}
