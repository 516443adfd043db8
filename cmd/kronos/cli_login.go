package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newLoginCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Check an API token and save it, with the server, in the CLI config file",
		Long: `Login reads an API token from --token-file, else from standard input (it
prompts "Token: " on a terminal), asks the server who the token is, and saves
the token and the server in the CLI config file ($KRONOS_CONFIG_DIR/config.yaml,
else $XDG_CONFIG_HOME/kronos/config.yaml, else ~/.config/kronos/config.yaml;
mode 0600), keeping its other keys. -n saves a namespace for later commands;
--client-cert, --client-key and --ca-cert are saved too when given. Later
client commands then need no flags. A token the server refuses is not saved
(exit code 6).

A new server writes its owner token to <data-dir>/owner.token:
  kronos login --server https://kronos.example.com --token-file kronos-data/owner.token`,
		Example: `  kronos login --token-file kronos-data/owner.token
  printf %s "$KRONOS_TOKEN" | kronos login --server https://kronos.example.com -n team-a`,
		Args:    noArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error { return o.setup(cmd) },
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := cmd.Flags()
			if !flags.Changed("token-file") {
				token, err := readTokenLine(cmd.InOrStdin(), cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				o.token = token
			}
			what := "check the token"
			r, err := o.api.GetPrincipalWithResponse(cmd.Context())
			if err := o.check(what, r, err); err != nil {
				if pe := (*problemError)(nil); errors.As(err, &pe) && pe.ExitCode() == exitDenied {
					pe.hint = "the token was not saved"
				}
				return err
			}
			if r.JSON200 == nil {
				return noBody(what, r)
			}
			set := map[string]string{cfgServer: o.server, cfgToken: o.token}
			if flags.Changed("namespace") {
				set[cfgNamespace] = o.namespace
			}
			for flag, key := range map[string]string{"client-cert": cfgClientCert, "client-key": cfgClientKey, "ca-cert": cfgCACert} {
				if f := flags.Lookup(flag); f.Changed {
					abs, err := filepath.Abs(f.Value.String())
					if err != nil {
						return &usageError{err: fmt.Errorf("--%s: %w", flag, err)}
					}
					set[key] = abs
				}
			}
			if err := o.config.update(set); err != nil {
				return err
			}
			p := r.JSON200
			ns := o.config.values[cfgNamespace]
			if ns == "" {
				ns = p.Namespace
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Logged in to %s as %s %s; default namespace %s; roles %s\n", o.server, p.Kind, p.Name, ns, principalRoles(p.Owner, p.Roles))
			_, err = fmt.Fprintf(out, "Saved in %s\n", o.config.path)
			return err
		},
	}
	o.addFlags(cmd.Flags(), true, false)
	cmd.Flags().Lookup("namespace").Usage = "namespace to save as the default of later commands (default: the token's)"
	cmd.Flags().Lookup("token-file").Usage = "`file` holding the token (default: standard input)"
	return cmd
}

// readTokenLine reads a token from the first line of in, after a prompt
// on stderr when in is a terminal. (The terminal echoes it: the module
// has no terminal package to turn echo off, and --token-file avoids it.)
func readTokenLine(in io.Reader, stderr io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(stderr, "Token: ")
	}
	line, err := bufio.NewReader(io.LimitReader(in, maxTokenFile)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", &usageError{err: fmt.Errorf("read the token from standard input: %w", err)}
	}
	token := strings.TrimSpace(line)
	if token == "" {
		return "", &usageError{err: errNoToken}
	}
	return token, nil
}

func newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Remove the token from the CLI config file",
		Long: `Logout removes the token from the CLI config file and keeps its other keys.
The token itself still works until it is revoked: "kronos tokens revoke ID".`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadCLIConfig(io.Discard)
			if err != nil {
				return &usageError{err: err}
			}
			out := cmd.OutOrStdout()
			if cfg.values[cfgToken] == "" {
				_, err := fmt.Fprintf(out, "Not logged in: %s holds no token\n", cfg.displayPath())
				return err
			}
			if err := cfg.update(map[string]string{cfgToken: ""}); err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "Logged out: removed the token from %s\n", cfg.path)
			return err
		},
	}
}

func newWhoamiCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Print who the requests act for: the credential's kind, name, namespace and roles",
		Long: `Whoami asks the server who the credentials (token or client certificate) are:
their kind, name, default namespace, roles and expiry.` + "\n" + clientHelp,
		Args:    noArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error { return o.setup(cmd) },
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := o.api.GetPrincipalWithResponse(cmd.Context())
			if err := o.check("ask who the credentials are", r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody("ask who the credentials are", r)
			}
			p := r.JSON200
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) {
				fmt.Fprintln(w, "KIND\tNAME\tID\tNAMESPACE\tROLES\tEXPIRES")
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Kind, p.Name, orDash(deref(p.Id)), p.Namespace,
					principalRoles(p.Owner, p.Roles), timeOrDash(p.ExpiresAt, "never"))
			})
		},
	}
	o.addFlags(cmd.Flags(), false, true)
	return cmd
}

// principalRoles writes a principal's roles for a message or a table:
// "owner" for an owner, else "ns=role,…" by namespace, else "none".
func principalRoles(owner *bool, roles *map[string]string) string {
	var parts []string
	if deref(owner) {
		parts = append(parts, "owner")
	}
	if roles != nil {
		for _, ns := range slices.Sorted(maps.Keys(*roles)) {
			parts = append(parts, ns+"="+(*roles)[ns])
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// timeOrDash is *t in RFC 3339, or none when t is nil or zero.
func timeOrDash(t *time.Time, none string) string {
	if t == nil || t.IsZero() {
		return none
	}
	return t.Format(time.RFC3339)
}
