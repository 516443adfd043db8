package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// pluginColumns are the metadata columns; wasm is read only by
// PluginGetWasm.
const pluginColumns = `namespace, name, version, sha256, size, uploader, description, config_schema, created_at, updated_at`

// inUseNames is how many task names an ErrInUse message lists.
const inUseNames = 3

func scanPlugin(row interface{ Scan(...any) error }, extra ...any) (core.Plugin, error) {
	var p core.Plugin
	var schema string
	var created, updated int64
	dest := append([]any{
		&p.Namespace, &p.Name, &p.Version, &p.SHA256, &p.Size, &p.Uploader, &p.Description,
		&schema, &created, &updated,
	}, extra...)
	if err := row.Scan(dest...); err != nil {
		return p, err
	}
	if schema != "" {
		p.ConfigSchema = json.RawMessage(schema)
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return p, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// PluginPut implements store.Store.
func (s *Store) PluginPut(ctx context.Context, p core.Plugin, wasm []byte) (core.Plugin, error) {
	if err := p.Validate(); err != nil {
		return core.Plugin{}, err
	}
	if int64(len(wasm)) != p.Size {
		return core.Plugin{}, &core.FieldError{Field: "size", Message: fmt.Sprintf("is %d but the Wasm bytes are %d long: the upload was cut short or the size is wrong; upload again", p.Size, len(wasm))}
	}
	if sum := sha256Hex(wasm); sum != p.SHA256 {
		return core.Plugin{}, &core.FieldError{Field: "sha256", Message: fmt.Sprintf("is %s but the Wasm bytes hash to %s: the upload was corrupted or the digest is of another file; upload again", p.SHA256, sum)}
	}
	if limit := s.d.MaxValueBytes(); p.Size > limit {
		return core.Plugin{}, &core.FieldError{Field: "size", Message: fmt.Sprintf("is %d bytes but the %s database takes at most %d bytes in one value: upload a smaller plugin, or raise the server's limit (see the %s store's package doc)", p.Size, s.d.Name(), limit, s.d.Name())}
	}
	now := s.now()
	var out core.Plugin
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM namespaces WHERE name = ?`, p.Namespace).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("namespace %q %w (create it first)", p.Namespace, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO plugins (`+pluginColumns+`, wasm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) `+
			s.d.InsertUpdateDuplicates([]string{"namespace", "name"}, "version", "sha256", "size", "uploader", "description", "config_schema", "updated_at", "wasm"),
			p.Namespace, p.Name, p.Version, p.SHA256, p.Size, p.Uploader, p.Description, string(p.ConfigSchema), ms(now), ms(now), wasm)
		if err != nil {
			return err
		}
		// Read back for created_at, which a replace keeps.
		out, err = scanPlugin(tx.QueryRowContext(ctx, `SELECT `+pluginColumns+` FROM plugins WHERE namespace = ? AND name = ?`, p.Namespace, p.Name))
		return err
	})
	if err != nil {
		return core.Plugin{}, s.wrap(fmt.Sprintf("put plugin %q", p.Name), err)
	}
	return out, nil
}

// PluginGet implements store.Store.
func (s *Store) PluginGet(ctx context.Context, namespace, name string) (core.Plugin, error) {
	p, err := scanPlugin(s.db.QueryRowContext(ctx, `SELECT `+pluginColumns+` FROM plugins WHERE namespace = ? AND name = ?`, namespace, name))
	if errors.Is(err, sql.ErrNoRows) {
		return p, s.wrap("get plugin", fmt.Errorf("plugin %q in namespace %q %w", name, namespace, store.ErrNotFound))
	}
	if err != nil {
		return p, s.wrap(fmt.Sprintf("get plugin %q", name), err)
	}
	return p, nil
}

// PluginGetWasm implements store.Store.
func (s *Store) PluginGetWasm(ctx context.Context, namespace, name string) (core.Plugin, []byte, error) {
	var wasm []byte
	p, err := scanPlugin(s.db.QueryRowContext(ctx, `SELECT `+pluginColumns+`, wasm FROM plugins WHERE namespace = ? AND name = ?`, namespace, name), &wasm)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil, s.wrap("get plugin", fmt.Errorf("plugin %q in namespace %q %w", name, namespace, store.ErrNotFound))
	}
	if err != nil {
		return p, nil, s.wrap(fmt.Sprintf("get plugin %q", name), err)
	}
	if sum := sha256Hex(wasm); int64(len(wasm)) != p.Size || sum != p.SHA256 {
		return p, nil, s.wrap(fmt.Sprintf("get plugin %q", name), fmt.Errorf("stored Wasm bytes (%d, SHA-256 %s) do not match the plugin's size %d and SHA-256 %s: the database copy is damaged; upload the plugin again", len(wasm), sum, p.Size, p.SHA256))
	}
	return p, wasm, nil
}

// PluginList implements store.Store.
func (s *Store) PluginList(ctx context.Context, namespace string) ([]core.Plugin, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+pluginColumns+` FROM plugins WHERE namespace = ? ORDER BY name`, namespace)
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("list plugins of namespace %q", namespace), err)
	}
	defer rows.Close()
	var out []core.Plugin
	for rows.Next() {
		p, err := scanPlugin(rows)
		if err != nil {
			return nil, s.wrap(fmt.Sprintf("list plugins of namespace %q", namespace), err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Sprintf("list plugins of namespace %q", namespace), err)
	}
	return out, nil
}

// PluginDelete implements store.Store. The check for tasks that use the
// plugin is part of the DELETE, never a read before it. TaskCreate does
// not check the other way (executors may be built in), so a task may still
// name a plugin that is gone.
func (s *Store) PluginDelete(ctx context.Context, namespace, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM plugins WHERE namespace = ? AND name = ?
		AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.namespace = ? AND tasks.executor = ?)`,
		namespace, name, namespace, name)
	if err != nil {
		return s.wrap(fmt.Sprintf("delete plugin %q", name), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap(fmt.Sprintf("delete plugin %q", name), err)
	}
	if n == 1 {
		return nil
	}
	if _, err := s.PluginGet(ctx, namespace, name); err != nil {
		return err
	}
	// Only for the message: which tasks hold it.
	users, total, err := s.pluginUsers(ctx, namespace, name)
	if err != nil {
		return s.wrap(fmt.Sprintf("delete plugin %q", name), err)
	}
	if total > inUseNames {
		users = append(users, "…")
	}
	return s.wrap("delete plugin", fmt.Errorf("plugin %q in namespace %q is the executor of %s (%s): %w (delete those tasks or change their executor first)",
		name, namespace, count(total, "task"), strings.Join(users, ", "), store.ErrInUse))
}

// pluginUsers returns the first few tasks whose executor is the plugin,
// and how many there are.
func (s *Store) pluginUsers(ctx context.Context, namespace, name string) (names []string, total int64, err error) {
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks WHERE namespace = ? AND executor = ?`, namespace, name).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM tasks WHERE namespace = ? AND executor = ? ORDER BY name LIMIT ?`, namespace, name, inUseNames)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, 0, err
		}
		names = append(names, fmt.Sprintf("%q", n))
	}
	return names, total, rows.Err()
}
