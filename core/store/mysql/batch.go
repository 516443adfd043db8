package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// batchStatements is how many statements one round trip carries.
const batchStatements = 250

// batchExecer sends many statements per round trip over a pool of its own,
// whose connections allow multi-statement text and interpolate arguments
// on the client (a server-side prepared statement holds one statement).
// The main pool keeps server-side prepared statements and single
// statements. Recording a second's worth of results is then a handful of
// round trips instead of one per execution, which is what bounds MySQL's
// fire rate otherwise (see `kronos bench`).
type batchExecer struct {
	db *sql.DB
}

// newBatchExecer opens the batch pool; wrap, if not nil, wraps its
// connector (Config.Connector).
func newBatchExecer(mc *mysql.Config, wrap func(driver.Connector) driver.Connector) (*batchExecer, error) {
	bc := mc.Clone()
	bc.MultiStatements = true
	bc.InterpolateParams = true
	conn, err := mysql.NewConnector(bc)
	if err != nil {
		return nil, err
	}
	if wrap != nil {
		conn = wrap(conn)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	return &batchExecer{db: db}, nil
}

// ExecBatch implements sqlstore.BatchExecer: the statements run in one
// transaction, batchStatements per round trip.
func (b *batchExecer) ExecBatch(ctx context.Context, stmts []string, args [][]any) ([]int64, error) {
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	affected := make([]int64, 0, len(stmts))
	err = conn.Raw(func(dc any) error {
		ex, ok := dc.(driver.ExecerContext)
		if !ok {
			return errors.New("the MySQL driver's connection cannot execute statements directly")
		}
		if _, err := ex.ExecContext(ctx, "START TRANSACTION", nil); err != nil {
			return err
		}
		for start := 0; start < len(stmts); start += batchStatements {
			end := min(start+batchStatements, len(stmts))
			var q strings.Builder
			var named []driver.NamedValue
			for i := start; i < end; i++ {
				if i > start {
					q.WriteString(";\n")
				}
				q.WriteString(stmts[i])
				for _, a := range args[i] {
					named = append(named, driver.NamedValue{Ordinal: len(named) + 1, Value: a})
				}
			}
			res, err := ex.ExecContext(ctx, q.String(), named)
			if err != nil {
				rollback(ctx, ex)
				return err
			}
			all, ok := res.(mysql.Result)
			if !ok {
				rollback(ctx, ex)
				return errors.New("the MySQL driver did not report rows affected per statement")
			}
			n := all.AllRowsAffected()
			if len(n) != end-start {
				rollback(ctx, ex)
				return fmt.Errorf("%d statements sent, %d results back", end-start, len(n))
			}
			affected = append(affected, n...)
		}
		if _, err := ex.ExecContext(ctx, "COMMIT", nil); err != nil {
			rollback(ctx, ex)
			return err
		}
		return nil
	})
	if err != nil {
		// The connection may hold a half-read multi-statement result:
		// do not hand it back to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return nil, err
	}
	return affected, nil
}

func rollback(ctx context.Context, ex driver.ExecerContext) {
	_, _ = ex.ExecContext(context.WithoutCancel(ctx), "ROLLBACK", nil)
}

func (b *batchExecer) Close() error { return b.db.Close() }
