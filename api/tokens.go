package api

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
)

// Token is an API token or a certificate binding as the API shows it:
// never the token itself, which only create-token returns, once.
type Token struct {
	ID         string               `json:"id" example:"0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60"`
	Name       string               `json:"name" example:"ci-deploy"`
	Display    string               `json:"display,omitempty" doc:"The start of the token, to tell tokens apart." example:"kro_3xQ9"`
	Subject    string               `json:"subject,omitempty" doc:"For a certificate binding: the client certificate subject it matches." example:"CN=ci.team-a"`
	Namespace  string               `json:"namespace" doc:"The default namespace of the token's requests."`
	Roles      map[string]core.Role `json:"roles,omitempty" doc:"The token's role per namespace: viewer, editor or admin."`
	Owner      bool                 `json:"owner,omitempty" doc:"Manages the cluster: every namespace, as admin."`
	CreatedAt  time.Time            `json:"created_at"`
	ExpiresAt  time.Time            `json:"expires_at,omitzero"`
	LastUsedAt time.Time            `json:"last_used_at,omitzero" doc:"Written at most once a minute."`
	RevokedAt  time.Time            `json:"revoked_at,omitzero"`
}

func tokenOut(t core.APIToken) Token {
	return Token{
		ID: t.ID, Name: t.Name, Display: t.Display, Subject: t.Subject, Namespace: t.Namespace, Roles: t.Roles, Owner: t.Owner,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt,
	}
}

// TokenInput creates a token or a certificate binding.
type TokenInput struct {
	Name      string               `json:"name" doc:"What the token is for." example:"ci-deploy"`
	Role      core.Role            `json:"role,omitempty" enum:"viewer,editor,admin" doc:"Shorthand for a role in the request's namespace."`
	Roles     map[string]core.Role `json:"roles,omitempty" doc:"A role per namespace; the creator must be admin in each."`
	Owner     bool                 `json:"owner,omitempty" doc:"Make a cluster owner; only owners may."`
	ExpiresIn string               `json:"expires_in,omitempty" doc:"How long the token works, as a Go duration; none when empty." example:"720h"`
	Subject   string               `json:"subject,omitempty" maxLength:"300" doc:"Bind a client certificate subject (CN=…, DNS:…, URI:…, EMAIL:…) instead of making a bearer token." example:"CN=ci.team-a"`
}

// CreatedToken is a new token, shown once.
type CreatedToken struct {
	Token  string `json:"token,omitempty" doc:"The bearer token: shown this once, stored only as a keyed hash. Empty for a certificate binding." example:"kro_3xQ9aZ7mK2pL8wR4tY6uV1bN5cX0dF9g1a2b3c"`
	Detail Token  `json:"detail"`
}

// TokenList is the tokens that act in a namespace.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

func (s *server) registerTokens(g huma.API) {
	g.OpenAPI().Tags = append(g.OpenAPI().Tags, &huma.Tag{Name: "Tokens", Description: "API tokens, client certificate bindings and who a request acts for."})
	huma.Register(g, huma.Operation{
		OperationID: "create-token", Method: http.MethodPost, Path: "/tokens", Tags: []string{"Tokens"},
		Summary: "Create an API token or a client certificate binding",
		Description: "Creates a bearer token (returned once, in `token`; the server keeps only its keyed hash) whose default namespace is the request's, " +
			"with a role per namespace. With `subject`, binds a client certificate subject to those roles instead. " +
			"The creator must be admin in every namespace it grants a role in; only owners create owners.",
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		Body TokenInput
	},
	) (*struct {
		CacheControl string `header:"Cache-Control"`
		Body         CreatedToken
	}, error,
	) {
		p := PrincipalFrom(ctx)
		t, err := s.tokenFromInput(ctx, p, in.Namespace, in.Body)
		if err != nil {
			return nil, err
		}
		var secret string
		if t.Subject != "" {
			t.Hash = auth.SubjectHash(s.cfg.Auth.HashKey(), t.Subject)
			t.Display = t.Subject
		} else {
			if secret, err = auth.NewToken(); err != nil {
				return nil, huma.Error500InternalServerError("create token: " + err.Error())
			}
			t.Hash = auth.Hash(s.cfg.Auth.HashKey(), secret)
			t.Display = auth.Display(secret)
		}
		created, err := s.cfg.Store.TokenCreate(ctx, t)
		if err != nil {
			return nil, problem(fmt.Sprintf("create token %q", t.Name), err)
		}
		return &struct {
			CacheControl string `header:"Cache-Control"`
			Body         CreatedToken
		}{"no-store", CreatedToken{Token: secret, Detail: tokenOut(created)}}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "list-tokens", Method: http.MethodGet, Path: "/tokens", Tags: []string{"Tokens"},
		Summary:     "List the tokens that act in a namespace",
		Description: "Lists the tokens and certificate bindings whose default namespace is the request's or that hold a role in it, revoked ones included, by name.",
	}, func(ctx context.Context, in *struct{ NamespaceParam }) (*struct{ Body TokenList }, error) {
		all, err := s.cfg.Store.TokenList(ctx)
		if err != nil {
			return nil, problem("list tokens", err)
		}
		out := TokenList{Tokens: []Token{}}
		for _, t := range all {
			if tokenActsIn(t, in.Namespace) {
				out.Tokens = append(out.Tokens, tokenOut(t))
			}
		}
		return &struct{ Body TokenList }{out}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "revoke-token", Method: http.MethodDelete, Path: "/tokens/{id}", Tags: []string{"Tokens"},
		Summary: "Revoke a token",
		Description: "Revokes a token or certificate binding: every node refuses it from the next request. " +
			"The caller must be admin in every namespace the token holds a role in, and an owner to revoke an owner. Revoking twice is not an error.",
		Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		ID string `path:"id" doc:"The token's ID, as list-tokens shows it."`
	},
	) (*struct{ Body Token }, error) {
		p := PrincipalFrom(ctx)
		t, err := s.cfg.Store.TokenGet(ctx, in.ID)
		if err != nil || !tokenActsIn(t, in.Namespace) {
			return nil, huma.Error404NotFound(fmt.Sprintf("token %q not found in namespace %q", in.ID, in.Namespace))
		}
		if t.Owner && !p.Owner {
			return nil, huma.Error403Forbidden(fmt.Sprintf("token %q is an owner; only an owner may revoke it", t.Name))
		}
		for _, ns := range slices.Sorted(maps.Keys(t.Roles)) {
			if !p.Can(ns, core.RoleAdmin) {
				return nil, huma.Error403Forbidden(fmt.Sprintf("token %q also holds a role in namespace %q, where %s is not admin; ask an admin there or an owner", t.Name, ns, p.Actor()))
			}
		}
		revoked, err := s.cfg.Store.TokenRevoke(ctx, t.ID)
		if err != nil {
			return nil, problem(fmt.Sprintf("revoke token %q", t.Name), err)
		}
		return &struct{ Body Token }{tokenOut(revoked)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-principal", Method: http.MethodGet, Path: "/whoami", Tags: []string{"Tokens"},
		Summary:     "Who the request acts for",
		Description: "Returns the principal of the request's credential: its kind, name, default namespace, roles and expiry.",
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body Principal }, error) {
		return &struct{ Body Principal }{*PrincipalFrom(ctx)}, nil
	})
}

// tokenActsIn reports whether t's default namespace is ns or it holds a
// role there.
func tokenActsIn(t core.APIToken, ns string) bool {
	_, ok := t.Roles[ns]
	return t.Namespace == ns || ok
}

// tokenFromInput checks a create-token request against the creator's own
// roles and returns the token to store (without its hash).
func (s *server) tokenFromInput(ctx context.Context, p *Principal, namespace string, in TokenInput) (core.APIToken, error) {
	t := core.APIToken{Name: in.Name, Namespace: namespace, Owner: in.Owner, Subject: in.Subject, Roles: map[string]core.Role{}}
	maps.Copy(t.Roles, in.Roles)
	if in.Role != "" {
		t.Roles[namespace] = in.Role
	}
	if len(t.Roles) == 0 && !t.Owner {
		return t, huma.Error422UnprocessableEntity("create token: no role",
			&huma.ErrorDetail{Location: "body.role", Message: fmt.Sprintf(`is required: give the token a role, such as "role": "viewer" for namespace %q, or "roles": {"<namespace>": "editor"}`, namespace)})
	}
	if t.Owner && !p.Owner {
		return t, huma.Error403Forbidden(p.Actor() + " is not an owner; only owners create owner tokens")
	}
	for _, ns := range slices.Sorted(maps.Keys(t.Roles)) {
		if !p.Can(ns, core.RoleAdmin) {
			return t, huma.Error403Forbidden(fmt.Sprintf("%s is not admin in namespace %q; it can grant roles only where it is admin", p.Actor(), ns))
		}
		if _, err := s.namespace(ctx, ns); err != nil {
			return t, huma.Error422UnprocessableEntity("create token: unknown namespace",
				&huma.ErrorDetail{Location: "body.roles." + ns, Message: fmt.Sprintf("namespace %q does not exist: create it first", ns), Value: ns})
		}
	}
	if in.Subject != "" && !auth.ValidSubject(in.Subject) {
		return t, huma.Error422UnprocessableEntity("create token: invalid subject",
			&huma.ErrorDetail{Location: "body.subject", Message: `must start with "CN=", "DNS:", "URI:" or "EMAIL:" followed by the value the certificate carries (kronos pki issue prints them)`, Value: in.Subject})
	}
	if in.ExpiresIn != "" {
		d, err := time.ParseDuration(in.ExpiresIn)
		if err != nil || d <= 0 {
			return t, huma.Error422UnprocessableEntity("create token: invalid expires_in",
				&huma.ErrorDetail{Location: "body.expires_in", Message: `is not a positive Go duration: use e.g. "720h" for 30 days, or leave it out for no expiry`, Value: in.ExpiresIn})
		}
		t.ExpiresAt = time.Now().Add(d)
	}
	t.Hash = make([]byte, core.TokenHashLen) // for Validate; the caller sets the real one
	if err := t.Validate(); err != nil {
		return t, problem("create token", err)
	}
	return t, nil
}
