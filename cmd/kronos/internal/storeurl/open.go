package storeurl

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/mysql"
	"github.com/shiyu-coder/kronos/core/store/sqlite"
)

// Open opens the store t names; the driver applies its migrations. Errors
// come from the driver, with any copy of the password cut out.
func Open(ctx context.Context, t Target, logger *slog.Logger) (store.Store, error) {
	switch t.Driver {
	case SQLite:
		dir := filepath.Dir(t.Path)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("open sqlite store %s: directory %s does not exist; create it or choose another --store path", t.Path, dir)
		}
		s, err := sqlite.Open(ctx, sqlite.Config{Path: t.Path, Logger: logger})
		if err != nil {
			return nil, err // The driver names the store and the step.
		}
		return s, nil
	case MySQL:
		s, err := mysql.Open(ctx, mysql.Config{URL: t.URL, Logger: logger, IdleSessionTimeout: t.IdleSessionTimeout})
		if err != nil {
			return nil, scrub(err, t.URL) // The driver names the store (redacted) and the step.
		}
		return s, nil
	default:
		return nil, fmt.Errorf("open store: unknown driver %q", t.Driver)
	}
}
