// Package mysql is the store.Store driver for clusters: MySQL 8 or MariaDB
// 10.6 and newer, through github.com/go-sql-driver/mysql. Every node of a
// cluster opens the same database; migrations run under a named lock so
// that nodes starting together apply them once.
//
// # Plugin size and max_allowed_packet
//
// A plugin's Wasm bytes travel in one statement and come back in one row,
// so the server's max_allowed_packet bounds them, although the LONGBLOB
// column would hold 4 GiB. The default is 16 MiB on MariaDB 10.6–11 and
// 64 MiB on MySQL 8. The store reads the value when it opens and refuses a
// plugin larger than it less 1 MiB (for the other columns) with a field
// error on "size", before sending anything. To store bigger plugins, raise
// it on the server, e.g. max_allowed_packet = 256M in the [mysqld] section
// of my.cnf (or SET GLOBAL max_allowed_packet = 268435456, which lasts to
// the next restart), then restart the Kronos nodes so that they read the
// new value. MySQL (not MariaDB 10.11, where a 15 MiB plugin fits beside
// a 96 MiB redo log) also refuses BLOB data beyond 10% of the redo log
// (error 1118; innodb_redo_log_capacity, 100 MiB by default in 8.0.30+),
// so there keep the redo log above ten times the largest plugin.
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"

	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// packetSlack is what a statement or row needs besides its largest value:
// the other columns of a plugin (its config schema may take 256 KiB) and
// the protocol's framing.
const packetSlack = 1 << 20

// migrationLock names the MySQL user lock (GET_LOCK) held while migrating.
const migrationLock = "kronos_schema_migrations"

// Config configures Open.
type Config struct {
	// URL is mysql://user:password@host:port/database?param=value. The
	// params are go-sql-driver/mysql DSN params (e.g. tls=true). Required.
	URL string
	// Logger receives migration progress. Defaults to slog.Default().
	Logger *slog.Logger
	// IdleSessionTimeout, when set, has the server close a session that
	// sends nothing for that long, rounded up to whole seconds (the
	// session's wait_timeout, unless the URL sets one), inside a
	// transaction or not: the transaction rolls back and its row locks
	// are released. Cluster mode sets it to the lease TTL, so that a node
	// paused in the middle of a claim (SIGSTOP, a frozen VM) cannot keep
	// its partitions' rows locked from the nodes that take them over.
	// Migrations run on connections without it (a long ALTER leaves the
	// connection holding the migration lock idle). The pool closes its
	// own connections idle for half of it, before the server does.
	IdleSessionTimeout time.Duration
	// Connector, when set, wraps each driver connector the store opens (its main
	// pool and its batch pool): a hook for instrumentation, such as counting
	// statements in a benchmark.
	Connector func(driver.Connector) driver.Connector
}

// Store is the MySQL store.Store.
type Store struct {
	*sqlstore.Store
	batch *batchExecer
}

// Close releases both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.batch.Close(), s.Store.Close())
}

// ParseURL turns a mysql:// URL into a driver config.
func ParseURL(raw string) (*mysql.Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "mysql" || u.Host == "" {
		return nil, fmt.Errorf("mysql store: %q is not a MySQL URL: use mysql://user:password@host:3306/database", Redact(raw))
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return nil, fmt.Errorf("mysql store: URL %q names no database: add it as the path, e.g. mysql://user:password@%s/kronos", Redact(raw), u.Host)
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = u.Host + ":3306"
	}
	cfg.DBName = db
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	for k, vs := range u.Query() {
		if len(vs) == 0 {
			continue
		}
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		switch k {
		case "tls":
			cfg.TLSConfig = vs[0]
		case "timeout":
			d, err := time.ParseDuration(vs[0])
			if err != nil {
				return nil, fmt.Errorf("mysql store: URL param timeout=%q: %w", vs[0], err)
			}
			cfg.Timeout = d
		default:
			cfg.Params[k] = vs[0]
		}
	}
	// Kronos relies on these: rows affected counts matched rows (so an
	// update that changes nothing still proves the row was there), full
	// Unicode, and UTC session time.
	cfg.ClientFoundRows = true
	cfg.Collation = "utf8mb4_bin"
	cfg.Loc = time.UTC
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return cfg, nil
}

// Redact returns the URL with its password replaced by "xxxxx", for logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Open connects to the database named in cfg.URL, applies pending
// migrations and makes sure the default namespace exists.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	maxOpen, rawURL, err := poolSize(cfg.URL)
	if err != nil {
		return nil, err
	}
	cfg.URL = rawURL
	mc, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	mc.Logger = driverLogger{logger}
	if err := migrateURL(ctx, mc, cfg.URL, logger); err != nil {
		return nil, err
	}
	idleClose := time.Duration(0)
	if _, set := mc.Params["wait_timeout"]; cfg.IdleSessionTimeout > 0 && !set {
		secs := int((cfg.IdleSessionTimeout + time.Second - 1) / time.Second)
		if mc.Params == nil {
			mc.Params = map[string]string{}
		}
		mc.Params["wait_timeout"] = strconv.Itoa(secs)
		idleClose = time.Duration(secs) * time.Second / 2
	}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("mysql store: %w", err)
	}
	if cfg.Connector != nil {
		conn = cfg.Connector(conn)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(max(1, maxOpen/2))
	db.SetConnMaxLifetime(30 * time.Minute)
	if idleClose > 0 {
		db.SetConnMaxIdleTime(idleClose)
	}
	var maxPacket int64
	if err := db.QueryRowContext(ctx, `SELECT @@max_allowed_packet`).Scan(&maxPacket); err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql store: read max_allowed_packet from %s: %w", Redact(cfg.URL), err)
	}
	batch, err := newBatchExecer(mc, cfg.Connector)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql store: %w", err)
	}
	if idleClose > 0 {
		batch.db.SetConnMaxIdleTime(idleClose)
	}
	s := &Store{Store: sqlstore.New(db, dialect{maxPacket: maxPacket}), batch: batch}
	s.SetBatchExecer(batch)
	if err := s.EnsureDefaultNamespace(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("mysql store: %w", err)
	}
	return s, nil
}

// migrateURL connects with mc, as Open's first step, and applies the
// pending migrations over a pool of its own, closed when they are done.
func migrateURL(ctx context.Context, mc *mysql.Config, rawURL string, logger *slog.Logger) error {
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return fmt.Errorf("mysql store: %w", err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(4)
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("mysql store: connect to %s: %w", Redact(rawURL), err)
	}
	if err := migrate(ctx, db, logger); err != nil {
		return fmt.Errorf("mysql store: migrate %s: %w", Redact(rawURL), err)
	}
	return nil
}

// migrate applies migrations while holding a MySQL user lock on a dedicated
// connection, so that concurrent nodes migrate one at a time.
func migrate(ctx context.Context, db *sql.DB, logger *slog.Logger) error {
	lockConn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer lockConn.Close()
	var got sql.NullInt64
	if err := lockConn.QueryRowContext(ctx, `SELECT GET_LOCK(?, 60)`, migrationLock).Scan(&got); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return errors.New("take migration lock: another node held it for 60s; is a migration stuck?")
	}
	defer func() {
		_, _ = lockConn.ExecContext(context.WithoutCancel(ctx), `SELECT RELEASE_LOCK(?)`, migrationLock)
	}()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectMySQL, db, sub,
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
		logger.InfoContext(ctx, "applied migration", "driver", "mysql", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// driverLogger sends what go-sql-driver/mysql logs (a connection the
// server closed, a malformed packet) to the store's logger, not stderr.
type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) { l.log.Warn("mysql driver: " + fmt.Sprint(v...)) }

type dialect struct {
	// maxPacket is the server's max_allowed_packet when the store opened.
	maxPacket int64
}

func (dialect) Name() string { return "mysql" }

// IsUniqueViolation recognises ER_DUP_ENTRY (1062).
func (dialect) IsUniqueViolation(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

// InsertIgnoreDuplicates skips rows whose key is taken. Unlike INSERT IGNORE
// it turns no other error into a warning.
func (dialect) InsertIgnoreDuplicates(keyColumn string) string {
	return "ON DUPLICATE KEY UPDATE " + keyColumn + " = " + keyColumn
}

// InsertUpdateDuplicates upserts with VALUES(col), which MariaDB and MySQL
// 8 both read (MySQL 8.0.20+ deprecates it in favour of a row alias that
// MariaDB lacks). MySQL reacts to any unique key, so keyColumns is unused:
// the tables it serves have one.
func (dialect) InsertUpdateDuplicates(_ []string, updateColumns ...string) string {
	set := make([]string, len(updateColumns))
	for i, c := range updateColumns {
		set[i] = c + " = VALUES(" + c + ")"
	}
	return "ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
}

// MaxValueBytes is the server's max_allowed_packet, read at Open, less
// room for the rest of the row: the server refuses a bigger statement (error
// 1153, or a reset connection) and cannot send back a bigger row.
func (d dialect) MaxValueBytes() int64 { return d.maxPacket - packetSlack }

var _ store.Store = (*Store)(nil)

// DefaultMaxOpenConns bounds the store's connections unless the URL's
// max_open_conns param says otherwise (the batch pool adds a few).
const DefaultMaxOpenConns = 32

// poolSize takes Kronos's own max_open_conns param out of a store URL (the
// driver would send it to the server as a variable) and returns it.
func poolSize(raw string) (int, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return DefaultMaxOpenConns, raw, nil //nolint:nilerr // ParseURL reports a malformed URL, with the fix
	}
	q := u.Query()
	v := q.Get("max_open_conns")
	if v == "" {
		return DefaultMaxOpenConns, raw, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, "", fmt.Errorf("mysql store: URL param max_open_conns=%q: want a whole number of connections, at least 1 (default %d)", v, DefaultMaxOpenConns)
	}
	q.Del("max_open_conns")
	u.RawQuery = q.Encode()
	return n, u.String(), nil
}
