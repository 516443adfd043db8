package pki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The tests are named TestPKI… so that `go test -run PKI` selects them
// together with the CLI's.

// ioDeadline bounds every network step of a handshake test.
const ioDeadline = 30 * time.Second

// spiffe is the URI SAN of the client certificates in these tests.
const spiffe = "spiffe://kronos/ns/team-a/ci"

// A CA is made, then a client and a server certificate; both chain to the
// CA for their own use only, the files have the documented modes, and the
// CA has the documented shape.
func TestPKIInitAndIssue(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "kronos-pki")
	caCertPath, caKeyPath, err := InitCA(dir, CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if caCertPath != filepath.Join(dir, "ca.crt") || caKeyPath != filepath.Join(dir, "ca.key") {
		t.Errorf("InitCA wrote %s and %s", caCertPath, caKeyPath)
	}
	checkMode(t, dir, fs.ModeDir|0o700)
	checkMode(t, caCertPath, 0o644)
	checkMode(t, caKeyPath, 0o600)
	checkPEMType(t, caKeyPath, "PRIVATE KEY")

	ca := readCert(t, caCertPath)
	if ca.Subject.CommonName != "Kronos local CA" || !ca.IsCA || !ca.BasicConstraintsValid ||
		ca.MaxPathLen != 0 || !ca.MaxPathLenZero || ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA: CN %q, IsCA %v, BasicConstraintsValid %v, MaxPathLen %d, MaxPathLenZero %v, KeyUsage %b",
			ca.Subject.CommonName, ca.IsCA, ca.BasicConstraintsValid, ca.MaxPathLen, ca.MaxPathLenZero, ca.KeyUsage)
	}
	if d := ca.NotAfter.Sub(time.Now().Add(DefaultCAValidity)); d < -time.Minute || d > 0 {
		t.Errorf("CA NotAfter %s, want about 10 years from now", ca.NotAfter)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	u, err := url.Parse(spiffe)
	if err != nil {
		t.Fatal(err)
	}
	clientCertPath, clientKeyPath, err := Issue(dir, IssueOptions{
		Kind: KindClient, CommonName: "alice", URIs: []*url.URL{u}, Emails: []string{"alice@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if clientCertPath != filepath.Join(dir, "alice.crt") || clientKeyPath != filepath.Join(dir, "alice.key") {
		t.Errorf("Issue wrote %s and %s", clientCertPath, clientKeyPath)
	}
	checkMode(t, clientCertPath, 0o644)
	checkMode(t, clientKeyPath, 0o600)
	checkPEMType(t, clientKeyPath, "PRIVATE KEY")
	client := readCert(t, clientCertPath)
	verify(t, client, roots, x509.ExtKeyUsageClientAuth, true)
	verify(t, client, roots, x509.ExtKeyUsageServerAuth, false)
	if client.IsCA || client.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("client: IsCA %v, KeyUsage %b", client.IsCA, client.KeyUsage)
	}
	if d := client.NotAfter.Sub(time.Now().Add(DefaultValidity)); d < -time.Minute || d > 0 {
		t.Errorf("client NotAfter %s, want about a year from now", client.NotAfter)
	}
	want := []string{"CN=alice", "URI:" + spiffe, "EMAIL:alice@example.com"}
	if got := Subjects(client); !slices.Equal(got, want) {
		t.Errorf("Subjects(client) = %q, want %q", got, want)
	}

	serverCertPath, serverKeyPath, err := Issue(dir, IssueOptions{Kind: KindServer, CommonName: "server"})
	if err != nil {
		t.Fatal(err)
	}
	checkMode(t, serverKeyPath, 0o600)
	server := readCert(t, serverCertPath)
	verify(t, server, roots, x509.ExtKeyUsageServerAuth, true)
	verify(t, server, roots, x509.ExtKeyUsageClientAuth, false)
	ips := make([]string, 0, len(server.IPAddresses))
	for _, ip := range server.IPAddresses {
		ips = append(ips, ip.String())
	}
	if !slices.Equal(server.DNSNames, []string{"localhost"}) || !slices.Equal(ips, []string{"127.0.0.1", "::1"}) {
		t.Errorf("server SANs: DNS %q, IP %q; want localhost, 127.0.0.1 and ::1", server.DNSNames, ips)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := server.VerifyHostname(host); err != nil {
			t.Errorf("server certificate: %v", err)
		}
	}
	if client.SerialNumber.Cmp(server.SerialNumber) == 0 || client.SerialNumber.BitLen() > 128 || server.SerialNumber.BitLen() > 128 {
		t.Errorf("serials %x and %x: want two different random 128-bit numbers", client.SerialNumber, server.SerialNumber)
	}

	// A server certificate with names of its own gets no defaults; --out
	// chooses where the files go.
	out := filepath.Join(t.TempDir(), "elsewhere", "api")
	certPath, keyPath, err := Issue(dir, IssueOptions{
		Kind: KindServer, CommonName: "api", DNSNames: []string{"kronos.example.com"}, Out: out + ".crt",
	})
	if err != nil {
		t.Fatal(err)
	}
	if certPath != out+".crt" || keyPath != out+".key" {
		t.Errorf("Issue with Out wrote %s and %s", certPath, keyPath)
	}
	api := readCert(t, certPath)
	if !slices.Equal(api.DNSNames, []string{"kronos.example.com"}) || len(api.IPAddresses) != 0 {
		t.Errorf("server SANs: DNS %q, IP %v; want only kronos.example.com", api.DNSNames, api.IPAddresses)
	}
}

// A second InitCA refuses to replace the CA, naming ca.key and the way
// out; with Force it makes a new one.
func TestPKIInitCARefusesToOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPath, _, err := InitCA(dir, CAOptions{CommonName: "first"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = InitCA(dir, CAOptions{CommonName: "second"})
	if err == nil || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second InitCA: %v, want an error wrapping fs.ErrExist", err)
	}
	for _, s := range []string{filepath.Join(dir, "ca.key"), "--force", "--dir"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("second InitCA: %q does not mention %s", err, s)
		}
	}
	if cn := readCert(t, certPath).Subject.CommonName; cn != "first" {
		t.Errorf("after a refused InitCA the CA is %q, want first", cn)
	}
	if _, _, err := InitCA(dir, CAOptions{CommonName: "second", Force: true}); err != nil {
		t.Fatalf("InitCA with Force: %v", err)
	}
	if cn := readCert(t, certPath).Subject.CommonName; cn != "second" {
		t.Errorf("after InitCA with Force the CA is %q, want second", cn)
	}
	checkMode(t, filepath.Join(dir, "ca.key"), 0o600)
}

// No certificate outlives its CA.
func TestPKIIssueValidityCappedByCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caCertPath, _, err := InitCA(dir, CAOptions{Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	certPath, _, err := Issue(dir, IssueOptions{Kind: KindClient, CommonName: "bob", Validity: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ca, leaf := readCert(t, caCertPath), readCert(t, certPath)
	if !leaf.NotAfter.Equal(ca.NotAfter) {
		t.Errorf("leaf NotAfter %s, want the CA's %s", leaf.NotAfter, ca.NotAfter)
	}
	if leaf.NotBefore.Before(ca.NotBefore) {
		t.Errorf("leaf NotBefore %s is before the CA's %s", leaf.NotBefore, ca.NotBefore)
	}
}

// Options Issue cannot use are refused before anything is written, with
// errors that wrap ErrInvalidOptions; a directory without a CA is
// fs.ErrNotExist.
func TestPKIIssueRefusesBadOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := InitCA(dir, CAOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts IssueOptions
		want string
	}{
		{"no kind", IssueOptions{CommonName: "alice"}, `kind ""`},
		{"unknown kind", IssueOptions{Kind: "peer", CommonName: "alice"}, `kind "peer"`},
		{"no common name", IssueOptions{Kind: KindClient}, "--name"},
		{"blank common name", IssueOptions{Kind: KindServer, CommonName: "  "}, "--name"},
		{"negative validity", IssueOptions{Kind: KindClient, CommonName: "alice", Validity: -time.Hour}, "negative"},
		{"DNS name with a scheme", IssueOptions{Kind: KindServer, CommonName: "s", DNSNames: []string{"https://x"}}, "--dns"},
		{"relative URI", IssueOptions{Kind: KindClient, CommonName: "alice", URIs: []*url.URL{{Path: "team-a"}}}, "--uri"},
		{"email with a display name", IssueOptions{Kind: KindClient, CommonName: "alice", Emails: []string{"Alice <a@example.com>"}}, "--email"},
		{"common name without a file name", IssueOptions{Kind: KindClient, CommonName: "..."}, "--out"},
		{"common name ca would overwrite the CA", IssueOptions{Kind: KindClient, CommonName: "ca"}, "overwrite the CA"},
		{"out onto the CA key", IssueOptions{Kind: KindClient, CommonName: "alice", Out: filepath.Join(dir, "ca.key")}, "overwrite the CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Issue(dir, tc.opts)
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Issue: %v, want an invalid-options error that mentions %s", err, tc.want)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("refused Issue calls left files behind: %v", entries)
	}

	_, _, err = Issue(filepath.Join(dir, "none"), IssueOptions{Kind: KindClient, CommonName: "alice"})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "kronos pki init") {
		t.Errorf("Issue without a CA: %v, want fs.ErrNotExist and a hint to run kronos pki init", err)
	}
}

func TestPKIFileName(t *testing.T) {
	t.Parallel()
	for cn, want := range map[string]string{
		"alice":              "alice",
		"ci.team-a_01":       "ci.team-a_01",
		"Alice Smith":        "Alice_Smith",
		"../../etc/passwd":   "_.._etc_passwd",
		".hidden":            "hidden",
		"spiffe://kronos/ns": "spiffe___kronos_ns",
		"zoë":                "zo_",
		"...":                "",
	} {
		if got := fileName(cn); got != want {
			t.Errorf("fileName(%q) = %q, want %q", cn, got, want)
		}
	}
}

func TestPKISubjects(t *testing.T) {
	t.Parallel()
	u1, _ := url.Parse("spiffe://kronos/ns/team-a/ci")
	u2, _ := url.Parse("urn:kronos:deployer")
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		want []string
	}{
		{"nothing", &x509.Certificate{}, nil},
		{"common name only", certWith("alice", nil, nil, nil), []string{"CN=alice"}},
		{
			"every kind in order: CN, DNS, URI, EMAIL",
			certWith("ci", []string{"ci.example.com", "ci2.example.com"}, []*url.URL{u1, u2}, []string{"ci@example.com"}),
			[]string{"CN=ci", "DNS:ci.example.com", "DNS:ci2.example.com", "URI:spiffe://kronos/ns/team-a/ci", "URI:urn:kronos:deployer", "EMAIL:ci@example.com"},
		},
		{"no common name", certWith("", nil, []*url.URL{u1}, nil), []string{"URI:spiffe://kronos/ns/team-a/ci"}},
		{
			"IP addresses name no principal",
			&x509.Certificate{IPAddresses: []net.IP{net.IPv4(10, 0, 0, 1)}, EmailAddresses: []string{"a@example.com"}},
			[]string{"EMAIL:a@example.com"},
		},
	} {
		if got := Subjects(tc.cert); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Subjects = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A real TLS 1.3 handshake with tls.RequireAndVerifyClientCert: the issued
// server and client certificates are accepted, and the server sees the
// client's subjects; a client certificate from another CA, and a server
// certificate offered as a client's, are refused.
func TestPKITLSHandshake(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := InitCA(dir, CAOptions{}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(spiffe)
	if _, _, err := Issue(dir, IssueOptions{Kind: KindServer, CommonName: "server"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Issue(dir, IssueOptions{Kind: KindClient, CommonName: "alice", URIs: []*url.URL{u}}); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if _, _, err := InitCA(other, CAOptions{CommonName: "Another CA"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Issue(other, IssueOptions{Kind: KindClient, CommonName: "mallory"}); err != nil {
		t.Fatal(err)
	}

	t.Run("issued client accepted", func(t *testing.T) {
		t.Parallel()
		r := handshake(t, dir, filepath.Join(dir, "alice"))
		if r.serverErr != nil || r.clientErr != nil {
			t.Fatalf("handshake: server: %v; client: %v", r.serverErr, r.clientErr)
		}
		if want := []string{"CN=alice", "URI:" + spiffe}; !slices.Equal(r.subjects, want) {
			t.Errorf("the server saw subjects %q, want %q", r.subjects, want)
		}
	})
	t.Run("client from another CA refused", func(t *testing.T) {
		t.Parallel()
		r := handshake(t, dir, filepath.Join(other, "mallory"))
		var unknown x509.UnknownAuthorityError
		if !errors.As(r.serverErr, &unknown) {
			t.Errorf("server: %v, want x509.UnknownAuthorityError", r.serverErr)
		}
		if r.clientErr == nil {
			t.Error("the client of another CA got an answer")
		}
	})
	t.Run("server certificate as a client refused", func(t *testing.T) {
		t.Parallel()
		r := handshake(t, dir, filepath.Join(dir, "server"))
		var usage x509.CertificateInvalidError
		if !errors.As(r.serverErr, &usage) || usage.Reason != x509.IncompatibleUsage {
			t.Errorf("server: %v, want an incompatible key usage", r.serverErr)
		}
		if r.clientErr == nil {
			t.Error("a client with a server certificate got an answer")
		}
	})
}

// The openssl commands of docs/pki.md (docs/pki-openssl.sh) make files
// that work the same way: the client certificate chains to the CA for
// clientAuth, has the documented subjects, passes a handshake against the
// server certificate, and Issue can use the openssl-made CA.
func TestPKIOpenSSLScript(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the openssl script test needs %s on PATH (CI=true): %v", tool, err)
			}
			t.Skipf("no %s on PATH: %v", tool, err)
		}
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "docs", "pki-openssl.sh"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "kronos-pki")
	ctx, cancel := context.WithTimeout(t.Context(), ioDeadline)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "bash", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("bash %s %s: %v\n%s", script, dir, err, out)
	}
	checkMode(t, dir, fs.ModeDir|0o700)
	for file, mode := range map[string]fs.FileMode{
		"ca.crt": 0o644, "ca.key": 0o600, "server.crt": 0o644, "server.key": 0o600, "alice.crt": 0o644, "alice.key": 0o600,
	} {
		checkMode(t, filepath.Join(dir, file), mode)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 6 {
		t.Errorf("the script left %d files, want 6 (no CSRs or ext files): %v", len(entries), entries)
	}

	ca := readCert(t, filepath.Join(dir, "ca.crt"))
	if ca.Subject.CommonName != DefaultCACommonName || !ca.IsCA || !ca.MaxPathLenZero ||
		ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("openssl CA: CN %q, IsCA %v, MaxPathLenZero %v, KeyUsage %b", ca.Subject.CommonName, ca.IsCA, ca.MaxPathLenZero, ca.KeyUsage)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	client := readCert(t, filepath.Join(dir, "alice.crt"))
	verify(t, client, roots, x509.ExtKeyUsageClientAuth, true)
	verify(t, client, roots, x509.ExtKeyUsageServerAuth, false)
	if want := []string{"CN=alice", "URI:" + spiffe, "EMAIL:alice@example.com"}; !slices.Equal(Subjects(client), want) {
		t.Errorf("Subjects(openssl client) = %q, want %q", Subjects(client), want)
	}
	verify(t, readCert(t, filepath.Join(dir, "server.crt")), roots, x509.ExtKeyUsageServerAuth, true)

	r := handshake(t, dir, filepath.Join(dir, "alice"))
	if r.serverErr != nil || r.clientErr != nil {
		t.Fatalf("handshake with the openssl certificates: server: %v; client: %v", r.serverErr, r.clientErr)
	}

	// kronos pki issue works with a CA openssl made.
	certPath, _, err := Issue(dir, IssueOptions{Kind: KindClient, CommonName: "bob"})
	if err != nil {
		t.Fatalf("Issue with the openssl CA: %v", err)
	}
	verify(t, readCert(t, certPath), roots, x509.ExtKeyUsageClientAuth, true)
}

// docs/pki.md shows docs/pki-openssl.sh verbatim, so the commands a reader
// copies are the ones TestPKIOpenSSLScript runs.
func TestPKIDocShowsTheOpenSSLScript(t *testing.T) {
	t.Parallel()
	docs := filepath.Join("..", "..", "..", "..", "docs")
	script, err := os.ReadFile(filepath.Join(docs, "pki-openssl.sh"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(docs, "pki.md"))
	if err != nil {
		t.Fatal(err)
	}
	if block := "```sh\n" + string(script) + "```\n"; !strings.Contains(string(doc), block) {
		t.Errorf("docs/pki.md does not show docs/pki-openssl.sh verbatim in a ```sh block; copy the script into it")
	}
}

// handshakeResult is what each side of a handshake saw.
type handshakeResult struct {
	serverErr, clientErr error
	// subjects are the Subjects of the client certificate the server
	// verified.
	subjects []string
}

// handshake serves TLS on 127.0.0.1 with <dir>/server.crt, requiring client
// certificates that chain to <dir>/ca.crt, and connects with the client
// certificate <client>.crt (trusting <dir>/ca.crt for the server).
func handshake(t *testing.T, dir, client string) handshakeResult {
	t.Helper()
	serverCert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	clientCert, err := tls.LoadX509KeyPair(client+".crt", client+".key")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, filepath.Join(dir, "ca.crt")))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type served struct {
		err      error
		subjects []string
	}
	done := make(chan served, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- served{err: err}
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(ioDeadline))
		tc := tls.Server(conn, &tls.Config{
			Certificates: []tls.Certificate{serverCert},
			ClientCAs:    pool,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS13,
		})
		if err := tc.Handshake(); err != nil {
			done <- served{err: err}
			return
		}
		var s served
		if chains := tc.ConnectionState().VerifiedChains; len(chains) > 0 {
			s.subjects = Subjects(chains[0][0])
		}
		_, s.err = io.WriteString(tc, "ok")
		done <- s
	}()

	var r handshakeResult
	ctx, cancel := context.WithTimeout(t.Context(), ioDeadline)
	defer cancel()
	d := &tls.Dialer{Config: &tls.Config{
		RootCAs: pool,
		// Always offer the certificate, even one the server's list of
		// acceptable CAs leaves out (Certificates would send none), so that
		// the server is the one that refuses it.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &clientCert, nil },
		MinVersion:           tls.VersionTLS13,
	}}
	conn, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err == nil {
		_ = conn.SetDeadline(time.Now().Add(ioDeadline))
		// Under TLS 1.3 the server judges the client's certificate after
		// the client's handshake is done: a refusal shows on the read.
		var b []byte
		b, err = io.ReadAll(conn)
		if err == nil && string(b) != "ok" {
			err = errors.New("the server answered " + string(b) + ", want ok")
		}
		_ = conn.Close()
	}
	r.clientErr = err
	s := <-done
	r.serverErr, r.subjects = s.err, s.subjects
	return r
}

// verify checks whether cert chains to roots for usage, as ok says.
func verify(t *testing.T, cert *x509.Certificate, roots *x509.CertPool, usage x509.ExtKeyUsage, ok bool) {
	t.Helper()
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}})
	switch {
	case ok && err != nil:
		t.Errorf("%s for usage %v: %v", cert.Subject, usage, err)
	case !ok && err == nil:
		t.Errorf("%s verifies for usage %v, want it refused", cert.Subject, usage)
	}
}

// certWith is a certificate with these names, for Subjects.
func certWith(cn string, dns []string, uris []*url.URL, emails []string) *x509.Certificate {
	c := &x509.Certificate{DNSNames: dns, URIs: uris, EmailAddresses: emails}
	c.Subject.CommonName = cn
	return c
}

// readCert parses the PEM certificate in path.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	c, err := ReadCertificate(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkPEMType checks that path holds one PEM block of type typ.
func checkPEMType(t *testing.T, path, typ string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(b)
	if block == nil || block.Type != typ || len(strings.TrimSpace(string(rest))) != 0 {
		t.Errorf("%s: want exactly one PEM %q block", path, typ)
	}
}

// checkMode checks the type and permission bits of path.
func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModeType | fs.ModePerm); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}
