package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// SecretPut implements store.Store.
func (s *Store) SecretPut(ctx context.Context, sec core.Secret) (core.Secret, error) {
	if err := sec.Validate(); err != nil {
		return core.Secret{}, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM namespaces WHERE name = ?`, sec.Namespace).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("namespace %q %w", sec.Namespace, store.ErrNotFound)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (namespace, name, key_id, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) `+
			s.d.InsertUpdateDuplicates([]string{"namespace", "name"}, "key_id", "sealed", "updated_at"),
			sec.Namespace, sec.Name, sec.KeyID, sec.Sealed, ms(now), ms(now)); err != nil {
			return err
		}
		got, err := scanSecret(tx.QueryRowContext(ctx, `SELECT namespace, name, key_id, sealed, created_at, updated_at FROM secrets WHERE namespace = ? AND name = ?`, sec.Namespace, sec.Name))
		sec = got
		return err
	})
	if err != nil {
		return core.Secret{}, s.wrap(fmt.Sprintf("put secret %q", sec.Name), err)
	}
	return sec, nil
}

func scanSecret(row interface{ Scan(...any) error }) (core.Secret, error) {
	var sec core.Secret
	var created, updated int64
	if err := row.Scan(&sec.Namespace, &sec.Name, &sec.KeyID, &sec.Sealed, &created, &updated); err != nil {
		return sec, err
	}
	sec.CreatedAt, sec.UpdatedAt = fromMS(created), fromMS(updated)
	return sec, nil
}

// SecretGet implements store.Store.
func (s *Store) SecretGet(ctx context.Context, namespace, name string) (core.Secret, error) {
	sec, err := scanSecret(s.db.QueryRowContext(ctx, `SELECT namespace, name, key_id, sealed, created_at, updated_at FROM secrets WHERE namespace = ? AND name = ?`, namespace, name))
	if errors.Is(err, sql.ErrNoRows) {
		return sec, s.wrap("get secret", fmt.Errorf("secret %q %w", name, store.ErrNotFound))
	}
	if err != nil {
		return sec, s.wrap(fmt.Sprintf("get secret %q", name), err)
	}
	return sec, nil
}

// SecretList implements store.Store.
func (s *Store) SecretList(ctx context.Context, namespace string) ([]core.Secret, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT namespace, name, key_id, created_at, updated_at FROM secrets WHERE namespace = ? ORDER BY name`, namespace)
	if err != nil {
		return nil, s.wrap("list secrets", err)
	}
	defer rows.Close()
	var out []core.Secret
	for rows.Next() {
		var sec core.Secret
		var created, updated int64
		if err := rows.Scan(&sec.Namespace, &sec.Name, &sec.KeyID, &created, &updated); err != nil {
			return nil, s.wrap("list secrets", err)
		}
		sec.CreatedAt, sec.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, sec)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list secrets", err)
	}
	return out, nil
}

// SecretDelete implements store.Store.
func (s *Store) SecretDelete(ctx context.Context, namespace, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM secrets WHERE namespace = ? AND name = ?`, namespace, name)
	if err != nil {
		return s.wrap(fmt.Sprintf("delete secret %q", name), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.wrap(fmt.Sprintf("delete secret %q", name), err)
	} else if n == 0 {
		return s.wrap("delete secret", fmt.Errorf("secret %q %w", name, store.ErrNotFound))
	}
	return nil
}
