package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/cmd/kronos/internal/pki"
)

// doJSON sends a JSON request with c and returns the status and body.
func doJSON(t *testing.T, c *http.Client, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestBootstrapOwnerToken: the first start prints an owner token once and
// writes it 0600 into the data dir; requests without it are refused; a
// second start prints nothing new and the token still works.
func TestBootstrapOwnerToken(t *testing.T) {
	dataDir, _ := newDataDir(t)
	args := []string{"server", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json"}
	first := startServer(t, args...)
	base := first.waitURL(t)
	waitHealthy(t, base, first)
	path := filepath.Join(dataDir, ownerTokenFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	token := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(token, "kro_") || strings.Count(first.log.String(), token) != 1 {
		t.Fatalf("the owner token %q is not printed exactly once:\n%s", token, first.log)
	}
	api := base + "/api/v1"
	if code, m := doJSON(t, http.DefaultClient, "GET", api+"/tasks", "", nil); code != http.StatusUnauthorized || !strings.Contains(m["detail"].(string), "owner.token") {
		t.Errorf("no credentials: %d %v", code, m)
	}
	if code, _ := doJSON(t, http.DefaultClient, "GET", base+"/metrics", "", nil); code != http.StatusUnauthorized {
		t.Errorf("/metrics without credentials: %d", code)
	}
	if code, m := doJSON(t, http.DefaultClient, "GET", api+"/whoami", token, nil); code != http.StatusOK || m["owner"] != true {
		t.Errorf("whoami as the owner: %d %v", code, m)
	}
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	first.wait(t)

	second := startServer(t, args...)
	base = second.waitURL(t)
	waitHealthy(t, base, second)
	if code, _ := doJSON(t, http.DefaultClient, "GET", base+"/api/v1/whoami", token, nil); code != http.StatusOK {
		t.Errorf("the owner token after a restart: %d", code)
	}
	if strings.Contains(second.log.String(), "kro_") {
		t.Errorf("the second start printed a token:\n%s", second.log)
	}
}

// TestDevNeedsLoopback: --dev on a wildcard address is refused before
// anything starts.
func TestDevNeedsLoopback(t *testing.T) {
	s := startServer(t, "server", "--addr", "0.0.0.0:0", "--dev", "--data-dir", t.TempDir())
	if code := s.wait(t); code != exitUsage || !strings.Contains(s.log.String(), "loopback") {
		t.Errorf("exit %d:\n%s", code, s.log)
	}
}

// TestClientCertificates serves HTTPS with --client-ca: a client
// certificate bound to a role acts with it, without a token; one whose
// binding is revoked, or signed by another CA, does not get in.
func TestClientCertificates(t *testing.T) {
	dir := t.TempDir()
	caDir, otherCA := filepath.Join(dir, "pki"), filepath.Join(dir, "other")
	must := func(_, _ string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(pki.InitCA(caDir, pki.CAOptions{}))
	must(pki.InitCA(otherCA, pki.CAOptions{}))
	serverCert, serverKey, err := pki.Issue(caDir, pki.IssueOptions{Kind: pki.KindServer, CommonName: "localhost"})
	must("", "", err)
	aliceCert, aliceKey, err := pki.Issue(caDir, pki.IssueOptions{Kind: pki.KindClient, CommonName: "alice"})
	must("", "", err)
	malloryCert, malloryKey, err := pki.Issue(otherCA, pki.IssueOptions{Kind: pki.KindClient, CommonName: "alice"})
	must("", "", err)

	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json",
		"--tls-cert", serverCert, "--tls-key", serverKey, "--client-ca", filepath.Join(caDir, pki.CACertFile))
	base := srv.waitURL(t)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("a TLS server logs %s", base)
	}
	caPEM, _ := os.ReadFile(filepath.Join(caDir, pki.CACertFile))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client := func(cert, key string) *http.Client {
		tc := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		if cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				t.Fatal(err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 10 * time.Second}
	}
	plain, alice := client("", ""), client(aliceCert, aliceKey)
	api := base + "/api/v1"
	deadline := time.Now().Add(startDeadline)
	for {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/healthz", http.NoBody)
		resp, err := plain.Do(req)
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("https /healthz: %v\n%s", err, srv.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	raw, _ := os.ReadFile(filepath.Join(dataDir, ownerTokenFile))
	owner := strings.TrimSpace(string(raw))

	// Not bound yet: the certificate is valid but names no principal.
	if code, m := doJSON(t, alice, "GET", api+"/whoami", "", nil); code != http.StatusUnauthorized || !strings.Contains(m["detail"].(string), "CN=alice") {
		t.Errorf("unbound certificate: %d %v", code, m)
	}
	code, m := doJSON(t, plain, "POST", api+"/tokens", owner, map[string]any{"name": "alice", "role": "editor", "subject": "CN=alice"})
	if code != http.StatusCreated {
		t.Fatalf("bind CN=alice: %d %v", code, m)
	}
	binding := m["detail"].(map[string]any)["id"].(string)
	code, m = doJSON(t, alice, "GET", api+"/whoami", "", nil)
	if code != http.StatusOK || m["kind"] != "certificate" || m["name"] != "CN=alice" {
		t.Errorf("whoami with alice's certificate: %d %v", code, m)
	}
	if code, m := doJSON(t, alice, "POST", api+"/tasks", "", map[string]any{"name": "job", "schedule": "@hourly", "executor": "http", "config": map[string]any{"url": "https://example.com"}}); code != http.StatusCreated {
		t.Errorf("an editor's certificate creates a task: %d %v", code, m)
	}
	if code, _ := doJSON(t, alice, "PUT", api+"/secrets/x", "", map[string]any{"value": "v"}); code != http.StatusForbidden {
		t.Errorf("an editor's certificate sets a secret: %d", code)
	}
	// The same name from another CA fails the handshake.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, api+"/whoami", http.NoBody)
	if resp, err := client(malloryCert, malloryKey).Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("a certificate of another CA got an answer: %d", resp.StatusCode)
	}
	// Revoked: refused at once.
	if code, _ := doJSON(t, plain, "DELETE", api+"/tokens/"+binding, owner, nil); code != http.StatusOK {
		t.Fatalf("revoke the binding: %d", code)
	}
	if code, _ := doJSON(t, alice, "GET", api+"/whoami", "", nil); code != http.StatusUnauthorized {
		t.Errorf("a revoked binding: %d", code)
	}
}
