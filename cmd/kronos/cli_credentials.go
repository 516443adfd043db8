package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/pflag"
)

// maxTokenFile bounds what is read of a token file (a token is 45 bytes).
const maxTokenFile = 64 << 10

// pick returns a client setting and where it came from: the flag name
// when given, else the environment variable when set (an empty one counts
// as unset), else the CLI config file's key, else the flag's default
// (from is then "").
func pick(flags *pflag.FlagSet, name, env string, cfg *cliConfig, key string) (value, from string) {
	f := flags.Lookup(name)
	if f != nil && f.Changed {
		return f.Value.String(), "--" + name
	}
	if v := os.Getenv(env); v != "" {
		return v, env
	}
	if v := cfg.values[key]; v != "" {
		if key == cfgClientCert || key == cfgClientKey || key == cfgCACert {
			v = cfg.filePath(key)
		}
		return v, key + " in " + cfg.path
	}
	if f != nil {
		return f.Value.String(), ""
	}
	return "", ""
}

// resolveToken returns the API token of the requests, from --token-file,
// else KRONOS_TOKEN, else the file KRONOS_TOKEN_FILE names, else the CLI
// config file; "" when none of them gives one. The config file's token
// goes only to the config file's server (when it names one): a --server
// typed wrong must not receive it.
func (o *clientOptions) resolveToken(flags *pflag.FlagSet, cfg *cliConfig) (string, error) {
	if flags.Changed("token-file") {
		return readTokenFile(o.tokenFile, "--token-file")
	}
	if v := strings.TrimSpace(os.Getenv(envToken)); v != "" {
		return v, nil
	}
	if f := os.Getenv(envTokenFile); f != "" {
		return readTokenFile(f, envTokenFile)
	}
	token := cfg.values[cfgToken]
	if saved := cfg.values[cfgServer]; token != "" && saved != "" {
		if u, err := parseServer(saved); err != nil || u.String() != o.server {
			o.unsentToken = fmt.Sprintf("(the token in %s is saved for %s, and is not sent to another server: log in to this one)", cfg.path, saved)
			return "", nil //nolint:nilerr // a saved server that does not parse is not this one: send no token

		}
	}
	return token, nil
}

// readTokenFile reads a token from a file, trimmed of white space. from
// names the setting that gave the file, for messages; the content is
// never shown.
func readTokenFile(path, from string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read the token (%s): %w", from, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile))
	if err != nil {
		return "", fmt.Errorf("read the token (%s %s): %w", from, path, err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("read the token (%s): %s is empty", from, path)
	}
	if strings.ContainsAny(token, "\r\n") {
		return "", fmt.Errorf("read the token (%s): %s holds more than one line; it should hold the token alone", from, path)
	}
	return token, nil
}

// transport returns the HTTP transport of the requests to u: for an
// https server, with the client certificate and the CA of --client-cert,
// --client-key and --ca-cert (or their environment variables, or the CLI
// config file).
func (o *clientOptions) transport(flags *pflag.FlagSet, cfg *cliConfig, u *url.URL) (http.RoundTripper, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	cert, certFrom := pick(flags, "client-cert", envClientCert, cfg, cfgClientCert)
	key, keyFrom := pick(flags, "client-key", envClientKey, cfg, cfgClientKey)
	ca, caFrom := pick(flags, "ca-cert", envCACert, cfg, cfgCACert)
	if u.Scheme != "https" {
		// Only a flag is a mistake here: the environment or the config
		// file may serve https servers too.
		for _, from := range []string{certFrom, keyFrom, caFrom} {
			if strings.HasPrefix(from, "--") {
				return nil, fmt.Errorf("%s needs an https server, and --server is %s", from, o.server)
			}
		}
		return base, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("read the CA certificate (%s): %w", caFrom, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("the CA certificate %s (%s) holds no PEM certificate", ca, caFrom)
		}
		tc.RootCAs = pool
	}
	switch {
	case cert != "" && key == "":
		return nil, fmt.Errorf("the client certificate (%s) needs its key: give --client-key (or %s)", certFrom, envClientKey)
	case key != "" && cert == "":
		return nil, fmt.Errorf("the client key (%s) needs its certificate: give --client-cert (or %s)", keyFrom, envClientCert)
	case cert != "":
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("load the client certificate (%s, %s): %w", certFrom, keyFrom, err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	base.TLSClientConfig = tc
	return base, nil
}

// bearerTransport adds "Authorization: Bearer <token>" to the requests to
// the server's host (never to another host a redirect leads to), and
// keeps the Retry-After of a 429 for the error message.
type bearerTransport struct {
	base http.RoundTripper
	host string
	// o holds the token: login sets it after setup.
	o *clientOptions
}

// RoundTrip sends r with the token.
func (t *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if token := t.o.token; token != "" && strings.EqualFold(r.URL.Host, t.host) && r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context()) // a RoundTripper must not change its request
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		t.o.retryAfter.set(resp.Header.Get("Retry-After"))
	}
	return resp, err
}

// retryAfter is the Retry-After header of the last 429.
type retryAfter struct {
	mu sync.Mutex
	v  string
}

func (r *retryAfter) set(v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.v = v
}

// take returns the header as "3s" (or the HTTP date it gave) and forgets
// it.
func (r *retryAfter) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := strings.TrimSpace(r.v)
	r.v = ""
	if n, err := strconv.Atoi(v); err == nil {
		return strconv.Itoa(n) + "s"
	}
	return v
}

// errNoToken is login's error when it got no token.
var errNoToken = errors.New("no token: give --token-file FILE, or the token on standard input")
