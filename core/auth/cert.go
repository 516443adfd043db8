package auth

import (
	"crypto/x509"
	"strings"
)

// Subject prefixes a client certificate presents; see CertificateSubjects.
const (
	SubjectCN    = "CN="
	SubjectDNS   = "DNS:"
	SubjectURI   = "URI:"
	SubjectEmail = "EMAIL:"
)

// CertificateSubjects are the subjects a client certificate presents, in
// the order the server looks them up: "CN=<common name>", then
// "DNS:<name>", "URI:<uri>" and "EMAIL:<address>" for each subject
// alternative name. The first one bound to a principal in the store wins.
func CertificateSubjects(cert *x509.Certificate) []string {
	var out []string
	if cert.Subject.CommonName != "" {
		out = append(out, SubjectCN+cert.Subject.CommonName)
	}
	for _, d := range cert.DNSNames {
		out = append(out, SubjectDNS+d)
	}
	for _, u := range cert.URIs {
		out = append(out, SubjectURI+u.String())
	}
	for _, e := range cert.EmailAddresses {
		out = append(out, SubjectEmail+e)
	}
	return out
}

// ValidSubject reports whether s has one of the subject prefixes and
// something after it.
func ValidSubject(s string) bool {
	for _, p := range []string{SubjectCN, SubjectDNS, SubjectURI, SubjectEmail} {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			return true
		}
	}
	return false
}

// SubjectHash is what the store keeps of a certificate binding: the keyed
// hash of "subject:"+subject, so that a binding is found the way a token
// is (a token never starts with "subject:").
func SubjectHash(key []byte, subject string) []byte {
	return Hash(key, "subject:"+subject)
}
