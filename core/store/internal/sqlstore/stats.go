package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// ExecutionStats implements store.Store with three reads of the window's
// range of the (namespace, scheduled_at) index: counts per bucket and
// status, counts and durations per task and status, and the lags of the
// latest scheduled fires. Buckets are computed with % (MOD), which both
// SQLite and MySQL read the same way on integers.
func (s *Store) ExecutionStats(ctx context.Context, p store.ExecutionStatsParams) (store.ExecutionStats, error) {
	var out store.ExecutionStats
	from, to := p.From.UnixMilli(), p.To.UnixMilli()
	bucket := p.Bucket.Milliseconds()
	if bucket <= 0 || to <= from {
		return out, s.wrap("sum up executions", &core.FieldError{Field: "window", Message: "needs from before to and a bucket of at least 1ms"})
	}
	buckets := map[int64]*store.StatsBucket{}
	err := s.query(ctx, `SELECT (scheduled_at - ?) - ((scheduled_at - ?) % ?) AS b, status, COUNT(*) FROM executions
		WHERE namespace = ? AND scheduled_at >= ? AND scheduled_at < ? GROUP BY b, status`,
		[]any{from, from, bucket, p.Namespace, from, to}, func(rows *sql.Rows) error {
			var off int64
			var status core.ExecutionStatus
			var n int
			if err := rows.Scan(&off, &status, &n); err != nil {
				return err
			}
			b := buckets[off]
			if b == nil {
				b = &store.StatsBucket{Start: time.UnixMilli(from + off).UTC(), ByStatus: map[core.ExecutionStatus]int{}}
				buckets[off] = b
			}
			b.ByStatus[status] += n
			return nil
		})
	if err != nil {
		return out, s.wrap("sum up executions per interval", err)
	}
	for off := int64(0); from+off < to; off += bucket {
		if b := buckets[off]; b != nil {
			out.Buckets = append(out.Buckets, *b)
		} else {
			out.Buckets = append(out.Buckets, store.StatsBucket{Start: time.UnixMilli(from + off).UTC(), ByStatus: map[core.ExecutionStatus]int{}})
		}
	}

	tasks := map[string]*store.TaskStats{}
	var order []string
	err = s.query(ctx, `SELECT task_id, MAX(task_name), status, COUNT(*),
			COALESCE(SUM(CASE WHEN started_at IS NOT NULL AND finished_at IS NOT NULL THEN finished_at - started_at END), 0),
			COALESCE(MAX(CASE WHEN started_at IS NOT NULL AND finished_at IS NOT NULL THEN finished_at - started_at END), 0),
			SUM(CASE WHEN started_at IS NOT NULL AND finished_at IS NOT NULL THEN 1 ELSE 0 END)
		FROM executions WHERE namespace = ? AND scheduled_at >= ? AND scheduled_at < ? GROUP BY task_id, status`,
		[]any{p.Namespace, from, to}, func(rows *sql.Rows) error {
			var id, name string
			var status core.ExecutionStatus
			var n, timed int
			var sum, longest int64
			if err := rows.Scan(&id, &name, &status, &n, &sum, &longest, &timed); err != nil {
				return err
			}
			ts := tasks[id]
			if ts == nil {
				ts = &store.TaskStats{TaskID: id, TaskName: name, ByStatus: map[core.ExecutionStatus]int{}}
				tasks[id] = ts
				order = append(order, id)
			}
			ts.ByStatus[status] += n
			ts.Timed += timed
			ts.Duration += time.Duration(sum) * time.Millisecond
			ts.Longest = max(ts.Longest, time.Duration(longest)*time.Millisecond)
			return nil
		})
	if err != nil {
		return out, s.wrap("sum up executions per task", err)
	}
	for _, id := range order {
		out.Tasks = append(out.Tasks, *tasks[id])
	}

	sample := p.LagSample
	if sample <= 0 {
		sample = store.DefaultLagSample
	}
	err = s.query(ctx, `SELECT started_at - scheduled_at FROM executions
		WHERE namespace = ? AND scheduled_at >= ? AND scheduled_at < ? AND trigger_kind = ? AND started_at IS NOT NULL
		ORDER BY scheduled_at DESC LIMIT ?`,
		[]any{p.Namespace, from, to, core.TriggerSchedule, sample}, func(rows *sql.Rows) error {
			var lag int64
			if err := rows.Scan(&lag); err != nil {
				return err
			}
			out.Lags = append(out.Lags, time.Duration(lag)*time.Millisecond)
			return nil
		})
	if err != nil {
		return out, s.wrap("read fire lags", err)
	}
	return out, nil
}

// query runs a query and hands each row to scan.
func (s *Store) query(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("read a row: %w", err)
		}
	}
	return rows.Err()
}
