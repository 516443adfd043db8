package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/openapi/client"
)

func newPluginsCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := newClientGroup("plugins", "Upload, list and delete the executor plugins of a namespace",
		`Plugins manages the custom executors of a namespace on a running server:
WebAssembly modules that tasks name as their executor. Built-in executors
(http) are listed too and cannot be replaced or deleted.

To write a plugin and check or run it locally before uploading it, use
"kronos plugin" (init, validate, test).`, o, true)
	cmd.Example = `  kronos plugins upload bin/plugins/go-hello.wasm --name hello
  kronos plugins list
  kronos plugins get hello -o yaml     # with its config schema
  kronos plugins delete hello`
	cmd.AddCommand(newPluginsUploadCmd(o), newPluginsListCmd(o), newPluginsGetCmd(o), newPluginsDeleteCmd(o))
	return cmd
}

func newPluginsUploadCmd(o *clientOptions) *cobra.Command {
	var name, function string
	cmd := &cobra.Command{
		Use:   "upload FILE.wasm",
		Short: "Upload a plugin, or replace the one of the same name",
		Long: `Upload sends a .wasm module to the server, which checks it (format, size,
imports, the execute export), compiles it and reads its description; a module
it refuses is invalid (exit code 5) and nothing is stored. --name defaults to
the file's name without .wasm. A plain Extism plugin names its export with
--function.`,
		Args: exactArgs("FILE.wasm"),
		RunE: func(cmd *cobra.Command, args []string) error {
			wasm, err := os.ReadFile(args[0])
			if err != nil {
				return &usageError{err: fmt.Errorf("read the plugin: %w", err)}
			}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(args[0]), ".wasm")
			}
			what := fmt.Sprintf("upload plugin %q", name)
			p := &client.UploadPluginParams{Namespace: o.ns()}
			if function != "" {
				p.Function = &function
			}
			r, err := o.api.UploadPluginWithBodyWithResponse(cmd.Context(), name, p, "application/wasm", bytes.NewReader(wasm))
			if err := o.check(what, r, err); err != nil {
				return err
			}
			pl := r.JSON201
			if pl == nil {
				pl = r.JSON200
			}
			if pl == nil {
				return noBody(what, r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { pluginTable(w, []client.Plugin{*pl}) })
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the executor name tasks will use (default: the file name without .wasm)")
	cmd.Flags().StringVar(&function, "function", "", "the export a plain Extism plugin runs (default: execute)")
	return cmd
}

func newPluginsListCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the namespace's plugins and the built-in executors",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := o.api.ListPluginsWithResponse(cmd.Context(), &client.ListPluginsParams{Namespace: o.ns()})
			if err := o.check("list plugins", r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody("list plugins", r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { pluginTable(w, deref(r.JSON200.Plugins)) })
		},
	}
}

func newPluginsGetCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Print a plugin; -o yaml or -o json shows its config schema",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("get plugin %q", args[0])
			r, err := o.api.GetPluginWithResponse(cmd.Context(), args[0], &client.GetPluginParams{Namespace: o.ns()})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody(what, r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { pluginTable(w, []client.Plugin{*r.JSON200}) })
		},
	}
}

func newPluginsDeleteCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a plugin no task uses",
		Long:  "Delete deletes a plugin; while tasks use it, it is a conflict (exit code 4) that names them.",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("delete plugin %q", args[0])
			r, err := o.api.DeletePluginWithResponse(cmd.Context(), args[0], &client.DeletePluginParams{Namespace: o.ns()})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if o.output == "table" {
				fmt.Fprintf(cmd.OutOrStdout(), "plugin %q deleted\n", args[0])
			}
			return nil
		},
	}
}

// pluginTable writes plugins as a table.
func pluginTable(w io.Writer, ps []client.Plugin) {
	fmt.Fprintln(w, "NAME\tVERSION\tSIZE\tSHA256\tBUILTIN")
	for _, p := range ps {
		sha := deref(p.Sha256)
		if len(sha) > 12 {
			sha = sha[:12]
		}
		size := "-"
		if p.Size != nil {
			size = strconv.FormatInt(*p.Size, 10)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\n", p.Name, orDash(deref(p.Version)), size, orDash(sha), deref(p.Builtin))
	}
}
