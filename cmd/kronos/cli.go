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
	"os"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"
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
)

// outputFormats are the values of --output.
var outputFormats = []string{"table", "json", "yaml"}

// clientHelp ends the help of every client command group.
const clientHelp = `
Every client command talks to one server's REST API (/api/v1):
  --server, KRONOS_SERVER        base URL of the server (default ` + defaultServer + `)
  --namespace/-n, KRONOS_NAMESPACE  namespace of the request (default "default")
  --output/-o                    table (default), json or yaml
A flag beats its environment variable.

Exit codes: 0 ok; 1 the server failed or could not be reached, or a followed
execution did not succeed; 2 usage error (bad flags or arguments, unreadable
file); 3 not found (404); 4 conflict (409); 5 invalid (422, each field error
printed with its location).`

// clientOptions are the settings of a client command and its API client.
type clientOptions struct {
	server    string
	namespace string
	output    string
	// namespaceSet is whether --namespace or KRONOS_NAMESPACE chose the
	// namespace (a task file's namespace may not contradict it).
	namespaceSet bool

	http *http.Client
	api  *client.ClientWithResponses
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			err := fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				err = fmt.Errorf("%w: did you mean %s?", err, strings.Join(s, " or "))
			}
			return &usageError{err: fmtUsage(cmd, err)}
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return o.setup(cmd)
		},
	}
	cmd.SuggestionsMinimumDistance = 2
	f := cmd.PersistentFlags()
	f.StringVar(&o.server, "server", defaultServer, "base URL of the Kronos server (env "+envServer+")")
	if withNamespace {
		f.StringVarP(&o.namespace, "namespace", "n", "default", "namespace of the request (env "+envNamespace+")")
	}
	f.StringVarP(&o.output, "output", "o", "table", "output format: table, json or yaml")
	return cmd
}

// setup applies the environment to the flags not given, checks them, and
// makes the API client.
func (o *clientOptions) setup(cmd *cobra.Command) error {
	flags := cmd.Flags()
	if v, ok := os.LookupEnv(envServer); ok && !flags.Changed("server") {
		o.server = v
	}
	if flags.Lookup("namespace") != nil {
		o.namespaceSet = flags.Changed("namespace")
		if v, ok := os.LookupEnv(envNamespace); ok && !o.namespaceSet {
			o.namespace, o.namespaceSet = v, true
		}
		if o.namespace == "" {
			return &usageError{err: fmtUsage(cmd, errors.New("--namespace is empty: name a namespace, or leave it out for default"))}
		}
	}
	if !slices.Contains(outputFormats, o.output) {
		return &usageError{err: fmtUsage(cmd, fmt.Errorf("--output %q: use table, json or yaml", o.output))}
	}
	u, err := url.Parse(strings.TrimSpace(o.server))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{err: fmtUsage(cmd, fmt.Errorf("--server %q (or %s): give the server's base URL, such as %s", o.server, envServer, defaultServer))}
	}
	// The client's paths start with /api/v1: a base URL that ends with it
	// would double it.
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v1")
	o.server = strings.TrimSuffix(u.String(), "/")
	o.http = &http.Client{}
	o.api, err = client.NewClientWithResponses(o.server, client.WithHTTPClient(o.http))
	return err
}

// ns is the namespace parameter of a request.
func (o *clientOptions) ns() *string { return &o.namespace }

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
	return newProblemError(what, r.StatusCode(), r.GetBody())
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
	return e
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
	return b.String()
}

// ExitCode is the exit code of the problem's status: 3 for 404, 4 for
// 409, 5 for 422, 1 otherwise.
func (e *problemError) ExitCode() int {
	switch e.status {
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
