package api

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/store"
)

// Principal is who a request acts for: a bearer token, a client
// certificate bound to roles, or the anonymous owner of a --dev server.
type Principal struct {
	// Kind is "token", "certificate" or "anonymous".
	Kind string `json:"kind" enum:"token,certificate,anonymous"`
	// ID is the token's (or binding's) ID; empty when anonymous.
	ID string `json:"id,omitempty"`
	// Name is the token's name, or the certificate subject that matched.
	Name string `json:"name"`
	// Namespace is the default namespace of the principal's requests.
	Namespace string `json:"namespace"`
	// Roles gives the principal a role per namespace.
	Roles map[string]core.Role `json:"roles,omitempty"`
	// Owner manages the cluster: every namespace, as admin.
	Owner bool `json:"owner,omitempty"`
	// ExpiresAt is when the credential stops working; zero for never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Role returns the principal's role in namespace; false when it has none
// there (the namespace is then reported as not found).
func (p *Principal) Role(namespace string) (core.Role, bool) {
	if p.Owner {
		return core.RoleAdmin, true
	}
	r, ok := p.Roles[namespace]
	return r, ok && r.Valid()
}

// Can reports whether the principal holds at least role in namespace.
func (p *Principal) Can(namespace string, role core.Role) bool {
	r, ok := p.Role(namespace)
	return ok && r.Includes(role)
}

// Actor names the principal in the audit log and in logs.
func (p *Principal) Actor() string {
	switch p.Kind {
	case kindToken:
		return fmt.Sprintf("token:%s (%s)", p.ID, p.Name)
	case kindCertificate:
		return fmt.Sprintf("cert:%s (binding %s)", p.Name, p.ID)
	}
	return "anonymous"
}

const (
	kindToken       = "token"
	kindCertificate = "certificate"
	kindAnonymous   = "anonymous"
)

// anonymousOwner is who a request without credentials acts as on a
// server started with --dev on a loopback address.
var anonymousOwner = Principal{Kind: kindAnonymous, Name: "anonymous", Namespace: core.DefaultNamespace, Owner: true}

// AuthConfig configures an Authenticator.
type AuthConfig struct {
	// Store holds the tokens and certificate bindings. Required.
	Store store.Store
	// HashKey is the key of auth.Hash (secrets.Vault.TokenHashKey).
	// Required.
	HashKey []byte
	// Anonymous lets requests without credentials act as an owner. Only
	// for a --dev server that listens on loopback; the caller checks that.
	Anonymous bool
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Authenticator finds the principal of a request. It reads the store on
// every request, so that a revoked token stops working at once on every
// node; the last-used time is written at most once a minute per token,
// off the request's path.
type Authenticator struct {
	cfg AuthConfig

	mu      sync.Mutex
	touched map[string]time.Time
}

// touchEvery is how often a token's last-used time is written.
const touchEvery = time.Minute

// NewAuthenticator returns an Authenticator.
func NewAuthenticator(cfg AuthConfig) (*Authenticator, error) {
	if cfg.Store == nil || len(cfg.HashKey) == 0 {
		return nil, errors.New("api: an authenticator needs a store and a hash key")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Authenticator{cfg: cfg, touched: map[string]time.Time{}}, nil
}

// HashKey is the key tokens are hashed with, for creating them.
func (a *Authenticator) HashKey() []byte { return a.cfg.HashKey }

// Anonymous reports whether requests without credentials are let in.
func (a *Authenticator) Anonymous() bool { return a.cfg.Anonymous }

// AuthError is a refused credential: Reason is shown to the client.
type AuthError struct{ Reason string }

func (e *AuthError) Error() string { return e.Reason }

// Authenticate returns the principal of r: its bearer token, else its
// verified client certificate, else the anonymous owner when allowed. A
// credential that is present but wrong is refused even when anonymous
// access is allowed, so that a typo is not silently ignored.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil, &AuthError{Reason: fmt.Sprintf("the Authorization header uses %q; send \"Authorization: Bearer kro_…\"", scheme)}
		}
		return a.token(ctx, strings.TrimSpace(token))
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		return a.certificate(ctx, r.TLS.PeerCertificates[0])
	}
	if a.cfg.Anonymous {
		p := anonymousOwner
		return &p, nil
	}
	return nil, &AuthError{Reason: "no credentials: send \"Authorization: Bearer kro_…\" with an API token " +
		"(the first start wrote an owner token to <data-dir>/owner.token; kronos tokens create makes more), or a client certificate"}
}

func (a *Authenticator) token(ctx context.Context, token string) (*Principal, error) {
	if err := auth.ParseToken(token); err != nil {
		return nil, &AuthError{Reason: "the bearer token is not a Kronos token: " + err.Error()}
	}
	t, err := a.cfg.Store.TokenGetByHash(ctx, auth.Hash(a.cfg.HashKey, token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, &AuthError{Reason: fmt.Sprintf("token %s… is not known to this cluster", auth.Display(token))}
	}
	if err != nil {
		return nil, fmt.Errorf("look the token up: %w", err)
	}
	if err := a.active(t); err != nil {
		return nil, err
	}
	a.touch(ctx, t.ID)
	return &Principal{Kind: kindToken, ID: t.ID, Name: t.Name, Namespace: t.Namespace, Roles: t.Roles, Owner: t.Owner, ExpiresAt: t.ExpiresAt}, nil
}

func (a *Authenticator) certificate(ctx context.Context, cert *x509.Certificate) (*Principal, error) {
	subjects := auth.CertificateSubjects(cert)
	for _, s := range subjects {
		t, err := a.cfg.Store.TokenGetByHash(ctx, auth.SubjectHash(a.cfg.HashKey, s))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("look the certificate up: %w", err)
		}
		if err := a.active(t); err != nil {
			return nil, err
		}
		a.touch(ctx, t.ID)
		return &Principal{Kind: kindCertificate, ID: t.ID, Name: s, Namespace: t.Namespace, Roles: t.Roles, Owner: t.Owner, ExpiresAt: t.ExpiresAt}, nil
	}
	return nil, &AuthError{Reason: fmt.Sprintf("the client certificate's subjects (%s) are bound to no principal: an admin binds one with kronos tokens create --subject %q --role viewer",
		strings.Join(subjects, ", "), firstOr(subjects, "CN=…"))}
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func (a *Authenticator) active(t core.APIToken) error {
	now := a.cfg.Now()
	switch {
	case !t.RevokedAt.IsZero():
		return &AuthError{Reason: fmt.Sprintf("token %q (%s) was revoked at %s", t.Name, t.ID, t.RevokedAt.UTC().Format(time.RFC3339))}
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return &AuthError{Reason: fmt.Sprintf("token %q (%s) expired at %s: create a new one", t.Name, t.ID, t.ExpiresAt.UTC().Format(time.RFC3339))}
	}
	return nil
}

// touch records, at most once per touchEvery, that a token was used.
func (a *Authenticator) touch(ctx context.Context, id string) {
	now := a.cfg.Now()
	a.mu.Lock()
	if last, ok := a.touched[id]; ok && now.Sub(last) < touchEvery {
		a.mu.Unlock()
		return
	}
	if len(a.touched) > 100_000 {
		clear(a.touched)
	}
	a.touched[id] = now
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	go func() {
		defer cancel()
		if err := a.cfg.Store.TokenTouch(ctx, id, now); err != nil {
			a.cfg.Logger.Warn("record a token's last use", "token", id, "err", err)
		}
	}()
}

type principalKey struct{}

// PrincipalFrom returns the principal a request acts for; nil outside a
// request that passed authentication.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
