package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// live is the condition that keeps pairs that have not expired at the
// instant bound to its one parameter.
const live = `(expires_at IS NULL OR expires_at > ?)`

// KVGet implements store.Store.
func (s *Store) KVGet(ctx context.Context, namespace, key string) ([]byte, error) {
	if fe := core.ValidateKVKey(key); fe != nil {
		return nil, fe
	}
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT v FROM kv WHERE namespace = ? AND k = ? AND `+live, namespace, key, ms(s.now())).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.wrap("get key", fmt.Errorf("key %q in namespace %q %w", key, namespace, store.ErrNotFound))
	}
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("get key %q", key), err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// KVSet implements store.Store. The quota is counted in the transaction
// that writes, but with plain reads: on MySQL, writers racing at the limit
// may each see room and take the namespace a few keys past it. SQLite
// serialises writers, so there the limit is exact.
func (s *Store) KVSet(ctx context.Context, p store.KVSetParams) error {
	if fe := core.ValidateKVKey(p.Key); fe != nil {
		return fe
	}
	switch {
	case len(p.Value) > core.MaxKVValueBytes:
		return &core.FieldError{Field: "value", Message: fmt.Sprintf("is %d bytes; the limit is %d: store large data elsewhere and keep a reference here", len(p.Value), core.MaxKVValueBytes)}
	case p.TTL < 0:
		return &core.FieldError{Field: "ttl", Message: fmt.Sprintf("%s is negative: use 0 for no expiry or a positive duration", p.TTL)}
	case p.MaxKeys < 0:
		return &core.FieldError{Field: "max_keys", Message: fmt.Sprintf("%d is negative: use 0 for no limit", p.MaxKeys)}
	}
	now := s.now()
	var expires sql.NullInt64
	if p.TTL > 0 {
		// Round up, so that a TTL below a millisecond still outlives the write.
		ttl := (p.TTL + time.Millisecond - 1) / time.Millisecond
		expires = sql.NullInt64{Int64: ms(now) + int64(ttl), Valid: true}
	}
	value := p.Value
	if value == nil {
		value = []byte{} // the column is NOT NULL; drivers send a nil slice as NULL
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var namespaces, keys, same int64
		var err error
		if p.MaxKeys > 0 {
			err = tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM namespaces WHERE name = ?),
				(SELECT COUNT(*) FROM kv WHERE namespace = ? AND `+live+`),
				(SELECT COUNT(*) FROM kv WHERE namespace = ? AND k = ? AND `+live+`)`,
				p.Namespace, p.Namespace, ms(now), p.Namespace, p.Key, ms(now)).Scan(&namespaces, &keys, &same)
		} else {
			err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM namespaces WHERE name = ?`, p.Namespace).Scan(&namespaces)
		}
		if err != nil {
			return err
		}
		if namespaces == 0 && !strings.HasPrefix(p.Namespace, store.SystemNamespacePrefix) {
			return fmt.Errorf("namespace %q %w (create it first)", p.Namespace, store.ErrNotFound)
		}
		if p.MaxKeys > 0 && same == 0 && keys >= int64(p.MaxKeys) {
			return fmt.Errorf("namespace %q holds %d keys and its limit is %d: %w (delete keys, let them expire or raise the limit)", p.Namespace, keys, p.MaxKeys, store.ErrQuotaExceeded)
		}
		onDuplicate := s.d.InsertUpdateDuplicates([]string{"namespace", "k"}, "v", "expires_at", "updated_at")
		if p.IfAbsent {
			// A live pair stays; an expired one is replaced.
			if _, err := tx.ExecContext(ctx, `DELETE FROM kv WHERE namespace = ? AND k = ? AND NOT `+live, p.Namespace, p.Key, ms(now)); err != nil {
				return err
			}
			onDuplicate = s.d.InsertIgnoreDuplicates("k")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO kv (namespace, k, v, expires_at, updated_at) VALUES (?, ?, ?, ?, ?) `+onDuplicate,
			p.Namespace, p.Key, value, expires, ms(now))
		return err
	})
	if err != nil {
		return s.wrap(fmt.Sprintf("set key %q", p.Key), err)
	}
	return nil
}

// KVDelete implements store.Store.
func (s *Store) KVDelete(ctx context.Context, namespace, key string) error {
	if fe := core.ValidateKVKey(key); fe != nil {
		return fe
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM kv WHERE namespace = ? AND k = ?`, namespace, key); err != nil {
		return s.wrap(fmt.Sprintf("delete key %q", key), err)
	}
	return nil
}

// KVDeleteExpired implements store.Store.
func (s *Store) KVDeleteExpired(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM kv WHERE expires_at <= ?`, ms(before))
	if err != nil {
		return 0, s.wrap("delete expired keys", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap("delete expired keys", err)
	}
	return n, nil
}
