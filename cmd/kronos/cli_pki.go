package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/cmd/kronos/internal/pki"
)

// defaultPKIDir is where `kronos pki` keeps the CA and the certificates
// without --dir.
const defaultPKIDir = "./kronos-pki"

func newPKICmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Make a local CA and client or server certificates for mutual TLS",
		Long: `Pki makes a local certificate authority and the certificates it signs, so
that a server can require client certificates:

  kronos server --tls-cert DIR/server.crt --tls-key DIR/server.key --client-ca DIR/ca.crt

All files live in --dir (default ` + defaultPKIDir + `, created with mode 0700): ca.crt
and ca.key for the CA, NAME.crt and NAME.key for each certificate issued.
Keys are PKCS#8 PEM with mode 0600; keep ca.key secret. docs/pki.md shows the
same with openssl.

The server maps a verified client certificate to a principal by the first
of these strings that is bound to one: CN=<common name>, then DNS:<name>,
URI:<uri> and EMAIL:<address> for each such SAN. "kronos pki issue client"
prints them.

Exit codes: 0 ok; 1 a file could not be read or written, or init would
replace a CA; 2 usage error (bad flags or arguments, no CA in --dir).`,
		Example: `  kronos pki init
  kronos pki issue server --name server --dns kronos.example.com
  kronos pki issue client --name alice
  kronos pki issue client --name ci --uri spiffe://kronos/ns/team-a/ci --validity 720h`,
		// A group does nothing itself: an unknown subcommand is a usage
		// error, no subcommand prints the help.
		Args: cobra.ArbitraryArgs,
		RunE: runGroup,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(dir) == "" {
				return &usageError{err: fmtUsage(cmd, errors.New("--dir is empty: name the CA's directory, or leave it out for "+defaultPKIDir))}
			}
			dir = filepath.Clean(dir)
			return nil
		},
	}
	cmd.SuggestionsMinimumDistance = 2
	cmd.PersistentFlags().StringVar(&dir, "dir", defaultPKIDir, "directory of the CA and the certificates")
	cmd.AddCommand(newPKIInitCmd(&dir), newPKIIssueCmd(&dir))
	return cmd
}

func newPKIInitCmd(dir *string) *cobra.Command {
	var opts pki.CAOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Make a CA: DIR/ca.crt and DIR/ca.key",
		Long: `Init makes a self-signed CA (ECDSA P-256, valid 10 years, may sign leaf
certificates only) in --dir: ca.crt (mode 0644), for servers' --client-ca,
and ca.key (PKCS#8 PEM, mode 0600), which signs every certificate.

Init refuses to replace an existing CA, since every certificate it issued
would stop verifying: pass --force to replace it anyway, or choose another
--dir.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			certPath, keyPath, err := pki.InitCA(*dir, opts)
			if err != nil {
				return pkiError(cmd, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote %s (the CA certificate: give it to servers with --client-ca)\n", certPath)
			fmt.Fprintf(out, "wrote %s (the CA key, mode 0600: keep it secret)\n", keyPath)
			fmt.Fprintf(out, "serve mutual TLS: kronos pki issue server --name server --dir %s && %s\n",
				shellWord(*dir), serverCommand(filepath.Join(*dir, "server.crt"), filepath.Join(*dir, "server.key"), certPath))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.CommonName, "cn", pki.DefaultCACommonName, "common name of the CA certificate")
	f.BoolVar(&opts.Force, "force", false, "replace an existing CA in --dir")
	return cmd
}

func newPKIIssueCmd(dir *string) *cobra.Command {
	var (
		opts      pki.IssueOptions
		ips, uris []string
		validity  time.Duration
		kinds     = []string{string(pki.KindClient), string(pki.KindServer)}
	)
	cmd := &cobra.Command{
		Use:   "issue client|server --name NAME",
		Short: "Issue a client or server certificate signed by the CA in --dir",
		Long: `Issue makes a key (ECDSA P-256) and a certificate signed by the CA in --dir:
for clients (clientAuth), whose --name is the principal's name, or for
servers (serverAuth), valid for --dns and --ip (default localhost, 127.0.0.1
and ::1). It writes DIR/NAME.crt (mode 0644) and DIR/NAME.key (PKCS#8 PEM,
mode 0600), where NAME is --name with every character other than
[A-Za-z0-9._-] replaced by '_', or --out PATH: PATH.crt and PATH.key. Issuing
again under the same name replaces both.

A certificate is valid for --validity, never beyond the CA's own end.
--dns, --ip and --email take comma-separated lists or repeat; --uri repeats.

For a client certificate it prints the subject strings the server matches
(CN=, DNS:, URI:, EMAIL:, first bound one wins); an admin binds one to a
principal with kronos tokens create --subject.`,
		Example: `  kronos pki issue client --name alice
  kronos pki issue client --name ci --uri spiffe://kronos/ns/team-a/ci --email ci@example.com
  kronos pki issue server --name server --dns kronos.example.com --ip 10.0.0.5
  kronos pki issue server --name api --out /etc/kronos/tls/api`,
		ValidArgs: kinds,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || (args[0] != kinds[0] && args[0] != kinds[1]) {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("%s takes one argument, client or server, got %q", cmd.CommandPath(), args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind = pki.Kind(args[0])
			if strings.TrimSpace(opts.CommonName) == "" {
				name := "the principal's name"
				if opts.Kind == pki.KindServer {
					name = "a name for the server"
				}
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("%s %s needs --name: %s", cmd.CommandPath(), args[0], name))}
			}
			if validity <= 0 {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--validity %s: give a positive duration such as %s", validity, pki.DefaultValidity))}
			}
			opts.Validity = validity
			for _, s := range ips {
				ip := net.ParseIP(strings.TrimSpace(s))
				if ip == nil {
					return &usageError{err: fmtUsage(cmd, fmt.Errorf("--ip %q: give an IP address such as 10.0.0.5 or ::1", s))}
				}
				opts.IPAddresses = append(opts.IPAddresses, ip)
			}
			for _, s := range uris {
				u, err := url.Parse(s)
				if err != nil {
					return &usageError{err: fmtUsage(cmd, fmt.Errorf("--uri %q: %w", s, err))}
				}
				opts.URIs = append(opts.URIs, u)
			}
			certPath, keyPath, err := pki.Issue(*dir, opts)
			if err != nil {
				return pkiError(cmd, err)
			}
			cert, err := pki.ReadCertificate(certPath)
			if err != nil {
				return fmt.Errorf("read back the certificate: %w", err)
			}
			printIssued(cmd.OutOrStdout(), opts.Kind, cert, certPath, keyPath, filepath.Join(*dir, pki.CACertFile))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.CommonName, "name", "", "common name: the principal's name for a client (required)")
	f.StringSliceVar(&opts.DNSNames, "dns", nil, "DNS name SANs (server default: localhost)")
	f.StringSliceVar(&ips, "ip", nil, "IP address SANs (server default: 127.0.0.1 and ::1)")
	f.StringArrayVar(&uris, "uri", nil, "URI SAN, such as spiffe://kronos/ns/team-a/ci (repeat for more)")
	f.StringSliceVar(&opts.Emails, "email", nil, "email address SANs")
	f.DurationVar(&validity, "validity", pki.DefaultValidity, "how long the certificate is valid (capped by the CA's end)")
	f.StringVar(&opts.Out, "out", "", "write PATH.crt and PATH.key instead of DIR/NAME.crt and DIR/NAME.key")
	return cmd
}

// printIssued tells what Issue wrote and what to do with it.
func printIssued(out io.Writer, kind pki.Kind, cert *x509.Certificate, certPath, keyPath, caPath string) {
	until := cert.NotAfter.UTC().Format(time.RFC3339)
	switch kind {
	case pki.KindServer:
		names := make([]string, 0, len(cert.DNSNames)+len(cert.IPAddresses))
		for _, n := range cert.DNSNames {
			names = append(names, "DNS:"+n)
		}
		for _, ip := range cert.IPAddresses {
			names = append(names, "IP:"+ip.String())
		}
		fmt.Fprintf(out, "wrote %s (server certificate for %s, valid until %s)\n", certPath, strings.Join(names, ", "), until)
		fmt.Fprintf(out, "wrote %s (its key, mode 0600: keep it secret)\n", keyPath)
		fmt.Fprintf(out, "serve mutual TLS: %s\n", serverCommand(certPath, keyPath, caPath))
	default:
		subjects := pki.Subjects(cert)
		fmt.Fprintf(out, "wrote %s (client certificate, valid until %s)\n", certPath, until)
		fmt.Fprintf(out, "wrote %s (its key, mode 0600: keep it secret)\n", keyPath)
		fmt.Fprintln(out, "the server matches this certificate by these subjects, the first bound one wins:")
		for _, s := range subjects {
			fmt.Fprintf(out, "  %s\n", s)
		}
		if len(subjects) > 0 {
			fmt.Fprintf(out, "an admin binds one to a principal with: kronos tokens create --subject %s --role viewer (or editor, admin)\n", quoteSubject(subjects[0]))
		}
	}
}

// serverCommand is the command line of a server that serves TLS with the
// certificate and key and requires client certificates of the CA.
func serverCommand(certPath, keyPath, caPath string) string {
	return fmt.Sprintf("kronos server --tls-cert %s --tls-key %s --client-ca %s", shellWord(certPath), shellWord(keyPath), shellWord(caPath))
}

// pkiError makes an error of package pki a usage error when the command
// line is at fault: options it cannot use, or no CA in --dir.
func pkiError(cmd *cobra.Command, err error) error {
	switch {
	case errors.Is(err, pki.ErrInvalidOptions):
		return &usageError{err: fmtUsage(cmd, err)}
	case errors.Is(err, fs.ErrNotExist):
		return &usageError{err: err}
	}
	return err
}

// shellWord is s as one word of a shell command line: as is when it holds
// no character the shell treats specially, else in single quotes.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteSubject is a subject string quoted for a shell: in double quotes,
// as people write them, unless it holds a character double quotes do not
// protect.
func quoteSubject(s string) string {
	if strings.ContainsAny(s, "\"$`\\!") {
		return shellWord(s)
	}
	return `"` + s + `"`
}
