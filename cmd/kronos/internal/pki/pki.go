// Package pki makes a local certificate authority and the certificates it
// issues, so that a Kronos server can require client certificates
// (kronos server --tls-cert --tls-key --client-ca) without other tools. It is
// the engine of `kronos pki init` and `kronos pki issue`, and uses only the
// standard library: ECDSA P-256 keys, PEM files.
//
// # Files
//
// A PKI directory (kronos-pki by default) is created with mode 0700 and holds:
//
//   - ca.crt, the CA's self-signed certificate (mode 0644). Servers read it
//     with --client-ca to check client certificates; it is not a secret.
//   - ca.key, the CA's private key as PKCS#8 PEM (mode 0600). It signs every
//     certificate; keep it secret, ideally off the servers. [InitCA] refuses
//     to replace it unless told to (--force): every certificate it issued
//     would stop verifying.
//   - <name>.crt (0644) and <name>.key (PKCS#8 PEM, 0600) for each issued
//     certificate, where name is its common name with every character other
//     than A-Z, a-z, 0-9, '.', '_' and '-' replaced by '_' (or the path given
//     as [IssueOptions].Out). Issuing again under the same name replaces
//     them.
//
// The CA may sign leaf certificates only (path length 0). A leaf is for
// clients (extended key usage clientAuth) or for servers (serverAuth), has a
// random 128-bit serial number, and never outlives the CA.
//
// # Subjects
//
// A client certificate names its principal by the strings [Subjects]
// returns, in this order and form:
//
//	CN=<common name>   (when the common name is not empty)
//	DNS:<name>         for each DNS name SAN
//	URI:<uri>          for each URI SAN, such as URI:spiffe://kronos/ns/team-a/ci
//	EMAIL:<address>    for each email address SAN
//
// The server looks a verified client certificate up by these strings, in
// this order, and the first one bound to a principal wins (an admin binds
// one with `kronos tokens create --subject "CN=alice" --role editor`). IP address SANs
// name no principal.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/core/auth"
)

// Files of a PKI directory.
const (
	// CACertFile is the CA's certificate in a PKI directory.
	CACertFile = "ca.crt"
	// CAKeyFile is the CA's private key in a PKI directory.
	CAKeyFile = "ca.key"
)

// Defaults of [CAOptions] and [IssueOptions].
const (
	// DefaultCACommonName is the common name of a CA made by [InitCA].
	DefaultCACommonName = "Kronos local CA"
	// DefaultCAValidity is how long a CA made by [InitCA] is valid: 10
	// years of 365 days.
	DefaultCAValidity = 10 * 365 * 24 * time.Hour
	// DefaultValidity is how long a certificate made by [Issue] is valid:
	// one year of 365 days (capped by the CA's own end).
	DefaultValidity = 365 * 24 * time.Hour
)

// Modes of the files and directories this package writes.
const (
	dirMode  fs.FileMode = 0o700
	certMode fs.FileMode = 0o644
	keyMode  fs.FileMode = 0o600
)

// backdate is how far before now a certificate's validity starts, so that a
// peer whose clock is a little behind accepts it at once.
const backdate = 5 * time.Minute

// Kind is what an issued certificate authenticates: a client or a server.
type Kind string

// The kinds of certificate [Issue] makes.
const (
	// KindClient is a client certificate (extended key usage clientAuth):
	// its [Subjects] name a principal.
	KindClient Kind = "client"
	// KindServer is a server certificate (extended key usage serverAuth)
	// for the DNS names and IP addresses clients dial.
	KindServer Kind = "server"
)

// ErrInvalidOptions is wrapped by the errors of options [InitCA] or [Issue]
// cannot use (a missing common name, an unknown kind, a malformed name), as
// opposed to failures to read or write files.
var ErrInvalidOptions = errors.New("invalid options")

// optionError is an option that cannot be used; it is [ErrInvalidOptions]
// without saying so in its message.
type optionError struct{ msg string }

func (e *optionError) Error() string        { return e.msg }
func (e *optionError) Is(target error) bool { return target == ErrInvalidOptions }

// invalid returns an error that wraps [ErrInvalidOptions].
func invalid(format string, args ...any) error {
	return &optionError{msg: fmt.Sprintf(format, args...)}
}

// CAOptions are the settings of a new CA.
type CAOptions struct {
	// CommonName is the CA certificate's subject common name. Defaults to
	// DefaultCACommonName ("Kronos local CA").
	CommonName string
	// Validity is how long the CA certificate is valid. Defaults to
	// DefaultCAValidity (10 years).
	Validity time.Duration
	// Force replaces an existing CA in the directory. Defaults to false:
	// InitCA refuses to overwrite ca.key or ca.crt.
	Force bool
}

// InitCA creates the directory dir (mode 0700) if needed and writes a new
// self-signed CA into it: ca.crt (mode 0644) and ca.key (PKCS#8 PEM, mode
// 0600). It returns the paths of both files. Unless opts.Force is set, it
// refuses to replace an existing ca.key or ca.crt; the error wraps
// [fs.ErrExist].
func InitCA(dir string, opts CAOptions) (certPath, keyPath string, err error) {
	certPath, keyPath = filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	if opts.CommonName == "" {
		opts.CommonName = DefaultCACommonName
	}
	if opts.Validity == 0 {
		opts.Validity = DefaultCAValidity
	}
	if opts.Validity < 0 {
		return "", "", invalid("init the CA: validity %s is negative: give a positive duration such as %s", opts.Validity, DefaultCAValidity)
	}
	if !opts.Force {
		for _, p := range []string{keyPath, certPath} {
			if _, err := os.Lstat(p); err == nil {
				return "", "", fmt.Errorf("init the CA: refuse to overwrite %s: %w; use --force to replace the CA "+
					"(the certificates it issued will stop verifying) or choose another --dir", p, fs.ErrExist)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return "", "", fmt.Errorf("init the CA: check for an existing CA: %w", err)
			}
		}
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("init the CA: generate its key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return "", "", fmt.Errorf("init the CA: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: opts.CommonName},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(opts.Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return "", "", fmt.Errorf("init the CA: sign its certificate: %w", err)
	}
	keyPEM, err := keyToPEM(key)
	if err != nil {
		return "", "", fmt.Errorf("init the CA: %w", err)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return "", "", fmt.Errorf("init the CA: create its directory: %w", err)
	}
	if err := writeFileAtomic(keyPath, keyPEM, keyMode); err != nil {
		return "", "", fmt.Errorf("init the CA: write its key: %w", err)
	}
	if err := writeFileAtomic(certPath, certToPEM(der), certMode); err != nil {
		return "", "", fmt.Errorf("init the CA: write its certificate: %w", err)
	}
	return certPath, keyPath, nil
}

// IssueOptions are the settings of a certificate [Issue] makes.
type IssueOptions struct {
	// Kind is KindClient or KindServer. Required.
	Kind Kind
	// CommonName is the subject common name; for a client certificate it
	// is the principal's name ("CN=<name>" in [Subjects]). Required.
	CommonName string
	// DNSNames are DNS name SANs. A server certificate with neither DNS
	// names nor IP addresses gets DNS localhost and IPs 127.0.0.1 and ::1.
	DNSNames []string
	// IPAddresses are IP address SANs.
	IPAddresses []net.IP
	// URIs are URI SANs, such as spiffe://kronos/ns/team-a/ci; each must be
	// absolute.
	URIs []*url.URL
	// Emails are email address SANs, such as alice@example.com.
	Emails []string
	// Validity is how long the certificate is valid, capped by the CA's
	// own end. Defaults to DefaultValidity (one year).
	Validity time.Duration
	// Out is the path of the certificate and key without their extension:
	// Issue writes Out+".crt" and Out+".key" (a trailing ".crt" or ".key"
	// on Out is dropped). Defaults to <dir>/<name>, where name is the
	// common name with every character other than [A-Za-z0-9._-] replaced
	// by '_'.
	Out string
}

// Issue loads the CA in dir, issues a certificate with opts, and writes it
// (mode 0644) and its private key (PKCS#8 PEM, mode 0600), replacing earlier
// files of the same name. It returns their paths. Its errors wrap
// [ErrInvalidOptions] for options it cannot use and [fs.ErrNotExist] when
// dir holds no CA.
func Issue(dir string, opts IssueOptions) (certPath, keyPath string, err error) {
	what := "issue a certificate"
	if opts.Kind == KindClient || opts.Kind == KindServer {
		what = fmt.Sprintf("issue a %s certificate", opts.Kind)
	}
	if err := opts.check(); err != nil {
		return "", "", fmt.Errorf("%s: %w", what, err)
	}
	if opts.Validity == 0 {
		opts.Validity = DefaultValidity
	}
	certPath, keyPath, err = opts.paths(dir)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", what, err)
	}
	caCert, caKey, err := loadCA(dir)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", what, err)
	}

	now := time.Now()
	notBefore, notAfter := now.Add(-backdate), now.Add(opts.Validity)
	if notBefore.Before(caCert.NotBefore) {
		notBefore = caCert.NotBefore
	}
	if notAfter.After(caCert.NotAfter) {
		notAfter = caCert.NotAfter
	}
	if !notAfter.After(now) {
		return "", "", fmt.Errorf("%s: the CA in %s expired on %s: make a new one with \"kronos pki init --force\"",
			what, dir, caCert.NotAfter.UTC().Format(time.RFC3339))
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("%s: generate its key: %w", what, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", what, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: opts.CommonName},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		DNSNames:              opts.DNSNames,
		IPAddresses:           opts.IPAddresses,
		URIs:                  opts.URIs,
		EmailAddresses:        opts.Emails,
	}
	switch opts.Kind {
	case KindClient:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	case KindServer:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		if len(tmpl.DNSNames) == 0 && len(tmpl.IPAddresses) == 0 {
			tmpl.DNSNames = []string{"localhost"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return "", "", fmt.Errorf("%s: sign it with the CA in %s: %w", what, dir, err)
	}
	keyPEM, err := keyToPEM(key)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", what, err)
	}
	if err := os.MkdirAll(filepath.Dir(certPath), dirMode); err != nil {
		return "", "", fmt.Errorf("%s: create the directory of %s: %w", what, certPath, err)
	}
	if err := writeFileAtomic(keyPath, keyPEM, keyMode); err != nil {
		return "", "", fmt.Errorf("%s: write its key: %w", what, err)
	}
	if err := writeFileAtomic(certPath, certToPEM(der), certMode); err != nil {
		return "", "", fmt.Errorf("%s: write it: %w", what, err)
	}
	return certPath, keyPath, nil
}

// check refuses options Issue cannot use.
func (o *IssueOptions) check() error {
	if o.Kind != KindClient && o.Kind != KindServer {
		return invalid("kind %q: use %q or %q", o.Kind, KindClient, KindServer)
	}
	if strings.TrimSpace(o.CommonName) == "" {
		if o.Kind == KindClient {
			return invalid("no common name: give the principal's name (--name)")
		}
		return invalid("no common name: give the server a name (--name)")
	}
	if o.Validity < 0 {
		return invalid("validity %s is negative: give a positive duration such as %s", o.Validity, DefaultValidity)
	}
	for _, n := range o.DNSNames {
		if n == "" || strings.ContainsAny(n, " \t\r\n/:@") {
			return invalid("DNS name %q: give a host name such as kronos.example.com (--dns)", n)
		}
	}
	for _, u := range o.URIs {
		if u == nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
			return invalid("URI %q: give an absolute URI such as spiffe://kronos/ns/team-a/ci (--uri)", u)
		}
	}
	for _, e := range o.Emails {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			return invalid("email address %q: give a bare address such as alice@example.com (--email)", e)
		}
	}
	return nil
}

// paths returns where the certificate and key go.
func (o *IssueOptions) paths(dir string) (certPath, keyPath string, err error) {
	base := o.Out
	if base != "" {
		base = strings.TrimSuffix(strings.TrimSuffix(base, ".crt"), ".key")
	} else {
		name := fileName(o.CommonName)
		if name == "" {
			return "", "", invalid("common name %q makes no file name: give one with --out", o.CommonName)
		}
		base = filepath.Join(dir, name)
	}
	certPath, keyPath = base+".crt", base+".key"
	caCert, caKey := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	for _, p := range []string{certPath, keyPath} {
		if sameFile(p, caCert) || sameFile(p, caKey) {
			return "", "", invalid("%s would overwrite the CA: give the certificate another name (--out)", p)
		}
	}
	return certPath, keyPath, nil
}

// fileName is the file name (without extension) of a certificate with the
// common name cn: cn with every character other than A-Z, a-z, 0-9, '.',
// '_' and '-' replaced by '_', and leading dots dropped (no hidden files).
// It is empty when nothing is left.
func fileName(cn string) string {
	var b strings.Builder
	for _, r := range cn {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.TrimLeft(b.String(), ".")
}

// sameFile reports whether paths a and b name the same file, by their
// cleaned absolute form.
func sameFile(a, b string) bool {
	aa, errA := filepath.Abs(a)
	bb, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return aa == bb
}

// Subjects returns the principal subjects cert presents, in the order the
// server tries them (auth.CertificateSubjects): "CN=<common name>" (when
// not empty), then "DNS:<name>", "URI:<uri>" and "EMAIL:<address>" for
// each subject alternative name. See the package documentation.
func Subjects(cert *x509.Certificate) []string { return auth.CertificateSubjects(cert) }

// loadCA reads the CA certificate and key in dir and checks that they
// belong together and can sign certificates.
func loadCA(dir string) (*x509.Certificate, crypto.Signer, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	hint := fmt.Sprintf("make one with \"kronos pki init --dir %s\", or point --dir at the CA's directory", dir)
	cert, err := ReadCertificate(certPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("read the CA certificate: %w; %s", err, hint)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the CA certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read the CA key: %w; %s", err, hint)
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, nil, fmt.Errorf("read the CA certificate %s: it is not a CA certificate (basic constraints CA:TRUE and key usage keyCertSign)", certPath)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, nil, fmt.Errorf("read the CA key %s: no PEM PRIVATE KEY (PKCS#8) block; convert one with \"openssl pkcs8 -topk8 -nocrypt\"", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("read the CA key %s: %w", keyPath, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("read the CA key %s: a %T cannot sign", keyPath, k)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("load the CA in %s: %s is not the key of %s", dir, keyPath, certPath)
	}
	return cert, key, nil
}

// ReadCertificate reads the first PEM CERTIFICATE block of the file at
// path, such as a certificate [InitCA] or [Issue] wrote.
func ReadCertificate(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("%s: no PEM CERTIFICATE block", path)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return cert, nil
	}
}

// randomSerial returns a random, positive 128-bit serial number.
func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("make a serial number: %w", err)
		}
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
}

// keyToPEM encodes key as a PKCS#8 PEM block.
func keyToPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode the key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// certToPEM encodes a DER certificate as a PEM block.
func certToPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// writeFileAtomic writes b to path with mode perm (whatever the umask)
// through a temporary file in the same directory, so that path holds the
// old contents or the new, never a part.
func writeFileAtomic(path string, b []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if tmp != "" {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	tmp = ""
	return nil
}
