package core

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what an API token may do in a namespace.
type Role string

// Roles, each including the ones before it.
const (
	// RoleViewer reads the namespace: tasks, executions, logs, plugins.
	RoleViewer Role = "viewer"
	// RoleEditor also changes tasks, triggers and cancels them, and
	// uploads and deletes plugins.
	RoleEditor Role = "editor"
	// RoleAdmin also changes the namespace's settings, its tokens and its
	// secrets.
	RoleAdmin Role = "admin"
)

var roleOrder = []Role{RoleViewer, RoleEditor, RoleAdmin}

// Valid reports whether r is a role.
func (r Role) Valid() bool { return slices.Contains(roleOrder, r) }

// Includes reports whether r allows what want allows.
func (r Role) Includes(want Role) bool {
	return r.Valid() && want.Valid() && slices.Index(roleOrder, r) >= slices.Index(roleOrder, want)
}

// TokenHashLen is the length of a token's stored hash (HMAC-SHA-256).
const TokenHashLen = 32

// MaxTokenSubjectBytes bounds APIToken.Subject.
const MaxTokenSubjectBytes = 300

// tokenSubjectPrefixes are the forms an APIToken.Subject takes: a
// certificate's subject common name or one of its subject alternative
// names.
var tokenSubjectPrefixes = []string{"CN=", "DNS:", "URI:", "EMAIL:"}

// APIToken is a credential for the API. The store keeps its hash, never
// the token itself (see package auth for the format and the hash).
type APIToken struct {
	// ID is assigned by the store.
	ID string `json:"id"`
	// Name says what the token is for; unique per namespace is not
	// required.
	Name string `json:"name"`
	// Display is the start of the token (auth.Display), for people to
	// tell tokens apart.
	Display string `json:"display"`
	// Hash is the token's keyed hash; unique.
	Hash []byte `json:"-"`
	// Namespace is the default namespace of the token's requests.
	Namespace string `json:"namespace"`
	// Roles gives the token a role per namespace.
	Roles map[string]Role `json:"roles,omitempty"`
	// Owner makes the token manage the cluster: every namespace, as admin.
	Owner bool `json:"owner,omitempty"`
	// Subject, when set, makes this a client-certificate binding instead
	// of a bearer token: a certificate presenting this subject ("CN=alice",
	// "URI:spiffe://…", "DNS:…", "EMAIL:…") acts with the roles below. Its
	// Hash is the keyed hash of "subject:"+Subject so lookups go through
	// TokenGetByHash. At most MaxTokenSubjectBytes.
	Subject string `json:"subject,omitempty"`
	// CreatedAt is set by the store.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt, when set, ends the token.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// LastUsedAt is when a request last carried it.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// RevokedAt, when set, is when it was revoked; it works no more.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Validate reports every invalid field of t.
func (t *APIToken) Validate() error {
	var v validator
	if fe := ValidateName("name", t.Name); fe != nil {
		v.fields = append(v.fields, fe)
	}
	if fe := ValidateName("namespace", t.Namespace); fe != nil {
		v.fields = append(v.fields, fe)
	}
	if len(t.Hash) != TokenHashLen {
		v.add("hash", "is %d bytes, want %d (an HMAC-SHA-256)", len(t.Hash), TokenHashLen)
	}
	switch {
	case t.Subject == "":
	case len(t.Subject) > MaxTokenSubjectBytes:
		v.add("subject", "is %d bytes long; the limit is %d", len(t.Subject), MaxTokenSubjectBytes)
	case !slices.ContainsFunc(tokenSubjectPrefixes, func(p string) bool { return strings.HasPrefix(t.Subject, p) }):
		v.add("subject", "%q does not start with one of %s: write it as \"CN=alice\", \"DNS:host.example.com\", \"URI:spiffe://example.org/ci\" or \"EMAIL:alice@example.com\"", t.Subject, strings.Join(tokenSubjectPrefixes, ", "))
	case slices.Contains(tokenSubjectPrefixes, t.Subject):
		v.add("subject", "%q names no subject after the prefix (e.g. \"CN=alice\")", t.Subject)
	case !utf8.ValidString(t.Subject):
		v.add("subject", "is not valid UTF-8")
	}
	if len(t.Roles) == 0 && !t.Owner {
		v.add("roles", "is empty: give the token a role (viewer, editor or admin) in at least one namespace, or make it an owner")
	}
	for ns, r := range t.Roles {
		if fe := ValidateName("roles."+ns, ns); fe != nil {
			v.fields = append(v.fields, fe)
		}
		if !r.Valid() {
			v.add("roles."+ns, "%q is not a role: use viewer, editor or admin", r)
		}
	}
	if !t.ExpiresAt.IsZero() && !t.CreatedAt.IsZero() && !t.ExpiresAt.After(t.CreatedAt) {
		v.add("expires_at", "is not after the token's creation")
	}
	return v.err(fmt.Sprintf("token %q", t.Name))
}

// Active reports whether the token works at now: not revoked, not expired.
func (t *APIToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}
