package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/openapi/client"
)

// tokenRoles are the roles a token holds in a namespace, weakest first.
var tokenRoles = []string{"viewer", "editor", "admin"}

func newTokensCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := newClientGroup("tokens", "Create, list and revoke API tokens and client certificate bindings",
		`Tokens manages the credentials of the API: bearer tokens (kro_…), each with a
default namespace (the request's) and a role per namespace (viewer reads,
editor changes tasks and plugins and runs them, admin also manages secrets,
tokens and the audit log), and client certificate subjects bound to roles
(--subject). An admin grants roles only where it is admin; only owners make
owners. The server keeps a keyed hash of a token, never the token: create
prints it once.`, o, true)
	cmd.Example = `  kronos tokens create ci --role editor > ci.token
  kronos tokens create reader --roles team-a=viewer,team-b=viewer --expires-in 720h
  kronos tokens create ci-cert --role editor --subject "CN=ci.team-a"
  kronos tokens list
  kronos tokens revoke 0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60`
	cmd.AddCommand(newTokensCreateCmd(o), newTokensListCmd(o), newTokensRevokeCmd(o))
	return cmd
}

func newTokensCreateCmd(o *clientOptions) *cobra.Command {
	var role, expiresIn, subject string
	var roles map[string]string
	var owner bool
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API token (printed once) or bind a client certificate subject",
		Long: `Create makes a token whose default namespace is the request's (-n, else your
credential's default), with --role in that namespace and --roles in others.
In table form the token alone goes to standard output, so that
"kronos tokens create ci --role editor > ci.token" keeps it in a file, and
its details go to standard error; -o json or -o yaml prints the whole answer.
The token is shown this once: the server stores only a hash of it.

With --subject, create binds a client certificate subject (CN=…, DNS:…,
URI:…, EMAIL:…) to the roles instead, and there is no token to print; NAME
then defaults to the subject.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 || (len(args) == 0 && subject != "") {
				return nil
			}
			return exactArgs("NAME")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := subject
			if len(args) == 1 {
				name = args[0]
			}
			in := client.TokenInput{Name: name}
			if role != "" {
				if !slices.Contains(tokenRoles, role) {
					return &usageError{err: fmtUsage(cmd, fmt.Errorf("--role %q: use viewer, editor or admin", role))}
				}
				in.Role = ptr(client.TokenInputRole(role))
			}
			for ns, r := range roles {
				if ns == "" || !slices.Contains(tokenRoles, r) {
					return &usageError{err: fmtUsage(cmd, fmt.Errorf("--roles %s=%s: give namespace=role, the role viewer, editor or admin", ns, r))}
				}
			}
			if len(roles) > 0 {
				in.Roles = &roles
			}
			if owner {
				in.Owner = &owner
			}
			if role == "" && len(roles) == 0 && !owner {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("the token needs a role: give --role viewer|editor|admin, --roles NS=ROLE,…, or --owner"))}
			}
			if expiresIn != "" {
				if d, err := time.ParseDuration(expiresIn); err != nil || d <= 0 {
					return &usageError{err: fmtUsage(cmd, fmt.Errorf("--expires-in %q: give a positive duration such as 720h (30 days), or leave it out for no expiry", expiresIn))}
				}
				in.ExpiresIn = &expiresIn
			}
			if subject != "" {
				in.Subject = &subject
			}
			what := fmt.Sprintf("create token %q", name)
			r, err := o.api.CreateTokenWithResponse(cmd.Context(), &client.CreateTokenParams{Namespace: o.ns()}, in)
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if r.JSON201 == nil {
				return noBody(what, r)
			}
			if o.output != "table" {
				return o.print(cmd.OutOrStdout(), apiObject(r.Body), nil)
			}
			t, token := r.JSON201.Detail, deref(r.JSON201.Token)
			details := fmt.Sprintf("id %s, namespace %s, roles %s, expires %s", t.Id, t.Namespace, principalRoles(t.Owner, t.Roles), timeOrDash(t.ExpiresAt, "never"))
			if token == "" {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "certificate subject %q bound as %q: %s\n", deref(t.Subject), t.Name, details)
				return err
			}
			if _, err := fmt.Fprintln(cmd.OutOrStdout(), token); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token %q created: %s\nThe token is shown once; the server stores only a hash of it.\n", t.Name, details)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "role in the request's namespace: viewer, editor or admin")
	f.StringToStringVar(&roles, "roles", nil, "roles in other namespaces: NS=ROLE, comma-separated")
	f.BoolVar(&owner, "owner", false, "make an owner, admin of every namespace (only owners may)")
	f.StringVar(&expiresIn, "expires-in", "", "how long the token works, such as 720h (default: no expiry)")
	f.StringVar(&subject, "subject", "", `bind this client certificate subject ("CN=…", "DNS:…", "URI:…", "EMAIL:…") instead of making a token`)
	return cmd
}

func newTokensListCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the tokens and bindings that act in the namespace, revoked ones included",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := o.api.ListTokensWithResponse(cmd.Context(), &client.ListTokensParams{Namespace: o.ns()})
			if err := o.check("list tokens", r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody("list tokens", r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { tokenTable(w, deref(r.JSON200.Tokens)) })
		},
	}
}

func newTokensRevokeCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token or binding: every node refuses it from the next request",
		Long:  `Revoke revokes a token or certificate binding by its ID (as "kronos tokens list" shows it). Revoking twice is not an error.`,
		Args:  exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := "revoke token " + args[0]
			r, err := o.api.RevokeTokenWithResponse(cmd.Context(), args[0], &client.RevokeTokenParams{Namespace: o.ns()})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody(what, r)
			}
			if o.output != "table" {
				return o.print(cmd.OutOrStdout(), apiObject(r.Body), nil)
			}
			t := r.JSON200
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "token %q (%s) revoked at %s\n", t.Name, t.Id, timeOrDash(t.RevokedAt, "-"))
			return err
		},
	}
}

// tokenTable writes tokens as a table.
func tokenTable(w io.Writer, ts []client.Token) {
	fmt.Fprintln(w, "ID\tNAME\tDISPLAY/SUBJECT\tNAMESPACE\tROLES\tOWNER\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range ts {
		shown := deref(t.Subject)
		if shown == "" {
			shown = deref(t.Display)
			if shown != "" {
				shown += "…"
			}
		}
		var roles []string
		if t.Roles != nil {
			for _, ns := range slices.Sorted(maps.Keys(*t.Roles)) {
				roles = append(roles, ns+"="+(*t.Roles)[ns])
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%t\t%s\t%s\t%s\n", t.Id, t.Name, orDash(shown), t.Namespace, orDash(strings.Join(roles, ",")),
			deref(t.Owner), timeOrDash(t.ExpiresAt, "never"), timeOrDash(t.LastUsedAt, "-"), timeOrDash(t.RevokedAt, "-"))
	}
}
