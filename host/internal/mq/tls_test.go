package mq

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/internal/brokertest"
)

// The TLS schemes, each against a TLS listener of the broker's own server
// binary (the machine's nats-server, redis-server and mosquitto, started
// by the test with a certificate of a CA it makes), published to through a
// custom Dial as the host's policy dialer does: the CA in CAPEM is
// trusted, a server the CA did not sign is refused, and the message
// arrives.

// testCA is a CA and a server certificate for 127.0.0.1 it signed, as
// PEM files in a directory.
type testCA struct {
	dir, caFile, certFile, keyFile string
	caPEM                          []byte
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kronos test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := testCA{dir: t.TempDir(), caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	c.caFile, c.certFile, c.keyFile = filepath.Join(c.dir, "ca.pem"), filepath.Join(c.dir, "cert.pem"), filepath.Join(c.dir, "key.pem")
	for file, data := range map[string][]byte{
		c.caFile:   c.caPEM,
		c.certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		c.keyFile:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// otherCA returns the PEM of a CA that signed nothing the test serves.
func otherCA(t *testing.T) []byte { return newTestCA(t).caPEM }

// startTLSBroker runs a broker binary until the test ends and returns the
// loopback port it serves TLS on. Without the binary the test skips,
// except under CI=true.
func startTLSBroker(t *testing.T, binary string, args func(port int) []string) int {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		path = "/usr/sbin/" + binary
		if _, serr := os.Stat(path); serr != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s: %v (CI=true: a missing broker is a failure)", binary, err)
			}
			t.Skipf("no %s on this machine: %v", binary, err)
		}
	}
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	cmd := exec.CommandContext(ctx, path, args(port)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", binary, err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s: %v\n%s", binary, addr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// plainDial is a custom Dial, as the host's policy dialer is.
func plainDial(ctx context.Context, network, addr string) (net.Conn, error) {
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// wantUntrusted checks that opening cfg fails on the server's certificate.
func wantUntrusted(t *testing.T, cfg ConnConfig) {
	t.Helper()
	c, err := Open(testCtx(t), cfg)
	if err == nil {
		_ = c.Close()
		t.Fatalf("%s: a server certificate of another CA was trusted", cfg.URL)
	}
	var ue x509.UnknownAuthorityError
	if !errors.As(err, &ue) && !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("%s: %v, want an unknown-authority error", cfg.URL, err)
	}
}

func TestTLSNATS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	port := startTLSBroker(t, "nats-server", func(port int) []string {
		return []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port), "--tls", "--tlscert", ca.certFile, "--tlskey", ca.keyFile}
	})
	u := "tls://127.0.0.1:" + strconv.Itoa(port)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.caPEM)
	sub, err := nats.Connect(u, nats.Secure(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)
	subject := brokertest.ID() + ".tls"
	s, err := sub.SubscribeSync(subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Flush(); err != nil {
		t.Fatal(err)
	}

	c := mustOpen(t, ConnConfig{URL: u, CAPEM: ca.caPEM, Dial: plainDial})
	if _, err := c.Publish(testCtx(t), Message{Topic: subject, Payload: []byte("over tls"), Headers: testHeaders}); err != nil {
		t.Fatal(err)
	}
	m, err := s.NextMsg(10 * time.Second)
	if err != nil || string(m.Data) != "over tls" || m.Header.Get("Trace-Id") != "abc-123" {
		t.Fatalf("received %v %v", m, err)
	}
	wantUntrusted(t, ConnConfig{URL: u, CAPEM: otherCA(t), Dial: plainDial, Timeout: 3 * time.Second})
	insecure := mustOpen(t, ConnConfig{URL: u, InsecureSkipVerify: true, Dial: plainDial})
	if _, err := insecure.Publish(testCtx(t), Message{Topic: subject, Payload: []byte("unverified")}); err != nil {
		t.Fatalf("insecure_skip_verify: %v", err)
	}
}

func TestTLSRedis(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	port := startTLSBroker(t, "redis-server", func(port int) []string {
		return []string{
			"--port", "0", "--bind", "127.0.0.1", "--tls-port", strconv.Itoa(port),
			"--tls-cert-file", ca.certFile, "--tls-key-file", ca.keyFile, "--tls-ca-cert-file", ca.caFile,
			"--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", ca.dir,
		}
	})
	u := "rediss://127.0.0.1:" + strconv.Itoa(port) + "/0"
	c := mustOpen(t, ConnConfig{URL: u, CAPEM: ca.caPEM, Dial: plainDial})
	r, err := c.Publish(testCtx(t), Message{Topic: "tls-stream", Payload: []byte("over tls"), Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.caPEM)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), TLSConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}})
	t.Cleanup(func() { _ = rdb.Close() })
	entries, err := rdb.XRange(testCtx(t), "tls-stream", "-", "+").Result()
	if err != nil || len(entries) != 1 || entries[0].ID != r.ID || entries[0].Values["payload"] != "over tls" {
		t.Fatalf("stream holds %+v (%v), want entry %s", entries, err, r.ID)
	}
	wantUntrusted(t, ConnConfig{URL: u, CAPEM: otherCA(t), Dial: plainDial, Timeout: 3 * time.Second})
}

func TestTLSMQTT(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	conf := filepath.Join(ca.dir, "mosquitto.conf")
	port := startTLSBroker(t, "mosquitto", func(port int) []string {
		// mosquitto started by root drops to its own user, which cannot
		// read the test's 0600 files: it stays root here.
		cfg := "user " + currentUser() + "\nlistener " + strconv.Itoa(port) + " 127.0.0.1\n" +
			"cafile " + ca.caFile + "\ncertfile " + ca.certFile + "\nkeyfile " + ca.keyFile + "\nallow_anonymous true\n"
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{"-c", conf}
	})
	u := "mqtts://127.0.0.1:" + strconv.Itoa(port)
	c := mustOpen(t, ConnConfig{URL: u, CAPEM: ca.caPEM, Dial: plainDial})
	// QoS 1: Publish returns on the broker's PUBACK, over the TLS session.
	if _, err := c.Publish(testCtx(t), Message{Topic: brokertest.ID() + "/tls", Payload: []byte("over tls"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	wantUntrusted(t, ConnConfig{URL: u, CAPEM: otherCA(t), Dial: plainDial, Timeout: 3 * time.Second})
}

// currentUser names the user the test runs as, for mosquitto's user
// option.
func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if os.Geteuid() == 0 {
		return "root"
	}
	return "mosquitto"
}
