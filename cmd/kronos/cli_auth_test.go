package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// isolateCLIEnvironment keeps the developer's CLI config file and KRONOS_
// client variables out of the in-process client commands of the tests:
// the config file is looked for in an empty directory. It returns the
// function that removes that directory.
func isolateCLIEnvironment() (cleanup func()) {
	for _, v := range []string{envServer, envNamespace, envToken, envTokenFile, envClientCert, envClientKey, envCACert} {
		_ = os.Unsetenv(v)
	}
	dir, err := os.MkdirTemp("", "kronos-cli-config-")
	if err != nil {
		panic(err)
	}
	_ = os.Setenv(envConfigDir, dir)
	return func() { _ = os.RemoveAll(dir) }
}

// The CLI against a server without --dev: no credentials exit 6 with the
// way to log in; login checks the owner token and saves it 0600, after
// which commands need no flags; an editor-less viewer token is refused
// changes (exit 6) but reads; a revoked token is refused; the audit log
// shows the token's creation and revocation and never a token. (Not
// parallel: it sets the environment.)
func TestCLILoginTokensAndAudit(t *testing.T) {
	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	s := "--server=" + base
	ownerFile := filepath.Join(dataDir, ownerTokenFile)
	ownerToken := strings.TrimSpace(readFile(t, ownerFile))
	cfgDir := filepath.Join(t.TempDir(), "kronos") // login creates it
	t.Setenv(envConfigDir, cfgDir)
	cfgFile := filepath.Join(cfgDir, cliConfigName)

	// No credentials: exit 6, and the message says how to log in.
	r := runCLI(t, "", "tasks", "list", s)
	if r.code != exitDenied || !strings.Contains(r.stderr, `run "kronos login" or set KRONOS_TOKEN`) || !strings.Contains(r.stderr, "owner.token") {
		t.Errorf("tasks list without credentials: %+v", r)
	}

	// A token the server refuses is not saved.
	r = runCLI(t, "kro_not-a-token\n", "login", s)
	if r.code != exitDenied || !strings.Contains(r.stderr, "the token was not saved") || strings.Contains(r.stderr, "kro_not-a-token") {
		t.Errorf("login with a bad token: %+v", r)
	}
	if _, err := os.Stat(cfgFile); !os.IsNotExist(err) {
		t.Errorf("a refused login wrote %s: %v", cfgFile, err)
	}
	if r := runCLI(t, "", "login", s); r.code != exitUsage || !strings.Contains(r.stderr, "no token") {
		t.Errorf("login without a token: %+v", r)
	}

	// Login with the owner token; later commands need no flags.
	out := cli(t, "login", "--token-file", ownerFile, s)
	if want := "Logged in to " + base + " as token bootstrap-owner; default namespace default; roles owner"; !strings.Contains(out, want) {
		t.Errorf("login printed %q, want %q", out, want)
	}
	checkMode(t, cfgDir, fs.ModeDir|0o700)
	checkMode(t, cfgFile, 0o600)
	if c := readFile(t, cfgFile); !strings.Contains(c, "server: "+base) || !strings.Contains(c, "token: "+ownerToken) {
		t.Errorf("config file after login:\n%s", c)
	}
	if out := cli(t, "tasks", "list"); !strings.HasPrefix(out, "NAME") {
		t.Errorf("tasks list after login:\n%s", out)
	}
	// The saved token goes to the saved server only.
	other := strings.Replace(base, "127.0.0.1", "localhost", 1)
	if r := runCLI(t, "", "tasks", "list", "--server", other); r.code != exitDenied || !strings.Contains(r.stderr, "is saved for "+base) {
		t.Errorf("tasks list --server %s: %+v", other, r)
	}
	var who struct {
		Kind, Name, Namespace string
		Owner                 bool
	}
	decodeJSON(t, cli(t, "whoami", "-o", "json"), &who)
	if who.Kind != "token" || who.Name != "bootstrap-owner" || who.Namespace != "default" || !who.Owner {
		t.Errorf("whoami -o json: %+v", who)
	}

	// A viewer token: the token alone on stdout, the details on stderr.
	r = runCLI(t, "", "tokens", "create", "viewer-ci", "--role", "viewer")
	viewerToken := strings.TrimSuffix(r.stdout, "\n")
	if r.code != 0 || !strings.HasPrefix(viewerToken, "kro_") || strings.ContainsAny(viewerToken, " \n") ||
		!strings.Contains(r.stderr, "shown once") || !strings.Contains(r.stderr, "roles default=viewer") {
		t.Fatalf("tokens create: %+v", r)
	}
	var list struct {
		Tokens []struct{ ID, Name, Display string } `json:"tokens"`
	}
	decodeJSON(t, cli(t, "tokens", "list", "-o", "json"), &list)
	var viewerID string
	for _, tok := range list.Tokens {
		if tok.Name == "viewer-ci" {
			viewerID = tok.ID
		}
	}
	if viewerID == "" {
		t.Fatalf("tokens list lacks viewer-ci: %+v", list)
	}
	if out := cli(t, "tokens", "list"); !strings.Contains(out, "DISPLAY/SUBJECT") || !strings.Contains(out, viewerID) || strings.Contains(out, viewerToken) {
		t.Errorf("tokens list:\n%s", out)
	}

	// As the viewer (KRONOS_TOKEN beats the config file): reads work,
	// changes exit 6.
	t.Setenv(envToken, viewerToken)
	task := "name: probe\nexecutor: http\nconfig: {method: GET, url: \"http://127.0.0.1:1/\"}\n"
	r = runCLI(t, task, "tasks", "create", "-f", "-")
	if r.code != exitDenied || !strings.Contains(r.stderr, "needs editor") || strings.Contains(r.stderr, viewerToken) {
		t.Errorf("tasks create as a viewer: %+v", r)
	}
	cli(t, "tasks", "list")
	who.Owner = false // absent when false
	decodeJSON(t, cli(t, "whoami", "-o", "json"), &who)
	if who.Name != "viewer-ci" || who.Owner {
		t.Errorf("whoami as the viewer: %+v", who)
	}

	// Revoke it (--token-file beats KRONOS_TOKEN): it is refused at once.
	if out := cli(t, "tokens", "revoke", viewerID, "--token-file", ownerFile); !strings.Contains(out, `token "viewer-ci" (`+viewerID+") revoked") {
		t.Errorf("tokens revoke printed %q", out)
	}
	r = runCLI(t, "", "tasks", "list")
	if r.code != exitDenied || !strings.Contains(r.stderr, "revoked") || strings.Contains(r.stderr, viewerToken) {
		t.Errorf("tasks list with a revoked token: %+v", r)
	}
	t.Setenv(envToken, "") // empty counts as unset: the config file's token again

	// The audit log: both changes, by the owner, and no token.
	out = cli(t, "audit", "list", "-o", "json")
	var audit struct {
		Events []struct {
			Actor, Action, Kind, Target string
			Status                      int
		} `json:"events"`
	}
	decodeJSON(t, out, &audit)
	seen := map[string]string{}
	for _, e := range audit.Events {
		if strings.Contains(e.Actor, "bootstrap-owner") {
			seen[e.Action] = e.Target
		}
	}
	if seen["create-token"] != "viewer-ci" || seen["revoke-token"] != viewerID {
		t.Errorf("audit list -o json lacks the create and revoke of the token (%v):\n%s", seen, out)
	}
	if strings.Contains(out, viewerToken) || strings.Contains(out, ownerToken) {
		t.Errorf("audit list shows a token:\n%s", out)
	}
	if out := cli(t, "audit", "list", "--action", "revoke-token", "--since", "1h"); !strings.Contains(out, "revoke-token") || strings.Contains(out, "create-token") ||
		!strings.HasPrefix(out, "TIME ") {
		t.Errorf("audit list --action revoke-token --since 1h:\n%s", out)
	}
	if r := runCLI(t, "", "audit", "list", "--since", "yesterday"); r.code != exitUsage || !strings.Contains(r.stderr, `--since "yesterday"`) {
		t.Errorf("audit list --since yesterday: %+v", r)
	}

	// Logout removes the token and keeps the server.
	if out := cli(t, "logout"); !strings.Contains(out, "Logged out") {
		t.Errorf("logout printed %q", out)
	}
	if c := readFile(t, cfgFile); strings.Contains(c, "token") || !strings.Contains(c, "server: "+base) {
		t.Errorf("config file after logout:\n%s", c)
	}
	if r := runCLI(t, "", "tasks", "list"); r.code != exitDenied {
		t.Errorf("tasks list after logout: %+v", r)
	}
}

// recordingAPI is a fake server that records each request's
// Authorization header, host and query, and answers an empty task list.
type recordingAPI struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string // "AUTH QUERY"
}

func newRecordingAPI(t *testing.T) *recordingAPI {
	t.Helper()
	a := &recordingAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.reqs = append(a.reqs, r.Header.Get("Authorization")+" "+r.URL.RawQuery)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"tasks":[]}`))
	}))
	t.Cleanup(a.Close)
	return a
}

// last returns the last request, "" when none came.
func (a *recordingAPI) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.reqs) == 0 {
		return ""
	}
	r := a.reqs[len(a.reqs)-1]
	a.reqs = nil
	return r
}

// The client settings' precedence, without a Kronos server: a flag beats
// its environment variable, which beats the CLI config file, which beats
// the default; no namespace anywhere sends none. (Not parallel: it sets
// the environment.)
func TestCLIConfigPrecedence(t *testing.T) {
	fromFile, fromEnv := newRecordingAPI(t), newRecordingAPI(t)
	dir := t.TempDir()
	t.Setenv(envConfigDir, dir)
	cfgFile := filepath.Join(dir, cliConfigName)
	writeFile(t, cfgFile, "# written by hand\nserver: "+fromFile.URL+"\ntoken: kro_config\nnamespace: cfg-ns\n")
	tokenFile := filepath.Join(dir, "flag.token")
	writeFile(t, tokenFile, "\n  kro_flag \n")
	envTokenFileName := filepath.Join(dir, "env.token")
	writeFile(t, envTokenFileName, "kro_envfile\n")

	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		api  *recordingAPI
		want string
	}{
		{"the config file", nil, nil, fromFile, "Bearer kro_config namespace=cfg-ns"},
		{"KRONOS_TOKEN_FILE beats the config file", map[string]string{envTokenFile: envTokenFileName}, nil, fromFile, "Bearer kro_envfile namespace=cfg-ns"},
		{"KRONOS_TOKEN beats KRONOS_TOKEN_FILE", map[string]string{envTokenFile: envTokenFileName, envToken: "kro_env"}, nil, fromFile, "Bearer kro_env namespace=cfg-ns"},
		{"--token-file beats KRONOS_TOKEN", map[string]string{envToken: "kro_env"}, []string{"--token-file", tokenFile}, fromFile, "Bearer kro_flag namespace=cfg-ns"},
		{"KRONOS_NAMESPACE beats the config file", map[string]string{envNamespace: "env-ns"}, nil, fromFile, "Bearer kro_config namespace=env-ns"},
		{"-n beats KRONOS_NAMESPACE", map[string]string{envNamespace: "env-ns"}, []string{"-n", "flag-ns"}, fromFile, "Bearer kro_config namespace=flag-ns"},
		// The config file's token is saved for its server, and goes to no other.
		{"KRONOS_SERVER beats the config file", map[string]string{envServer: fromEnv.URL}, nil, fromEnv, " namespace=cfg-ns"},
		{"KRONOS_TOKEN goes to any server", map[string]string{envServer: fromEnv.URL, envToken: "kro_env"}, nil, fromEnv, "Bearer kro_env namespace=cfg-ns"},
		{"--server beats KRONOS_SERVER", map[string]string{envServer: "http://127.0.0.1:1"}, []string{"--server", fromFile.URL}, fromFile, "Bearer kro_config namespace=cfg-ns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cli(t, append([]string{"tasks", "list"}, c.args...)...)
			if got := c.api.last(); got != c.want {
				t.Errorf("request %q, want %q", got, c.want)
			}
		})
	}

	// No namespace anywhere: none is sent, and the server picks the
	// token's default.
	writeFile(t, cfgFile, "server: "+fromFile.URL+"\ntoken: kro_config\n")
	cli(t, "tasks", "list")
	if got := fromFile.last(); got != "Bearer kro_config " {
		t.Errorf("without a namespace: request %q, want no namespace parameter", got)
	}
	if r := runCLI(t, "", "tasks", "list", "-n", ""); r.code != exitUsage || !strings.Contains(r.stderr, "--namespace is empty") {
		t.Errorf("-n \"\": %+v", r)
	}

	// A config file others may read warns once, naming the fix.
	if err := os.Chmod(cfgFile, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "tasks", "list")
	if r.code != 0 || strings.Count(r.stderr, "chmod 600 "+cfgFile) != 1 {
		t.Errorf("a config file readable by others: %+v", r)
	}

	// An unknown key is a usage error naming the file and the key.
	writeFile(t, cfgFile, "server: "+fromFile.URL+"\ntokn: kro_config\n")
	if r := runCLI(t, "", "tasks", "list"); r.code != exitUsage || !strings.Contains(r.stderr, cfgFile) || !strings.Contains(r.stderr, `unknown key "tokn"`) {
		t.Errorf("an unknown key: %+v", r)
	}

	// An empty token file is a usage error.
	writeFile(t, cfgFile, "server: "+fromFile.URL+"\n")
	empty := filepath.Join(dir, "empty.token")
	writeFile(t, empty, " \n")
	if r := runCLI(t, "", "tasks", "list", "--token-file", empty, "--server", fromFile.URL); r.code != exitUsage || !strings.Contains(r.stderr, "is empty") {
		t.Errorf("an empty token file: %+v", r)
	}
}

// The server's refusals: 401 and 403 exit 6 and never show the token
// even when the server repeats it; 401 says how to log in; 429 exits 1
// with the Retry-After.
func TestCLIAuthErrors(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		switch auth := r.Header.Get("Authorization"); auth {
		case "Bearer kro_slow":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"title":"Too Many Requests","status":429,"detail":"too many requests"}`))
		case "Bearer kro_viewer":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"title":"Forbidden","status":403,"detail":"viewer; create-task needs editor"}`))
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = fmt.Fprintf(w, `{"title":"Unauthorized","status":401,"detail":"token %s is not known"}`, strings.TrimPrefix(auth, "Bearer "))
		}
	}))
	t.Cleanup(api.Close)
	dir := t.TempDir()
	tokenFile := func(token string) string {
		f := filepath.Join(dir, token)
		writeFile(t, f, token+"\n")
		return f
	}
	s := "--server=" + api.URL

	r := runCLI(t, "", "tasks", "list", s, "--token-file", tokenFile("kro_secret-value"))
	if r.code != exitDenied || strings.Contains(r.stderr, "kro_secret-value") || !strings.Contains(r.stderr, `run "kronos login"`) {
		t.Errorf("401: %+v", r)
	}
	r = runCLI(t, "", "tasks", "list", s, "--token-file", tokenFile("kro_viewer"))
	if r.code != exitDenied || !strings.Contains(r.stderr, "needs editor") {
		t.Errorf("403: %+v", r)
	}
	r = runCLI(t, "", "tasks", "list", s, "--token-file", tokenFile("kro_slow"))
	if r.code != exitFailure || !strings.Contains(r.stderr, "retry after 7s (Retry-After)") {
		t.Errorf("429: %+v", r)
	}
}

// --client-cert, --client-key and --ca-cert make the TLS client of an
// https server; mistakes are usage errors.
func TestCLIClientCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caCert, caKey := newTestCert(t, nil, nil, "test-ca")
	clientCert, clientKey := newTestCert(t, caCert, caKey, "ci.team-a")
	writePEM(t, filepath.Join(dir, "client.crt"), "CERTIFICATE", clientCert.Raw)
	keyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "client.key"), "PRIVATE KEY", keyDER)

	var mu sync.Mutex
	var subject string
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			subject = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"tasks":[]}`))
	}))
	api.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake the unknown CA case fails
	api.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	api.StartTLS()
	t.Cleanup(api.Close)
	writePEM(t, filepath.Join(dir, "server-ca.crt"), "CERTIFICATE", api.Certificate().Raw)
	s := "--server=" + api.URL

	cli(t, "tasks", "list", s, "--ca-cert", filepath.Join(dir, "server-ca.crt"),
		"--client-cert", filepath.Join(dir, "client.crt"), "--client-key", filepath.Join(dir, "client.key"))
	mu.Lock()
	if subject != "ci.team-a" {
		t.Errorf("the server saw client certificate %q, want ci.team-a", subject)
	}
	mu.Unlock()

	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"an unknown CA", nil, exitFailure, "certificate"},
		{"a certificate without its key", []string{"--client-cert", filepath.Join(dir, "client.crt")}, exitUsage, "needs its key"},
		{"a missing CA file", []string{"--ca-cert", filepath.Join(dir, "missing.crt")}, exitUsage, "read the CA certificate (--ca-cert)"},
		{"TLS flags with an http server", []string{"--ca-cert", filepath.Join(dir, "server-ca.crt"), "--server", "http://127.0.0.1:1"}, exitUsage, "needs an https server"},
	} {
		r := runCLI(t, "", append([]string{"tasks", "list", s}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: %+v, want exit %d and %q", c.name, r, c.code, c.want)
		}
	}
}

// newTestCert makes a certificate for cn signed by parent (self-signed, a
// CA, when parent is nil).
func newTestCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	writeFile(t, path, string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})))
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModeDir | fs.ModePerm); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}
