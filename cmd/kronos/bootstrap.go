package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/store"
)

// ownerTokenFile is where the first start writes the owner token, in the
// data dir, readable by the server's user only.
const ownerTokenFile = "owner.token"

// bootstrapOwner creates the first owner token when the store holds no
// token at all: it prints the token once on out and writes it to
// <dataDir>/owner.token (0600). It does nothing on later starts, so a
// revoked or deleted owner token is not recreated behind anyone's back.
func bootstrapOwner(ctx context.Context, st store.Store, hashKey []byte, dataDir string, out io.Writer, log *slog.Logger) error {
	tokens, err := st.TokenList(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: list tokens: %w", err)
	}
	if len(tokens) > 0 {
		return nil
	}
	secret, err := auth.NewToken()
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	path := filepath.Join(dataDir, ownerTokenFile)
	// Write the file first: a token stored but lost would lock everyone out.
	if err := os.WriteFile(path+".tmp", []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("bootstrap: write the owner token: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("bootstrap: write the owner token: %w", err)
	}
	if _, err := st.TokenCreate(ctx, core.APIToken{
		Name: "bootstrap-owner", Namespace: core.DefaultNamespace, Owner: true,
		Hash: auth.Hash(hashKey, secret), Display: auth.Display(secret),
	}); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("bootstrap: store the owner token: %w", err)
	}
	log.Info("created the first owner token; it is printed once and kept in the data dir, readable by this user only", "file", path)
	_, _ = fmt.Fprintf(out, `
Kronos created an owner token. It is shown this once, and kept in %s (mode 0600):

    %s

Use it with the CLI:  kronos login --token-file %s
or with HTTP:         Authorization: Bearer <token>
Create tokens for people and CI with "kronos tokens create", then keep this one safe.

`, path, secret, path)
	return nil
}
