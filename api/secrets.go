package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
)

// SecretSealer seals and stores secret values (secrets.Vault).
type SecretSealer interface {
	Put(ctx context.Context, namespace, name, value string) (core.Secret, error)
}

// Secret is a secret as the API shows it: never its value.
type Secret struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name" doc:"Referred to from task configs as {{ secret \"name\" }}." example:"backup-token"`
	KeyID     string    `json:"key_id" doc:"The key that sealed the current value."`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at" doc:"When the value was last set (rotated)."`
}

func secretOut(s core.Secret) Secret {
	return Secret{Namespace: s.Namespace, Name: s.Name, KeyID: s.KeyID, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// SecretValue is the body that sets a secret.
type SecretValue struct {
	Value string `json:"value" minLength:"1" maxLength:"65536" doc:"The value; stored sealed (AES-256-GCM) and never returned." example:"s3cr3t"`
}

// SecretList is a namespace's secrets, without values.
type SecretList struct {
	Secrets []Secret `json:"secrets"`
}

func (s *server) registerSecrets(g huma.API) {
	g.OpenAPI().Tags = append(g.OpenAPI().Tags, &huma.Tag{Name: "Secrets", Description: "Values task configs refer to by name, sealed at rest and never returned."})
	huma.Register(g, huma.Operation{
		OperationID: "put-secret", Method: http.MethodPut, Path: "/secrets/{name}", Tags: []string{"Secrets"},
		Summary: "Set a secret",
		Description: "Creates or rotates a secret of the namespace. Task configs refer to it as {{ secret \"name\" }} in any string; " +
			"the value replaces the reference only inside an execution and is redacted from its output, error and log lines. No read returns the value.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		Name string `path:"name" doc:"The secret's name: lower-case letters, digits, '_', '.' and '-'." example:"backup-token"`
		Body SecretValue
	},
	) (*struct{ Body Secret }, error) {
		if s.cfg.Secrets == nil {
			return nil, huma.Error500InternalServerError("this server has no secret keys configured")
		}
		if fe := core.ValidateName("name", in.Name); fe != nil {
			return nil, huma.Error422UnprocessableEntity("put secret: invalid name", &huma.ErrorDetail{Location: "path.name", Message: fe.Message, Value: in.Name})
		}
		if _, err := s.namespace(ctx, in.Namespace); err != nil {
			return nil, err
		}
		sec, err := s.cfg.Secrets.Put(ctx, in.Namespace, in.Name, in.Body.Value)
		if err != nil {
			return nil, problem(fmt.Sprintf("put secret %q", in.Name), err)
		}
		return &struct{ Body Secret }{secretOut(sec)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "list-secrets", Method: http.MethodGet, Path: "/secrets", Tags: []string{"Secrets"},
		Summary: "List a namespace's secrets", Description: "Names and times only, never values.",
		Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *NamespaceParam) (*struct{ Body SecretList }, error) {
		list, err := s.cfg.Store.SecretList(ctx, in.Namespace)
		if err != nil {
			return nil, problem("list secrets", err)
		}
		out := SecretList{Secrets: make([]Secret, len(list))}
		for i, sec := range list {
			out.Secrets[i] = secretOut(sec)
		}
		return &struct{ Body SecretList }{out}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "delete-secret", Method: http.MethodDelete, Path: "/secrets/{name}", Tags: []string{"Secrets"},
		Summary: "Delete a secret", Description: "Executions of tasks that still refer to it fail, saying which secret is missing.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		Name string `path:"name" doc:"The secret's name." example:"backup-token"`
	},
	) (*struct{}, error) {
		if err := s.cfg.Store.SecretDelete(ctx, in.Namespace, in.Name); err != nil {
			return nil, problem(fmt.Sprintf("delete secret %q", in.Name), err)
		}
		return &struct{}{}, nil
	})
}
