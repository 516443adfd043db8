package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

const auditColumns = `id, at, namespace, actor, action, kind, target, remote, status, before_json, after_json`

// AuditAppend implements store.Store.
//
// The database assigns the ID (AUTOINCREMENT in SQLite, AUTO_INCREMENT in
// MySQL), so IDs increase in the order events are stored and are never
// reused, even after AuditTrim empties the table.
func (s *Store) AuditAppend(ctx context.Context, e core.AuditEvent) (core.AuditEvent, error) {
	if err := e.Validate(); err != nil {
		return core.AuditEvent{}, err
	}
	if e.At.IsZero() {
		e.At = s.now()
	} else {
		e.At = truncMS(e.At)
	}
	op := fmt.Sprintf("append audit event %q", e.Action)
	res, err := s.db.ExecContext(ctx, `INSERT INTO audit_events (at, namespace, actor, action, kind, target, remote, status, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ms(e.At), e.Namespace, e.Actor, e.Action, e.Kind, e.Target, e.Remote, e.Status, nullJSON(e.Before), nullJSON(e.After))
	if err != nil {
		return core.AuditEvent{}, s.wrap(op, err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return core.AuditEvent{}, s.wrap(op, err)
	}
	return e, nil
}

// nullJSON stores empty JSON as NULL.
func nullJSON(b []byte) sql.NullString {
	if len(b) == 0 {
		return sql.NullString{}
	}
	return sql.NullString{String: string(b), Valid: true}
}

func scanAudit(row interface{ Scan(...any) error }) (core.AuditEvent, error) {
	var e core.AuditEvent
	var at int64
	var before, after sql.NullString
	if err := row.Scan(&e.ID, &at, &e.Namespace, &e.Actor, &e.Action, &e.Kind, &e.Target, &e.Remote, &e.Status, &before, &after); err != nil {
		return e, err
	}
	e.At = fromMS(at)
	if before.Valid && before.String != "" {
		e.Before = []byte(before.String)
	}
	if after.Valid && after.String != "" {
		e.After = []byte(after.String)
	}
	return e, nil
}

// AuditList implements store.Store.
func (s *Store) AuditList(ctx context.Context, f store.AuditFilter) ([]core.AuditEvent, error) {
	if f.Namespaces != nil && len(f.Namespaces) == 0 {
		return nil, nil
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = store.DefaultAuditLimit
	case limit > store.MaxPageSize:
		limit = store.MaxPageSize
	}
	var where []string
	var args []any
	if len(f.Namespaces) > 0 {
		where = append(where, "namespace IN ("+placeholders(len(f.Namespaces))+")")
		for _, ns := range f.Namespaces {
			args = append(args, ns)
		}
	}
	for _, c := range []struct{ column, value string }{
		{"actor", f.Actor}, {"action", f.Action}, {"kind", f.Kind}, {"target", f.Target},
	} {
		if c.value != "" {
			where = append(where, c.column+" = ?")
			args = append(args, c.value)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < ?")
		args = append(args, ms(f.Until))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("list audit events", err)
	}
	defer rows.Close()
	var out []core.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, s.wrap("list audit events", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list audit events", err)
	}
	return out, nil
}

// AuditTrim implements store.Store.
//
// Each batch reads the IDs of the oldest events through the (at) index and
// deletes them by primary key, in one transaction, as ExecutionTrim does:
// MySQL takes no LIMIT inside IN (…), and SQLite no LIMIT on DELETE.
func (s *Store) AuditTrim(ctx context.Context, before time.Time, batch int) (int64, error) {
	if before.IsZero() {
		return 0, &core.FieldError{Field: "before", Message: "is required: the instant before which audit events are deleted"}
	}
	if batch <= 0 {
		batch = 500
	}
	op := "trim audit events before " + before.UTC().Format(time.RFC3339)
	var total int64
	for {
		var selected int
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			ids, err := queryInt64s(ctx, tx, `SELECT id FROM audit_events WHERE at < ? ORDER BY at, id LIMIT ?`, ms(before), batch)
			if err != nil || len(ids) == 0 {
				return err
			}
			selected = len(ids)
			res, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE id IN (`+placeholders(len(ids))+`)`, ids...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, s.wrap(op, err)
		}
		total += n
		if selected < batch {
			return total, nil
		}
	}
}

// queryInt64s runs a query that selects one integer column and returns the
// values as query arguments, ready for an IN list.
func queryInt64s(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]any, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
