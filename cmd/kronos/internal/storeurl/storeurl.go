package storeurl

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Driver names.
const (
	// SQLite is the embedded, single-node driver.
	SQLite = "sqlite"
	// MySQL is the cluster driver (MySQL 8 or MariaDB ≥ 10.6).
	MySQL = "mysql"
)

// EmbeddedFile is the SQLite file inside the data dir used when no store is
// given.
const EmbeddedFile = "kronos.db"

// Forms lists the accepted forms, for error messages.
const Forms = `sqlite:///abs/path.db, sqlite://rel/path.db, mysql://user:pass@host:3306/db?params, ` +
	`or empty for SQLite in the data dir`

// dbNameChars are the characters allowed in a MySQL database name here.
const dbNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$-"

// Target is a parsed store URL.
type Target struct {
	// Driver is [SQLite] or [MySQL].
	Driver string
	// Path is the SQLite file (absolute); empty for MySQL.
	Path string
	// URL is the MySQL URL as given, password included; empty for SQLite.
	// Never log it: log [Target.String].
	URL string
	// Embedded reports whether the store is the default SQLite file in the
	// data dir.
	Embedded bool
	// IdleSessionTimeout is passed to a MySQL store (see
	// mysql.Config.IdleSessionTimeout); cluster mode sets it.
	IdleSessionTimeout time.Duration

	redacted string
}

// String returns the store for logs: the SQLite path, or the MySQL URL with
// its password replaced by "xxxxx".
func (t Target) String() string { return t.redacted }

// Parse parses raw, the --store value. An empty raw means SQLite at
// <dataDir>/kronos.db. Errors never include a password.
func Parse(raw, dataDir string) (Target, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		p, err := filepath.Abs(filepath.Join(dataDir, EmbeddedFile))
		if err != nil {
			return Target{}, fmt.Errorf("resolve the embedded store's path: %w", err)
		}
		return Target{Driver: SQLite, Path: p, Embedded: true, redacted: "sqlite://" + p}, nil
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		if strings.Contains(raw, "@tcp(") || strings.Contains(raw, "@unix(") {
			return Target{}, fmt.Errorf("%q looks like a Go MySQL DSN; write it as a URL: mysql://user:pass@host:3306/db?params", Redact(raw))
		}
		return Target{}, fmt.Errorf("%q is not a store URL; use %s", Redact(raw), Forms)
	}
	switch strings.ToLower(scheme) {
	case SQLite:
		return parseSQLite(rest)
	case MySQL:
		return parseMySQL(raw)
	case "mariadb":
		return Target{}, fmt.Errorf("scheme %q: MariaDB speaks the MySQL protocol, write mysql://…", scheme)
	default:
		return Target{}, fmt.Errorf("unsupported scheme %q in %q; use %s", scheme, Redact(raw), Forms)
	}
}

func parseSQLite(rest string) (Target, error) {
	if rest == "" {
		return Target{}, fmt.Errorf("sqlite:// names no file; use %s", Forms)
	}
	if strings.ContainsAny(rest, "?#") {
		return Target{}, fmt.Errorf("sqlite://%s: SQLite store URLs take no parameters; write only the file's path", rest)
	}
	// sqlite:///abs/path.db leaves "/abs/path.db"; sqlite://rel/path.db
	// leaves "rel/path.db", relative to the working directory.
	p, err := filepath.Abs(rest)
	if err != nil {
		return Target{}, fmt.Errorf("resolve sqlite path %q: %w", rest, err)
	}
	if strings.HasSuffix(rest, "/") {
		return Target{}, fmt.Errorf("sqlite://%s names a directory; name the database file, e.g. sqlite://%skronos.db", rest, rest)
	}
	return Target{Driver: SQLite, Path: p, redacted: "sqlite://" + p}, nil
}

func parseMySQL(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("%q is not a valid MySQL URL: %w", Redact(raw), redactURLError(err))
	}
	red := Redact(raw)
	db := strings.Trim(u.Path, "/")
	const example = "mysql://user:pass@host:3306/kronos"
	switch {
	case u.Host == "":
		return Target{}, fmt.Errorf("%q names no host; write it as %s", red, example)
	case u.User == nil || u.User.Username() == "":
		return Target{}, fmt.Errorf("%q names no user; write it as %s", red, example)
	case db == "":
		return Target{}, fmt.Errorf("%q names no database; write it as %s", red, example)
	case strings.Trim(db, dbNameChars) != "":
		return Target{}, fmt.Errorf("%q: the database name may use only letters, digits, '_', '$' and '-'; write it as %s", red, example)
	case u.Fragment != "":
		return Target{}, fmt.Errorf("%q has a #fragment; put options in ?params", red)
	}
	return Target{Driver: MySQL, URL: raw, redacted: u.Redacted()}, nil
}

// Redact hides what may be a password in a URL-like string that did not
// pass validation: everything between the scheme (or the start) and the last
// '@' becomes "xxxxx", so "mysql://u:pw@h/db" reads "mysql://xxxxx@h/db".
// Valid URLs are logged with [url.URL.Redacted], which keeps the user name.
func Redact(s string) string {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return s[:start] + "xxxxx" + s[at:]
}

// redactURLError removes the URL that url.Parse puts in its errors.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// scrub replaces any copy of rawURL's password in err's text, in case a
// driver quotes its input.
func scrub(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		return err
	}
	pass, ok := u.User.Password()
	if !ok || pass == "" {
		return err
	}
	// The password as decoded, as written in the URL, and escaped again;
	// hex escapes in either case.
	forms := []string{pass, url.QueryEscape(pass), url.PathEscape(pass)}
	if rest, ok := strings.CutPrefix(rawURL, u.Scheme+"://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, written, ok := strings.Cut(rest[:at], ":"); ok {
				forms = append(forms, written)
			}
		}
	}
	msg := err.Error()
	for _, f := range forms {
		msg = regexp.MustCompile("(?i)"+regexp.QuoteMeta(f)).ReplaceAllLiteralString(msg, "xxxxx")
	}
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// scrubbedError is err with a password cut from its text; errors.Is and
// errors.As still see err.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
