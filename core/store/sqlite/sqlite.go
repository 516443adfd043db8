// Package sqlite is the embedded store.Store driver: one SQLite file in the
// data dir, opened with modernc.org/sqlite (pure Go, no cgo) in WAL mode.
// It serves the single-node mode; clusters use package mysql.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config configures Open.
type Config struct {
	// Path is the database file. Required.
	Path string
	// Logger receives migration progress. Defaults to slog.Default().
	Logger *slog.Logger
}

// Store is the SQLite store.Store.
type Store struct {
	*sqlstore.Store
}

// Open opens (creating if needed) the database at cfg.Path, applies pending
// migrations and makes sure the default namespace exists.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlite store: no database path given")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// WAL lets readers run beside the writer; busy_timeout makes a writer
	// wait for the lock rather than fail; _txlock=immediate takes the write
	// lock at BEGIN so that two transactions never deadlock upgrading it.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + cfg.Path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: open %s: %w", cfg.Path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store: open %s: %w", cfg.Path, err)
	}
	if err := migrate(ctx, db, logger); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store: migrate %s: %w", cfg.Path, err)
	}
	s := &Store{Store: sqlstore.New(db, dialect{})}
	if err := s.EnsureDefaultNamespace(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return s, nil
}

func migrate(ctx context.Context, db *sql.DB, logger *slog.Logger) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub,
		goose.WithTableName("kronos_schema_migrations"),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return err
	}
	for _, r := range results {
		logger.InfoContext(ctx, "applied migration", "driver", "sqlite", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

type dialect struct{}

func (dialect) Name() string { return "sqlite" }

func (dialect) IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func (dialect) InsertIgnoreDuplicates(string) string { return "ON CONFLICT DO NOTHING" }

// InsertReturning: an INSERT … ON CONFLICT DO NOTHING RETURNING id names
// the rows it inserted, so a claim needs no second query to learn them;
// an UPDATE … RETURNING epoch gives an acquisition its new epoch.
func (dialect) InsertReturning() bool { return true }

func (dialect) InsertUpdateDuplicates(keyColumns []string, updateColumns ...string) string {
	set := make([]string, len(updateColumns))
	for i, c := range updateColumns {
		set[i] = c + " = excluded." + c
	}
	return "ON CONFLICT (" + strings.Join(keyColumns, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// MaxValueBytes is SQLite's default SQLITE_MAX_LENGTH, the largest string
// or BLOB, less room for the rest of the row.
func (dialect) MaxValueBytes() int64 { return 1_000_000_000 - 1<<20 }

var _ store.Store = (*Store)(nil)
