package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// Dialect is what differs between the SQL databases Kronos supports.
type Dialect interface {
	// Name is the driver name reported by store.Store.Driver.
	Name() string
	// IsUniqueViolation reports whether err is a duplicate-key error.
	IsUniqueViolation(err error) bool
	// InsertIgnoreDuplicates is the clause appended to an INSERT so that
	// rows whose unique key is taken are skipped without error (and
	// without hiding any other error, as MySQL's INSERT IGNORE would).
	// keyColumn is any column of the table (MySQL needs one to name).
	InsertIgnoreDuplicates(keyColumn string) string
	// InsertUpdateDuplicates is the clause appended to an INSERT so that a
	// row whose key (keyColumns, the table's only unique key) is taken
	// updates that row's updateColumns to the values the INSERT carried
	// instead: an upsert.
	InsertUpdateDuplicates(keyColumns []string, updateColumns ...string) string
	// MaxValueBytes is the largest single value (a plugin's Wasm bytes)
	// that a statement can carry to the database and a row can bring back,
	// so that a bigger one is refused with a clear error before it is sent.
	MaxValueBytes() int64
}

// BatchExecer runs many statements in one transaction with few round
// trips, and returns each statement's rows affected (matched, for MySQL's
// clientFoundRows). A driver whose database takes several statements per
// round trip sets one with SetBatchExecer; the store then records a batch
// of execution updates in a handful of round trips instead of one each.
type BatchExecer interface {
	ExecBatch(ctx context.Context, stmts []string, args [][]any) ([]int64, error)
}

// Store implements store.Store over database/sql.
type Store struct {
	db    *sql.DB
	d     Dialect
	batch BatchExecer
	// Now is the clock used for created/updated times.
	Now func() time.Time
}

// New returns a Store over an open, migrated database.
func New(db *sql.DB, d Dialect) *Store {
	return &Store{db: db, d: d, Now: time.Now}
}

// SetNow replaces the clock, so that a test can move time (key-value
// expiry). Call it before the store is shared between goroutines.
func (s *Store) SetNow(now func() time.Time) { s.Now = now }

// SetBatchExecer makes ExecutionUpdateMany use b. Call it before the store
// is shared between goroutines.
func (s *Store) SetBatchExecer(b BatchExecer) { s.batch = b }

// DB returns the underlying database.
func (s *Store) DB() *sql.DB { return s.db }

// Driver implements store.Store.
func (s *Store) Driver() string { return s.d.Name() }

// ServerTime returns the database server's clock. SQLite runs inside
// this process, so its clock is this process's.
func (s *Store) ServerTime(ctx context.Context) (time.Time, error) {
	if s.d.Name() != "mysql" {
		return time.Now(), nil //nolint:forbidigo // the database's clock is this one
	}
	var us int64
	if err := s.db.QueryRowContext(ctx, "SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)").Scan(&us); err != nil {
		return time.Time{}, fmt.Errorf("%s store: read the server's clock: %w", s.d.Name(), err)
	}
	return time.UnixMicro(us), nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("%s store: ping: %w", s.d.Name(), err)
	}
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("%s store: ping: %w", s.d.Name(), err)
	}
	return nil
}

// Close implements store.Store.
func (s *Store) Close() error { return s.db.Close() }

// EnsureDefaultNamespace creates the default namespace unless it exists.
func (s *Store) EnsureDefaultNamespace(ctx context.Context) error {
	now := ms(s.now())
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO namespaces (name, description, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?) `+s.d.InsertIgnoreDuplicates("name"),
		core.DefaultNamespace, "The namespace requests use when they name none.", now, now)
	if err != nil {
		return fmt.Errorf("create default namespace: %w", err)
	}
	return nil
}

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// count says "1 task", "2 tasks".
func count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

func (s *Store) wrap(op string, err error) error {
	return fmt.Errorf("%s store: %s: %w", s.d.Name(), op, err)
}

// ---- namespaces ----

// NamespaceCreate implements store.Store.
func (s *Store) NamespaceCreate(ctx context.Context, ns core.Namespace) (core.Namespace, error) {
	if err := ns.Validate(); err != nil {
		return core.Namespace{}, err
	}
	now := s.now()
	ns.Version, ns.CreatedAt, ns.UpdatedAt = 1, now, now
	settings, err := encodeSettings(ns.Settings)
	if err != nil {
		return core.Namespace{}, s.wrap("create namespace", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO namespaces (name, description, settings, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		ns.Name, ns.Description, settings, ns.Version, ms(now), ms(now))
	if s.d.IsUniqueViolation(err) {
		return core.Namespace{}, s.wrap("create namespace", fmt.Errorf("namespace %q %w", ns.Name, store.ErrAlreadyExists))
	}
	if err != nil {
		return core.Namespace{}, s.wrap(fmt.Sprintf("create namespace %q", ns.Name), err)
	}
	return ns, nil
}

const namespaceColumns = `name, description, settings, version, created_at, updated_at`

func scanNamespace(row interface{ Scan(...any) error }) (core.Namespace, error) {
	var ns core.Namespace
	var created, updated int64
	var settings sql.NullString
	if err := row.Scan(&ns.Name, &ns.Description, &settings, &ns.Version, &created, &updated); err != nil {
		return ns, err
	}
	if settings.Valid && settings.String != "" {
		if err := json.Unmarshal([]byte(settings.String), &ns.Settings); err != nil {
			return ns, fmt.Errorf("decode settings of namespace %q: %w", ns.Name, err)
		}
	}
	ns.CreatedAt, ns.UpdatedAt = fromMS(created), fromMS(updated)
	return ns, nil
}

// encodeSettings stores empty settings as NULL.
func encodeSettings(s core.NamespaceSettings) (sql.NullString, error) {
	b, err := json.Marshal(s)
	if err != nil || string(b) == "{}" {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// NamespaceGet implements store.Store.
func (s *Store) NamespaceGet(ctx context.Context, name string) (core.Namespace, error) {
	ns, err := scanNamespace(s.db.QueryRowContext(ctx, `SELECT `+namespaceColumns+` FROM namespaces WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return ns, s.wrap("get namespace", fmt.Errorf("namespace %q %w", name, store.ErrNotFound))
	}
	if err != nil {
		return ns, s.wrap(fmt.Sprintf("get namespace %q", name), err)
	}
	return ns, nil
}

// NamespaceList implements store.Store.
func (s *Store) NamespaceList(ctx context.Context) ([]core.Namespace, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+namespaceColumns+` FROM namespaces ORDER BY name`)
	if err != nil {
		return nil, s.wrap("list namespaces", err)
	}
	defer rows.Close()
	var out []core.Namespace
	for rows.Next() {
		ns, err := scanNamespace(rows)
		if err != nil {
			return nil, s.wrap("list namespaces", err)
		}
		out = append(out, ns)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list namespaces", err)
	}
	return out, nil
}

// NamespaceUpdate implements store.Store.
func (s *Store) NamespaceUpdate(ctx context.Context, ns core.Namespace) (core.Namespace, error) {
	if err := ns.Validate(); err != nil {
		return core.Namespace{}, err
	}
	now := s.now()
	settings, err := encodeSettings(ns.Settings)
	if err != nil {
		return core.Namespace{}, s.wrap("update namespace", err)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE namespaces SET description = ?, settings = ?, version = version + 1, updated_at = ? WHERE name = ? AND version = ?`,
		ns.Description, settings, ms(now), ns.Name, ns.Version)
	if err != nil {
		return core.Namespace{}, s.wrap(fmt.Sprintf("update namespace %q", ns.Name), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return core.Namespace{}, s.wrap(fmt.Sprintf("update namespace %q", ns.Name), err)
	} else if n == 0 {
		cur, err := s.NamespaceGet(ctx, ns.Name)
		if err != nil {
			return core.Namespace{}, err
		}
		return core.Namespace{}, s.wrap("update namespace", fmt.Errorf("namespace %q is at version %d, not %d: %w (read it again and retry)", ns.Name, cur.Version, ns.Version, store.ErrConflict))
	}
	return s.NamespaceGet(ctx, ns.Name)
}

// NamespaceDelete implements store.Store.
func (s *Store) NamespaceDelete(ctx context.Context, name string) error {
	deleted := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM namespaces WHERE name = ?
			AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.namespace = ?)
			AND NOT EXISTS (SELECT 1 FROM plugins WHERE plugins.namespace = ?)`, name, name, name)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		deleted = true
		if _, err = tx.ExecContext(ctx, `DELETE FROM kv WHERE namespace = ?`, name); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM mq_connections WHERE namespace = ?`, name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM secrets WHERE namespace = ?`, name)
		return err
	})
	if err != nil {
		return s.wrap(fmt.Sprintf("delete namespace %q", name), err)
	}
	if deleted {
		return nil
	}
	if _, err := s.NamespaceGet(ctx, name); err != nil {
		return err
	}
	// Only for the message: what is left in it.
	var tasks, plugins int64
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM tasks WHERE namespace = ?), (SELECT COUNT(*) FROM plugins WHERE namespace = ?)`,
		name, name).Scan(&tasks, &plugins); err != nil {
		return s.wrap(fmt.Sprintf("delete namespace %q", name), err)
	}
	held := "tasks or plugins" // both went since the DELETE ran
	switch {
	case tasks > 0 && plugins > 0:
		held = count(tasks, "task") + " and " + count(plugins, "plugin")
	case tasks > 0:
		held = count(tasks, "task")
	case plugins > 0:
		held = count(plugins, "plugin")
	}
	return s.wrap("delete namespace", fmt.Errorf("namespace %q still holds %s: %w (delete them first)", name, held, store.ErrNotEmpty))
}

// ---- tasks ----

const taskColumns = `id, namespace, name, description, labels, schedule, timezone, executor, config, timeout_ms, retry, concurrency, misfire, catch_up_limit, paused, start_at, end_at, version, created_at, updated_at`

func scanTask(row interface{ Scan(...any) error }) (core.Task, error) {
	var t core.Task
	var labels, config, retry string
	var timeoutMS, created, updated int64
	var paused bool
	var startAt, endAt sql.NullInt64
	if err := row.Scan(&t.ID, &t.Namespace, &t.Name, &t.Description, &labels, &t.Schedule, &t.TimeZone,
		&t.Executor, &config, &timeoutMS, &retry, &t.Concurrency, &t.Misfire, &t.CatchUpLimit, &paused,
		&startAt, &endAt, &t.Version, &created, &updated); err != nil {
		return t, err
	}
	if labels != "" && labels != "{}" {
		if err := json.Unmarshal([]byte(labels), &t.Labels); err != nil {
			return t, fmt.Errorf("decode labels of task %q: %w", t.Name, err)
		}
	}
	var r storedRetry
	if err := json.Unmarshal([]byte(retry), &r); err != nil {
		return t, fmt.Errorf("decode retry policy of task %q: %w", t.Name, err)
	}
	t.Retry = core.RetryPolicy{
		MaxAttempts:    r.MaxAttempts,
		InitialBackoff: time.Duration(r.InitialBackoffMS) * time.Millisecond,
		MaxBackoff:     time.Duration(r.MaxBackoffMS) * time.Millisecond,
		Multiplier:     r.Multiplier,
		Jitter:         r.Jitter,
	}
	t.Config = json.RawMessage(config)
	t.Timeout = time.Duration(timeoutMS) * time.Millisecond
	t.Paused = paused
	t.StartAt, t.EndAt = fromNullMS(startAt), fromNullMS(endAt)
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return t, nil
}

// storedRetry is the JSON shape of a retry policy in the tasks table, kept
// apart from core.RetryPolicy so that the stored format never changes by
// accident.
type storedRetry struct {
	MaxAttempts      int     `json:"max_attempts"`
	InitialBackoffMS int64   `json:"initial_backoff_ms"`
	MaxBackoffMS     int64   `json:"max_backoff_ms"`
	Multiplier       float64 `json:"multiplier"`
	Jitter           float64 `json:"jitter"`
}

func encodeTask(t *core.Task) (labels, retry string, err error) {
	lb, err := json.Marshal(t.Labels)
	if err != nil {
		return "", "", err
	}
	if t.Labels == nil {
		lb = []byte("{}")
	}
	rb, err := json.Marshal(storedRetry{
		MaxAttempts:      t.Retry.MaxAttempts,
		InitialBackoffMS: t.Retry.InitialBackoff.Milliseconds(),
		MaxBackoffMS:     t.Retry.MaxBackoff.Milliseconds(),
		Multiplier:       t.Retry.Multiplier,
		Jitter:           t.Retry.Jitter,
	})
	return string(lb), string(rb), err
}

// TaskCreate implements store.Store.
func (s *Store) TaskCreate(ctx context.Context, t core.Task) (core.Task, error) {
	t.Normalize()
	if err := t.Validate(); err != nil {
		return core.Task{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return core.Task{}, s.wrap("create task", err)
	}
	now := s.now()
	t.ID, t.Version, t.CreatedAt, t.UpdatedAt = id.String(), 1, now, now
	t.Timeout = t.Timeout.Truncate(time.Millisecond)
	t.Retry.InitialBackoff = t.Retry.InitialBackoff.Truncate(time.Millisecond)
	t.Retry.MaxBackoff = t.Retry.MaxBackoff.Truncate(time.Millisecond)
	t.StartAt, t.EndAt = truncMS(t.StartAt), truncMS(t.EndAt)
	labels, retry, err := encodeTask(&t)
	if err != nil {
		return core.Task{}, s.wrap("create task", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM namespaces WHERE name = ?`, t.Namespace).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("namespace %q %w (create it first)", t.Namespace, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Namespace, t.Name, t.Description, labels, t.Schedule, t.TimeZone, t.Executor, string(t.Config),
			t.Timeout.Milliseconds(), retry, string(t.Concurrency), string(t.Misfire), t.CatchUpLimit, t.Paused,
			nullMS(t.StartAt), nullMS(t.EndAt), t.Version, ms(now), ms(now))
		if s.d.IsUniqueViolation(err) {
			return fmt.Errorf("task %q in namespace %q %w (choose another name or update it)", t.Name, t.Namespace, store.ErrAlreadyExists)
		}
		if err != nil {
			return err
		}
		return insertLabels(ctx, tx, &t)
	})
	if err != nil {
		return core.Task{}, s.wrap(fmt.Sprintf("create task %q", t.Name), err)
	}
	return t, nil
}

func truncMS(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Millisecond)
}

func insertLabels(ctx context.Context, tx *sql.Tx, t *core.Task) error {
	if len(t.Labels) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO task_labels (task_id, namespace, label_key, label_value) VALUES `)
	args := make([]any, 0, 4*len(t.Labels))
	i := 0
	for k, v := range t.Labels {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?)")
		args = append(args, t.ID, t.Namespace, k, v)
		i++
	}
	_, err := tx.ExecContext(ctx, q.String(), args...)
	return err
}

// TaskGetByName implements store.Store.
func (s *Store) TaskGetByName(ctx context.Context, namespace, name string) (core.Task, error) {
	t, err := scanTask(s.db.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE namespace = ? AND name = ?`, namespace, name))
	if errors.Is(err, sql.ErrNoRows) {
		return t, s.wrap("get task", fmt.Errorf("task %q in namespace %q %w", name, namespace, store.ErrNotFound))
	}
	if err != nil {
		return t, s.wrap(fmt.Sprintf("get task %q", name), err)
	}
	return t, nil
}

// TaskGetByID implements store.Store.
func (s *Store) TaskGetByID(ctx context.Context, id string) (core.Task, error) {
	t, err := scanTask(s.db.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, s.wrap("get task", fmt.Errorf("task with id %q %w", id, store.ErrNotFound))
	}
	if err != nil {
		return t, s.wrap(fmt.Sprintf("get task %q", id), err)
	}
	return t, nil
}

// likeEscape escapes LIKE wildcards with '!' (not backslash, whose meaning
// in string literals differs between MySQL modes).
func likeEscape(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}

// TaskList implements store.Store.
func (s *Store) TaskList(ctx context.Context, p store.TaskListParams) (store.TaskPage, error) {
	limit := store.PageLimit(p.Limit)
	var where []string
	var args []any
	where = append(where, "t.namespace = ?")
	args = append(args, p.Namespace)
	if p.Cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil {
			return store.TaskPage{}, &core.FieldError{Field: "cursor", Message: "is not a cursor this server issued: pass next_cursor from the previous page unchanged"}
		}
		where = append(where, "t.name > ?")
		args = append(args, string(after))
	}
	if p.Text != "" {
		pat := "%" + likeEscape(strings.ToLower(p.Text)) + "%"
		where = append(where, `(LOWER(t.name) LIKE ? ESCAPE '!' OR LOWER(t.description) LIKE ? ESCAPE '!')`)
		args = append(args, pat, pat)
	}
	if p.Executor != "" {
		where = append(where, "t.executor = ?")
		args = append(args, p.Executor)
	}
	if p.Paused != nil {
		where = append(where, "t.paused = ?")
		args = append(args, *p.Paused)
	}
	for _, r := range p.Selector {
		switch r.Op {
		case core.OpEquals:
			where = append(where, `EXISTS (SELECT 1 FROM task_labels l WHERE l.task_id = t.id AND l.label_key = ? AND l.label_value = ?)`)
			args = append(args, r.Key, r.Value)
		case core.OpNotEquals:
			where = append(where, `NOT EXISTS (SELECT 1 FROM task_labels l WHERE l.task_id = t.id AND l.label_key = ? AND l.label_value = ?)`)
			args = append(args, r.Key, r.Value)
		case core.OpExists:
			where = append(where, `EXISTS (SELECT 1 FROM task_labels l WHERE l.task_id = t.id AND l.label_key = ?)`)
			args = append(args, r.Key)
		case core.OpNotExists:
			where = append(where, `NOT EXISTS (SELECT 1 FROM task_labels l WHERE l.task_id = t.id AND l.label_key = ?)`)
			args = append(args, r.Key)
		default:
			return store.TaskPage{}, &core.FieldError{Field: "selector", Message: fmt.Sprintf("unknown operator %q", r.Op)}
		}
	}
	cols := "t." + strings.ReplaceAll(taskColumns, ", ", ", t.")
	q := `SELECT ` + cols + ` FROM tasks t WHERE ` + strings.Join(where, " AND ") + ` ORDER BY t.name LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return store.TaskPage{}, s.wrap("list tasks", err)
	}
	defer rows.Close()
	var page store.TaskPage
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return store.TaskPage{}, s.wrap("list tasks", err)
		}
		page.Tasks = append(page.Tasks, t)
	}
	if err := rows.Err(); err != nil {
		return store.TaskPage{}, s.wrap("list tasks", err)
	}
	if len(page.Tasks) > limit {
		page.Tasks = page.Tasks[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Tasks[limit-1].Name))
	}
	return page, nil
}

// TaskUpdate implements store.Store.
func (s *Store) TaskUpdate(ctx context.Context, t core.Task) (core.Task, error) {
	t.Normalize()
	if err := t.Validate(); err != nil {
		return core.Task{}, err
	}
	t.Timeout = t.Timeout.Truncate(time.Millisecond)
	t.Retry.InitialBackoff = t.Retry.InitialBackoff.Truncate(time.Millisecond)
	t.Retry.MaxBackoff = t.Retry.MaxBackoff.Truncate(time.Millisecond)
	t.StartAt, t.EndAt = truncMS(t.StartAt), truncMS(t.EndAt)
	labels, retry, err := encodeTask(&t)
	if err != nil {
		return core.Task{}, s.wrap("update task", err)
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tasks SET name = ?, description = ?, labels = ?, schedule = ?, timezone = ?, executor = ?, config = ?, timeout_ms = ?, retry = ?, concurrency = ?, misfire = ?, catch_up_limit = ?, paused = ?, start_at = ?, end_at = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND namespace = ? AND version = ?`,
			t.Name, t.Description, labels, t.Schedule, t.TimeZone, t.Executor, string(t.Config), t.Timeout.Milliseconds(),
			retry, string(t.Concurrency), string(t.Misfire), t.CatchUpLimit, t.Paused, nullMS(t.StartAt), nullMS(t.EndAt),
			ms(now), t.ID, t.Namespace, t.Version)
		if s.d.IsUniqueViolation(err) {
			return fmt.Errorf("task %q in namespace %q %w (choose another name)", t.Name, t.Namespace, store.ErrAlreadyExists)
		}
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var cur int64
			err := tx.QueryRowContext(ctx, `SELECT version FROM tasks WHERE id = ? AND namespace = ?`, t.ID, t.Namespace).Scan(&cur)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("task %q (id %s) in namespace %q %w", t.Name, t.ID, t.Namespace, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("task %q is at version %d, not %d: %w (read it again and retry)", t.Name, cur, t.Version, store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM task_labels WHERE task_id = ?`, t.ID); err != nil {
			return err
		}
		return insertLabels(ctx, tx, &t)
	})
	if err != nil {
		return core.Task{}, s.wrap(fmt.Sprintf("update task %q", t.Name), err)
	}
	return s.TaskGetByID(ctx, t.ID)
}

// TaskDelete implements store.Store.
func (s *Store) TaskDelete(ctx context.Context, p store.TaskDeleteParams) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT id, version FROM tasks WHERE namespace = ? AND name = ?`, p.Namespace, p.Name).Scan(&id, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("task %q in namespace %q %w", p.Name, p.Namespace, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		q, args := `DELETE FROM tasks WHERE id = ?`, []any{id}
		if p.Version != 0 {
			q += ` AND version = ?`
			args = append(args, p.Version)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("task %q is at version %d, not %d: %w (read it again and retry)", p.Name, version, p.Version, store.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM task_labels WHERE task_id = ?`, id)
		return err
	})
	if err != nil {
		return s.wrap(fmt.Sprintf("delete task %q", p.Name), err)
	}
	return nil
}

// inTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.inTxWith(ctx, nil, fn)
}

// inTxWith is inTx with transaction options (nil for the defaults).
func (s *Store) inTxWith(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
}

func decodeExecCursor(c string) (scheduledMS int64, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		a, b, ok := strings.Cut(string(raw), "|")
		if ok {
			scheduledMS, err = strconv.ParseInt(a, 10, 64)
			if err == nil {
				return scheduledMS, b, nil
			}
		}
	}
	return 0, "", &core.FieldError{Field: "cursor", Message: "is not a cursor this server issued: pass next_cursor from the previous page unchanged"}
}

// NamespaceUsage implements store.Store: four counts, each over an index
// (tasks and plugins by namespace, executions by status and by
// namespace and instant).
func (s *Store) NamespaceUsage(ctx context.Context, namespace string, since time.Time) (store.NamespaceUsage, error) {
	var u store.NamespaceUsage
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM tasks WHERE namespace = ?),
		(SELECT COUNT(*) FROM plugins WHERE namespace = ?),
		(SELECT COUNT(*) FROM executions WHERE status = ? AND namespace = ?),
		(SELECT COUNT(*) FROM executions WHERE namespace = ? AND scheduled_at >= ?)`,
		namespace, namespace, core.StatusRunning, namespace, namespace, since.UnixMilli(),
	).Scan(&u.Tasks, &u.Plugins, &u.Running, &u.ExecutionsSince)
	if err != nil {
		return u, s.wrap(fmt.Sprintf("count the usage of namespace %q", namespace), err)
	}
	return u, nil
}
