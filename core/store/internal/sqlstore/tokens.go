package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

const tokenColumns = `id, name, display, hash, namespace, roles, owner, subject, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (core.APIToken, error) {
	var t core.APIToken
	var roles string
	var created int64
	var expires, used, revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.Display, &t.Hash, &t.Namespace, &roles, &t.Owner, &t.Subject, &created, &expires, &used, &revoked); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(roles), &t.Roles); err != nil {
		return t, fmt.Errorf("decode the roles of token %s: %w", t.ID, err)
	}
	t.CreatedAt = fromMS(created)
	for _, f := range []struct {
		v  sql.NullInt64
		to *time.Time
	}{{expires, &t.ExpiresAt}, {used, &t.LastUsedAt}, {revoked, &t.RevokedAt}} {
		if f.v.Valid {
			*f.to = fromMS(f.v.Int64)
		}
	}
	return t, nil
}

// TokenCreate implements store.Store.
func (s *Store) TokenCreate(ctx context.Context, t core.APIToken) (core.APIToken, error) {
	t.CreatedAt = s.now()
	t.ExpiresAt = truncMS(t.ExpiresAt)
	t.LastUsedAt, t.RevokedAt = time.Time{}, time.Time{}
	if err := t.Validate(); err != nil {
		return core.APIToken{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return core.APIToken{}, s.wrap("create token", err)
	}
	t.ID = id.String()
	roles, err := json.Marshal(t.Roles)
	if err != nil {
		return core.APIToken{}, s.wrap("create token", err)
	}
	if t.Roles == nil {
		roles = []byte("{}")
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM namespaces WHERE name = ?`, t.Namespace).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("namespace %q %w", t.Namespace, store.ErrNotFound)
			}
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
			t.ID, t.Name, t.Display, t.Hash, t.Namespace, string(roles), t.Owner, t.Subject, ms(t.CreatedAt), nullMS(t.ExpiresAt))
		if s.d.IsUniqueViolation(err) {
			return fmt.Errorf("a token with this hash %w", store.ErrAlreadyExists)
		}
		return err
	})
	if err != nil {
		return core.APIToken{}, s.wrap(fmt.Sprintf("create token %q", t.Name), err)
	}
	return t, nil
}

// TokenGetByHash implements store.Store.
func (s *Store) TokenGetByHash(ctx context.Context, hash []byte) (core.APIToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, s.wrap("get token", fmt.Errorf("token %w", store.ErrNotFound))
	}
	if err != nil {
		return t, s.wrap("get token", err)
	}
	return t, nil
}

// TokenGet implements store.Store.
func (s *Store) TokenGet(ctx context.Context, id string) (core.APIToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, s.wrap("get token", fmt.Errorf("token %s %w", id, store.ErrNotFound))
	}
	if err != nil {
		return t, s.wrap("get token "+id, err)
	}
	return t, nil
}

// TokenList implements store.Store.
func (s *Store) TokenList(ctx context.Context) ([]core.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY name, id`)
	if err != nil {
		return nil, s.wrap("list tokens", err)
	}
	defer rows.Close()
	var out []core.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, s.wrap("list tokens", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list tokens", err)
	}
	return out, nil
}

// TokenRevoke implements store.Store.
func (s *Store) TokenRevoke(ctx context.Context, id string) (core.APIToken, error) {
	now := s.now()
	if _, err := s.db.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(now), id); err != nil {
		return core.APIToken{}, s.wrap("revoke token "+id, err)
	}
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, s.wrap("revoke token", fmt.Errorf("token %s %w", id, store.ErrNotFound))
	}
	if err != nil {
		return t, s.wrap("revoke token "+id, err)
	}
	return t, nil
}

// TokenTouch implements store.Store.
func (s *Store) TokenTouch(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		ms(at), id, ms(at))
	if err != nil {
		return s.wrap("touch token "+id, err)
	}
	return nil
}
