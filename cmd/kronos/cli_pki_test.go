package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kronos pki through the binary's entry point: init makes a CA, issue makes
// client and server certificates with keys only their owner reads, a second
// init without --force is refused naming ca.key, and command line mistakes
// are usage errors (exit 2).
func TestPKICommands(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pki")
	d := "--dir=" + dir

	out := cli(t, "pki", "init", d)
	caCert, caKey := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	serverStart := "kronos server --tls-cert " + filepath.Join(dir, "server.crt") + " --tls-key " + filepath.Join(dir, "server.key") + " --client-ca " + caCert
	for _, s := range []string{"wrote " + caCert, "wrote " + caKey, serverStart} {
		if !strings.Contains(out, s) {
			t.Errorf("pki init printed no %q:\n%s", s, out)
		}
	}
	checkFileMode(t, dir, fs.ModeDir|0o700)
	checkFileMode(t, caCert, 0o644)
	checkFileMode(t, caKey, 0o600)

	out = cli(t, "pki", "issue", "client", "--name", "alice", "--uri", "spiffe://kronos/ns/team-a/ci", "--email", "alice@example.com", "--validity", "720h", d)
	for _, s := range []string{
		"wrote " + filepath.Join(dir, "alice.crt"), "wrote " + filepath.Join(dir, "alice.key"),
		"\n  CN=alice\n  URI:spiffe://kronos/ns/team-a/ci\n  EMAIL:alice@example.com\n",
		`kronos tokens create --subject "CN=alice"`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("pki issue client printed no %q:\n%s", s, out)
		}
	}
	checkFileMode(t, filepath.Join(dir, "alice.crt"), 0o644)
	checkFileMode(t, filepath.Join(dir, "alice.key"), 0o600)

	out = cli(t, "pki", "issue", "server", "--name", "server", d)
	for _, s := range []string{"DNS:localhost, IP:127.0.0.1, IP:::1", serverStart} {
		if !strings.Contains(out, s) {
			t.Errorf("pki issue server printed no %q:\n%s", s, out)
		}
	}
	checkFileMode(t, filepath.Join(dir, "server.crt"), 0o644)
	checkFileMode(t, filepath.Join(dir, "server.key"), 0o600)

	out = cli(t, "pki", "issue", "server", "--name", "api", "--dns", "kronos.example.com,api.example.com", "--ip", "10.0.0.5", "--out", filepath.Join(dir, "tls", "api"), d)
	if !strings.Contains(out, "DNS:kronos.example.com, DNS:api.example.com, IP:10.0.0.5") {
		t.Errorf("pki issue server --dns --ip printed:\n%s", out)
	}
	checkFileMode(t, filepath.Join(dir, "tls", "api.key"), 0o600)

	// A second init without --force keeps the CA; with it, replaces it.
	before, err := os.ReadFile(caKey)
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "pki", "init", d)
	if r.code == 0 || !strings.Contains(r.stderr, caKey) || !strings.Contains(r.stderr, "--force") {
		t.Errorf("second pki init: exit code %d, stderr %q; want a failure naming %s and --force", r.code, r.stderr, caKey)
	}
	if after, err := os.ReadFile(caKey); err != nil || string(after) != string(before) {
		t.Errorf("a refused pki init changed ca.key (%v)", err)
	}
	cli(t, "pki", "init", "--force", "--cn", "Replaced CA", d)
	if after, err := os.ReadFile(caKey); err != nil || string(after) == string(before) {
		t.Errorf("pki init --force kept ca.key (%v)", err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no kind", []string{"pki", "issue", "--name", "x", d}, "client or server"},
		{"unknown kind", []string{"pki", "issue", "peer", "--name", "x", d}, "client or server"},
		{"no name", []string{"pki", "issue", "client", d}, "needs --name"},
		{"bad IP", []string{"pki", "issue", "server", "--name", "s", "--ip", "10.0.0", d}, `--ip "10.0.0"`},
		{"relative URI", []string{"pki", "issue", "client", "--name", "x", "--uri", "team-a/ci", d}, "absolute URI"},
		{"bad email", []string{"pki", "issue", "client", "--name", "x", "--email", "alice", d}, "--email"},
		{"zero validity", []string{"pki", "issue", "client", "--name", "x", "--validity", "0s", d}, "--validity"},
		{"unparsable validity", []string{"pki", "issue", "client", "--name", "x", "--validity", "1y", d}, "--validity"},
		{"no CA in --dir", []string{"pki", "issue", "client", "--name", "x", "--dir", filepath.Join(dir, "none")}, "kronos pki init"},
		{"empty --dir", []string{"pki", "init", "--dir", ""}, "--dir is empty"},
		{"unknown subcommand", []string{"pki", "isue"}, "did you mean issue"},
		{"init takes no arguments", []string{"pki", "init", "extra", d}, "takes no arguments"},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: kronos %s: exit code %d, stderr %q; want %d and %q", tc.name, strings.Join(tc.args, " "), r.code, r.stderr, exitUsage, tc.want)
		}
	}
}

// checkFileMode checks the type and permission bits of path.
func checkFileMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModeType | fs.ModePerm); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}
