package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/shiyu-coder/kronos/openapi/client"
)

// Client settings: the flags every client command takes, their
// environment variables and their defaults.
const (
	// defaultServer is the server a client command talks to without
	// --server or KRONOS_SERVER: the one `just dev` runs.
	defaultServer = "http://localhost:8080"
	// envServer sets --server.
	envServer = envPrefix + "SERVER"
	// envNamespace sets --namespace.
	envNamespace = envPrefix + "NAMESPACE"
	// envToken is an API token (kro_…); it beats envTokenFile and the
	// CLI config file, and --token-file beats it.
	envToken = envPrefix + "TOKEN"
	// envTokenFile names a file that holds an API token.
	envTokenFile = envPrefix + "TOKEN_FILE"
	// envClientCert, envClientKey and envCACert set --client-cert,
	// --client-key and --ca-cert.
	envClientCert = envPrefix + "CLIENT_CERT"
	envClientKey  = envPrefix + "CLIENT_KEY"
	envCACert     = envPrefix + "CA_CERT"
	// clientPageSize is the page size of the listings a client command
	// walks to their end (--all, an execution's log lines).
	clientPageSize = 1000
)

// Exit codes of the client commands (main's execute maps errors to them
// with exitCode).
const (
	exitFailure  = 1 // the server failed or could not be reached, or a followed execution did not succeed
	exitUsage    = 2 // bad flags or arguments, an unreadable file
	exitNotFound = 3 // 404: no such namespace, task or execution
	exitConflict = 4 // 409: a name taken, a stale version, a namespace in use, an execution already ended
	exitInvalid  = 5 // 422: the server refused a field; each field error is printed with its location
	exitDenied   = 6 // 401, 403: missing, expired or revoked credentials, or a role too low
)

// outputFormats are the values of --output.
var outputFormats = []string{"table", "json", "yaml"}

// clientHelp ends the help of every client command group.
const clientHelp = `
Every client command talks to one server's REST API (/api/v1):
  --server, KRONOS_SERVER        base URL of the server (default ` + defaultServer + `)
  --namespace/-n, KRONOS_NAMESPACE  namespace of the request (default: the
                                 credential's default namespace)
  --output/-o                    table (default), json or yaml
  --token-file, KRONOS_TOKEN, KRONOS_TOKEN_FILE
                                 the API token (kro_…), sent as
                                 "Authorization: Bearer"; in this order
  --client-cert, --client-key, --ca-cert (KRONOS_CLIENT_CERT, KRONOS_CLIENT_KEY,
  KRONOS_CA_CERT)                PEM files for an https server: a client
                                 certificate bound to roles, and the CA that
                                 signed the server's certificate
A flag beats its environment variable, which beats the CLI config file:
$KRONOS_CONFIG_DIR/config.yaml, else $XDG_CONFIG_HOME/kronos/config.yaml,
else ~/.config/kronos/config.yaml, with the keys server, token, namespace,
client_cert, client_key and ca_cert ("kronos login" writes it). Its token
is sent only to its server.

Exit codes: 0 ok; 1 the server failed or could not be reached (or rate
limited the request: 429), or a followed execution did not succeed; 2 usage
error (bad flags or arguments, unreadable file); 3 not found (404); 4
conflict (409); 5 invalid (422, each field error printed with its location);
6 not allowed (401, 403: missing, expired or revoked credentials, or a role
too low).`

// clientOptions are the settings of a client command and its API client.
type clientOptions struct {
	server string
	// namespace is the namespace of the requests; "" sends none, and the
	// server uses the credential's default namespace.
	namespace string
	output    string
	// tokenFile, clientCert, clientKey and caCert are the flags' values
	// until setup resolves them.
	tokenFile                     string
	clientCert, clientKey, caCert string
	// namespaceSet is whether --namespace or KRONOS_NAMESPACE chose the
	// namespace (a task file's namespace may not contradict it).
	namespaceSet bool
	// token is the API token the requests carry; "" sends none.
	token string
	// unsentToken, when the config file's token was not sent because it
	// is saved for another server, says so for the message of a 401.
	unsentToken string
	// config is the CLI config file, as setup read it.
	config *cliConfig

	// retryAfter is the Retry-After of the last 429 answer.
	retryAfter retryAfter

	http *http.Client
	api  *client.ClientWithResponses
}

// runGroup runs a command that only groups subcommands: without one it
// prints the help; an unknown one is a usage error, with suggestions.
func runGroup(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	err := fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		err = fmt.Errorf("%w: did you mean %s?", err, strings.Join(s, " or "))
	}
	return &usageError{err: fmtUsage(cmd, err)}
}

// newClientGroup returns a command that groups client subcommands and
// gives them the client flags. withNamespace adds --namespace (namespaces
// themselves are not in one).
func newClientGroup(use, short, long string, o *clientOptions, withNamespace bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + "\n" + clientHelp,
		// A group runs no request itself: an unknown subcommand is a
		// usage error, no subcommand prints the help.
		Args: cobra.ArbitraryArgs,
		RunE: runGroup,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return o.setup(cmd)
		},
	}
	cmd.SuggestionsMinimumDistance = 2
	o.addFlags(cmd.PersistentFlags(), withNamespace, true)
	return cmd
}

// addFlags defines the client flags on f: --server, the credentials,
// and --namespace and --output when asked for.
func (o *clientOptions) addFlags(f *pflag.FlagSet, withNamespace, withOutput bool) {
	f.StringVar(&o.server, "server", defaultServer, "base URL of the Kronos server (env "+envServer+")")
	if withNamespace {
		f.StringVarP(&o.namespace, "namespace", "n", "", "namespace of the request (env "+envNamespace+"; default: the credential's default namespace)")
	}
	if withOutput {
		f.StringVarP(&o.output, "output", "o", "table", "output format: table, json or yaml")
	}
	f.StringVar(&o.tokenFile, "token-file", "", "`file` holding the API token (env "+envToken+" holds the token itself, "+envTokenFile+" a file)")
	f.StringVar(&o.clientCert, "client-cert", "", "PEM client certificate `file` for an https server (env "+envClientCert+")")
	f.StringVar(&o.clientKey, "client-key", "", "PEM private key `file` of --client-cert (env "+envClientKey+")")
	f.StringVar(&o.caCert, "ca-cert", "", "PEM CA `file` that signed the https server's certificate (env "+envCACert+"; default: the system's)")
}

// setup settles every client setting (flag, else environment variable,
// else CLI config file, else default), checks them, and makes the API
// client.
func (o *clientOptions) setup(cmd *cobra.Command) error {
	flags := cmd.Flags()
	cfg, err := loadCLIConfig(cmd.ErrOrStderr())
	if err != nil {
		return &usageError{err: err}
	}
	o.config = cfg
	o.server, _ = pick(flags, "server", envServer, cfg, cfgServer)
	if o.server == "" {
		o.server = defaultServer
	}
	if flags.Lookup("namespace") != nil {
		var from string
		o.namespace, from = pick(flags, "namespace", envNamespace, cfg, cfgNamespace)
		if flags.Changed("namespace") && o.namespace == "" {
			return &usageError{err: fmtUsage(cmd, errors.New("--namespace is empty: name a namespace, or leave it out for the credential's default namespace"))}
		}
		// The config file's namespace is a default, like the token's: a
		// task file may name another.
		o.namespaceSet = from == "--namespace" || from == envNamespace
	}
	if flags.Lookup("output") == nil {
		o.output = "table"
	}
	if !slices.Contains(outputFormats, o.output) {
		return &usageError{err: fmtUsage(cmd, fmt.Errorf("--output %q: use table, json or yaml", o.output))}
	}
	u, err := parseServer(o.server)
	if err != nil {
		return &usageError{err: fmtUsage(cmd, fmt.Errorf("--server %q (or %s, or server in %s): give the server's base URL, such as %s",
			o.server, envServer, cfg.displayPath(), defaultServer))}
	}
	o.server = u.String()
	if o.token, err = o.resolveToken(flags, cfg); err != nil {
		return &usageError{err: fmtUsage(cmd, err)}
	}
	transport, err := o.transport(flags, cfg, u)
	if err != nil {
		return &usageError{err: fmtUsage(cmd, err)}
	}
	o.http = &http.Client{Transport: &bearerTransport{base: transport, host: u.Host, o: o}}
	o.api, err = client.NewClientWithResponses(o.server, client.WithHTTPClient(o.http))
	return err
}

// parseServer reads a server's base URL, http or https, without the
// /api/v1 the client's paths start with (a base URL that ends with it
// would double it) and without a trailing slash.
func parseServer(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("not an http or https URL")
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v1")
	u.RawPath = ""
	return u, nil
}

// ns is the namespace parameter of a request: nil when no namespace was
// chosen, so that the server uses the credential's default namespace.
func (o *clientOptions) ns() *string {
	if o.namespace == "" {
		return nil
	}
	return &o.namespace
}

// nsLabel names the namespace of the requests in a message.
func (o *clientOptions) nsLabel() string {
	if o.namespace == "" {
		return "the token's default namespace"
	}
	return "namespace " + o.namespace
}

// apiResponse is what every response of the generated client has.
type apiResponse interface {
	StatusCode() int
	GetBody() []byte
}

// check turns a failed call into an error: a transport error says which
// server could not be reached, a status other than 2xx becomes a
// problemError. what says what was being done.
func (o *clientOptions) check(what string, r apiResponse, err error) error {
	if err != nil {
		return o.transportError(what, err)
	}
	if s := r.StatusCode(); s >= 200 && s < 300 {
		return nil
	}
	return o.problem(what, r.StatusCode(), r.GetBody())
}

// problem is the problemError of an answer with status and body: with
// the Retry-After of a 429, and without the token wherever the server
// repeated it.
func (o *clientOptions) problem(what string, status int, body []byte) *problemError {
	e := newProblemError(what, status, body)
	if status == http.StatusTooManyRequests {
		e.retryAfter = o.retryAfter.take()
	}
	if status == http.StatusUnauthorized && o.unsentToken != "" {
		e.hint += "\n" + o.unsentToken
	}
	e.redact(o.token)
	return e
}

// transportError explains an error of a request that got no answer (or
// an answer that could not be read).
func (o *clientOptions) transportError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%s: cannot reach the Kronos server at %s (connection refused): start one with \"just dev\", "+
			"or point --server (or %s) at a running server", what, o.server, envServer)
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) {
		return fmt.Errorf("%s: cannot reach the Kronos server at %s: %w; check --server (or %s)", what, o.server, err, envServer)
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) {
		return fmt.Errorf("%s: the answer of %s is not the Kronos API's (is --server a Kronos server?): %w", what, o.server, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// noBody is the error of a 2xx answer without the JSON body it should have.
func noBody(what string, r apiResponse) error {
	return fmt.Errorf("%s: the server answered %d without a JSON body: %.200s", what, r.StatusCode(), r.GetBody())
}

// problemError is an RFC 9457 problem document the server answered with.
type problemError struct {
	status int
	title  string
	detail string
	fields []fieldProblem
	// retryAfter is when a 429 says to retry: "3s", or an HTTP date.
	retryAfter string
	// hint says what to do; a 401 has one.
	hint string
}

// fieldProblem is one invalid field of a problem.
type fieldProblem struct {
	location, message string
}

// newProblemError reads a problem document from body; a body that is not
// one keeps the status and what was being done.
func newProblemError(what string, status int, body []byte) *problemError {
	e := &problemError{status: status}
	var m client.ErrorModel
	if json.Unmarshal(body, &m) == nil {
		e.title, e.detail = deref(m.Title), deref(m.Detail)
		if m.Errors != nil {
			for _, d := range *m.Errors {
				e.fields = append(e.fields, fieldProblem{location: deref(d.Location), message: deref(d.Message)})
			}
		}
	}
	if e.title == "" {
		e.title = http.StatusText(status)
	}
	if e.detail == "" && e.title == http.StatusText(status) {
		e.detail = what
		if b := strings.TrimSpace(string(body)); b != "" && len(b) < 200 {
			e.detail += ": " + b
		}
	}
	if status == http.StatusUnauthorized {
		e.hint = `run "kronos login" or set ` + envToken + ` (a new server wrote its owner token to <data-dir>/` + ownerTokenFile + `)`
	}
	return e
}

// redact hides token wherever the server's answer repeats it.
func (e *problemError) redact(token string) {
	if token == "" {
		return
	}
	hide := func(s string) string { return strings.ReplaceAll(s, token, "kro_…") }
	e.title, e.detail = hide(e.title), hide(e.detail)
	for i := range e.fields {
		e.fields[i].message = hide(e.fields[i].message)
	}
}

// Error is "title: detail", then one line per field error,
// "  location: message".
func (e *problemError) Error() string {
	var b strings.Builder
	b.WriteString(e.title)
	if e.detail != "" && e.detail != e.title {
		b.WriteString(": " + e.detail)
	}
	for _, f := range e.fields {
		b.WriteString("\n  ")
		if f.location != "" {
			b.WriteString(f.location + ": ")
		}
		b.WriteString(f.message)
	}
	switch {
	case e.retryAfter == "":
	case strings.Contains(strings.ToLower(e.detail), "retry after"):
		b.WriteString(" (Retry-After: " + e.retryAfter + ")")
	default:
		b.WriteString("; retry after " + e.retryAfter + " (Retry-After)")
	}
	if e.hint != "" {
		b.WriteString("\n" + e.hint)
	}
	return b.String()
}

// ExitCode is the exit code of the problem's status: 3 for 404, 4 for
// 409, 5 for 422, 6 for 401 and 403, 1 otherwise (429 included).
func (e *problemError) ExitCode() int {
	switch e.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return exitDenied
	case http.StatusNotFound:
		return exitNotFound
	case http.StatusConflict:
		return exitConflict
	case http.StatusUnprocessableEntity:
		return exitInvalid
	}
	return exitFailure
}

// exitCoder is an error that chooses the process's exit code.
type exitCoder interface {
	ExitCode() int
}

// exitCode is the exit code of an error of a command: 0 for none, 2 for a
// usage error, the error's own for an exitCoder (a problem of the
// server), 1 otherwise.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ue := (*usageError)(nil); errors.As(err, &ue) {
		return exitUsage
	}
	if ec := exitCoder(nil); errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return exitFailure
}

// exactArgs accepts exactly the arguments names lists, and calls a
// mistake a usage error.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		var err error
		switch {
		case len(args) < len(names):
			err = fmt.Errorf("%s needs %s", cmd.CommandPath(), strings.Join(names[len(args):], " and "))
		default:
			err = fmt.Errorf("%s takes %d argument(s) (%s), got %d: %q", cmd.CommandPath(), len(names), strings.Join(names, " "), len(args), args)
		}
		return &usageError{err: fmtUsage(cmd, err)}
	}
}

// noArgs refuses arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return &usageError{err: fmtUsage(cmd, fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args))}
}

// print writes v in the output format: indented JSON, YAML, or, for
// table, what table writes (through a tabwriter, flushed after it).
func (o *clientOptions) print(out io.Writer, v any, table func(w io.Writer)) error {
	switch o.output {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encode the answer as JSON: %w", err)
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	case "yaml":
		b, err := toYAML(v)
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	table(w)
	return w.Flush()
}

// toYAML writes v as YAML with the field names and order of its JSON
// form: the API's objects read the same in both formats.
func toYAML(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode the answer as YAML: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("encode the answer as YAML: %w", err)
	}
	blockStyle(&doc)
	var out strings.Builder
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encode the answer as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode the answer as YAML: %w", err)
	}
	return []byte(out.String()), nil
}

// blockStyle turns JSON's flow style into YAML's block style (strings
// are still quoted where they must be).
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// apiObject is a JSON object as the server wrote it, in its field order,
// without the "$schema" field huma adds (a link to the object's schema,
// noise in a terminal). A body that is not an object is returned as is.
func apiObject(body []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return body
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return body
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return body
		}
		if key == "$schema" {
			continue
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(v)
	}
	out.WriteByte('}')
	return out.Bytes()
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// orDash is s, or "-" when it is empty (a table cell must not be blank).
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
