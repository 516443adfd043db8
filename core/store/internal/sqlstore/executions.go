package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// claimChunk is how many executions one INSERT statement carries: 17
// parameters a row keeps a statement well under SQLite's 32,766 limit.
const claimChunk = 500

const executionColumns = `id, namespace, task_id, task_name, scheduled_at, manual, trigger_kind, attempt, first_execution_id, node, status, reason, fencing_token, created_at, started_at, finished_at, output, error`

func scanExecution(row interface{ Scan(...any) error }) (core.Execution, error) {
	var e core.Execution
	var scheduled, created int64
	var manual bool
	var started, finished sql.NullInt64
	if err := row.Scan(&e.ID, &e.Namespace, &e.TaskID, &e.TaskName, &scheduled, &manual, &e.Trigger, &e.Attempt,
		&e.FirstExecutionID, &e.Node, &e.Status, &e.Reason, &e.FencingToken, &created, &started, &finished,
		&e.Output, &e.Error); err != nil {
		return e, err
	}
	e.ScheduledAt, e.CreatedAt = fromMS(scheduled), fromMS(created)
	e.StartedAt, e.FinishedAt = fromNullMS(started), fromNullMS(finished)
	return e, nil
}

func validateClaim(e *core.Execution) error {
	switch {
	case e.Namespace == "" || e.TaskID == "" || e.TaskName == "":
		return &core.FieldError{Field: "execution", Message: "namespace, task_id and task_name are required"}
	case e.ScheduledAt.IsZero():
		return &core.FieldError{Field: "scheduled_at", Message: "is required"}
	case !e.Trigger.Valid():
		return &core.FieldError{Field: "trigger", Message: fmt.Sprintf("%q is not a trigger kind: use schedule, catch_up or manual", e.Trigger)}
	case e.Attempt < 1:
		return &core.FieldError{Field: "attempt", Message: fmt.Sprintf("%d is out of range: attempts count from 1", e.Attempt)}
	case !e.Status.Valid():
		return &core.FieldError{Field: "status", Message: fmt.Sprintf("%q is not an execution status", e.Status)}
	}
	return nil
}

// ExecutionClaim implements store.Store.
func (s *Store) ExecutionClaim(ctx context.Context, execs []core.Execution) ([]core.Execution, error) {
	return s.claim(ctx, nil, execs)
}

// ExecutionClaimFenced implements store.Store.
func (s *Store) ExecutionClaimFenced(ctx context.Context, fences []store.Fence, execs []core.Execution) ([]core.Execution, error) {
	fences, err := sortedFences(fences)
	if err != nil {
		return nil, err
	}
	return s.claim(ctx, fences, execs)
}

// claim inserts the executions whose key is free, in one transaction that
// first checks the fences (sorted by partition, so that concurrent claims
// lock partitions in one order), if any.
func (s *Store) claim(ctx context.Context, fences []store.Fence, execs []core.Execution) ([]core.Execution, error) {
	if len(execs) == 0 {
		return nil, nil
	}
	now := s.now()
	prepared := make([]core.Execution, len(execs))
	for i, e := range execs {
		if e.Status == "" {
			e.Status = core.StatusPending
		}
		if err := validateClaim(&e); err != nil {
			return nil, err
		}
		if e.ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, s.wrap("claim executions", err)
			}
			e.ID = id.String()
		}
		e.ScheduledAt = e.ScheduledAt.UTC().Truncate(time.Millisecond)
		e.CreatedAt = now
		e.StartedAt, e.FinishedAt = truncMS(e.StartedAt), truncMS(e.FinishedAt)
		prepared[i] = e
	}
	inserted := make(map[string]bool, len(prepared))
	var opts *sql.TxOptions
	if len(fences) > 0 {
		opts = fenceTxOptions
	}
	err := s.inTxWith(ctx, opts, func(tx *sql.Tx) error {
		if len(fences) > 0 {
			if err := checkFences(ctx, tx, fences); err != nil {
				return err
			}
		}
		for start := 0; start < len(prepared); start += claimChunk {
			chunk := prepared[start:min(start+claimChunk, len(prepared))]
			var q strings.Builder
			q.WriteString(`INSERT INTO executions (` + executionColumns + `) VALUES `)
			args := make([]any, 0, 18*len(chunk))
			for i, e := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, e.ID, e.Namespace, e.TaskID, e.TaskName, ms(e.ScheduledAt), !e.Trigger.Scheduled(),
					string(e.Trigger), e.Attempt, e.FirstExecutionID, e.Node, string(e.Status), e.Reason, e.FencingToken,
					ms(e.CreatedAt), nullMS(e.StartedAt), nullMS(e.FinishedAt), e.Output, e.Error)
			}
			q.WriteString(" " + s.d.InsertIgnoreDuplicates("id"))
			if r, ok := s.d.(returningDialect); ok && r.InsertReturning() {
				// One statement: the rows it inserted name themselves.
				q.WriteString(" RETURNING id")
				found, err := queryIDs(ctx, tx, q.String(), args...)
				if err != nil {
					return err
				}
				for _, id := range found {
					inserted[id.(string)] = true
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
			// Which rows went in? Those whose ID is ours; a row skipped for
			// its key kept the ID of whoever claimed it first.
			ids := make([]any, len(chunk))
			for i, e := range chunk {
				ids[i] = e.ID
			}
			found, err := queryIDs(ctx, tx, `SELECT id FROM executions WHERE id IN (`+placeholders(len(ids))+`)`, ids...)
			if err != nil {
				return err
			}
			for _, id := range found {
				inserted[id.(string)] = true
			}
		}
		return nil
	})
	if errors.Is(err, errStaleFence) {
		err = s.fencedError(ctx, fences)
	}
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("claim %d executions", len(execs)), err)
	}
	out := make([]core.Execution, 0, len(inserted))
	for _, e := range prepared {
		if inserted[e.ID] {
			out = append(out, e)
		}
	}
	return out, nil
}

// queryIDs runs a query that selects one string column and returns the
// values as query arguments, ready for an IN list.
func queryIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]any, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// ExecutionGet implements store.Store.
func (s *Store) ExecutionGet(ctx context.Context, id string) (core.Execution, error) {
	e, err := scanExecution(s.db.QueryRowContext(ctx, `SELECT `+executionColumns+` FROM executions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, s.wrap("get execution", fmt.Errorf("execution %q %w", id, store.ErrNotFound))
	}
	if err != nil {
		return e, s.wrap(fmt.Sprintf("get execution %q", id), err)
	}
	return e, nil
}

// ExecutionList implements store.Store.
func (s *Store) ExecutionList(ctx context.Context, p store.ExecutionListParams) (store.ExecutionPage, error) {
	limit := store.PageLimit(p.Limit)
	where := []string{"namespace = ?"}
	args := []any{p.Namespace}
	if p.TaskID != "" {
		where = append(where, "task_id = ?")
		args = append(args, p.TaskID)
	}
	if len(p.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(p.Statuses))+")")
		for _, st := range p.Statuses {
			args = append(args, string(st))
		}
	}
	if !p.From.IsZero() {
		where = append(where, "scheduled_at >= ?")
		args = append(args, ms(p.From))
	}
	if !p.To.IsZero() {
		where = append(where, "scheduled_at < ?")
		args = append(args, ms(p.To))
	}
	if p.Cursor != "" {
		sched, id, err := decodeExecCursor(p.Cursor)
		if err != nil {
			return store.ExecutionPage{}, err
		}
		where = append(where, "(scheduled_at < ? OR (scheduled_at = ? AND id < ?))")
		args = append(args, sched, sched, id)
	}
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+executionColumns+` FROM executions WHERE `+strings.Join(where, " AND ")+
		` ORDER BY scheduled_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return store.ExecutionPage{}, s.wrap("list executions", err)
	}
	defer rows.Close()
	var page store.ExecutionPage
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return store.ExecutionPage{}, s.wrap("list executions", err)
		}
		page.Executions = append(page.Executions, e)
	}
	if err := rows.Err(); err != nil {
		return store.ExecutionPage{}, s.wrap("list executions", err)
	}
	if len(page.Executions) > limit {
		page.Executions = page.Executions[:limit]
		last := page.Executions[limit-1]
		page.NextCursor = encodeCursor(strconv.FormatInt(ms(last.ScheduledAt), 10), last.ID)
	}
	return page, nil
}

// executionUpdateSQL builds the conditional UPDATE of p.
func executionUpdateSQL(p *store.ExecutionUpdateParams) (string, []any, error) {
	if !p.Status.Valid() {
		return "", nil, &core.FieldError{Field: "status", Message: fmt.Sprintf("%q is not an execution status", p.Status)}
	}
	if len(p.From) == 0 {
		return "", nil, &core.FieldError{Field: "from", Message: "name the statuses the execution may be in"}
	}
	set := []string{"status = ?"}
	args := []any{string(p.Status)}
	if p.Node != "" {
		set = append(set, "node = ?")
		args = append(args, p.Node)
	}
	if !p.StartedAt.IsZero() {
		set = append(set, "started_at = ?")
		args = append(args, ms(p.StartedAt))
	}
	if !p.FinishedAt.IsZero() {
		set = append(set, "finished_at = ?")
		args = append(args, ms(p.FinishedAt))
	}
	if p.Output != "" {
		set = append(set, "output = ?")
		args = append(args, p.Output)
	}
	if p.Error != "" {
		set = append(set, "error = ?")
		args = append(args, p.Error)
	}
	if p.Reason != "" {
		set = append(set, "reason = ?")
		args = append(args, p.Reason)
	}
	args = append(args, p.ID)
	for _, st := range p.From {
		args = append(args, string(st))
	}
	return `UPDATE executions SET ` + strings.Join(set, ", ") + ` WHERE id = ? AND status IN (` + placeholders(len(p.From)) + `)`, args, nil
}

// ExecutionUpdate implements store.Store.
func (s *Store) ExecutionUpdate(ctx context.Context, p store.ExecutionUpdateParams) (core.Execution, error) {
	q, args, err := executionUpdateSQL(&p)
	if err != nil {
		return core.Execution{}, err
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return core.Execution{}, s.wrap(fmt.Sprintf("update execution %q", p.ID), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return core.Execution{}, s.wrap(fmt.Sprintf("update execution %q", p.ID), err)
	}
	cur, err := s.ExecutionGet(ctx, p.ID)
	if err != nil {
		return core.Execution{}, err
	}
	// Drivers count matched rows (MySQL: clientFoundRows), so 0 means the
	// status was not one of p.From.
	if n == 0 {
		return cur, s.wrap("update execution", fmt.Errorf("execution %s is %s, not %s: %w", p.ID, cur.Status, joinStatuses(p.From), store.ErrConflict))
	}
	return cur, nil
}

// ExecutionUpdateMany implements store.Store.
func (s *Store) ExecutionUpdateMany(ctx context.Context, ps []store.ExecutionUpdateParams) ([]error, error) {
	results := make([]error, len(ps))
	stmts := make([]string, len(ps))
	argss := make([][]any, len(ps))
	for i := range ps {
		q, args, err := executionUpdateSQL(&ps[i])
		if err != nil {
			results[i] = err
			continue
		}
		stmts[i], argss[i] = q, args
	}
	if s.batch != nil {
		var idx []int
		var qs []string
		var as [][]any
		for i := range ps {
			if stmts[i] != "" {
				idx, qs, as = append(idx, i), append(qs, stmts[i]), append(as, argss[i])
			}
		}
		if len(qs) == 0 {
			return results, nil
		}
		affected, err := s.batch.ExecBatch(ctx, qs, as)
		if err != nil {
			return nil, s.wrap(fmt.Sprintf("update %d executions", len(ps)), err)
		}
		for j, i := range idx {
			if affected[j] == 0 {
				results[i] = fmt.Errorf("execution %s is gone or not %s: %w", ps[i].ID, joinStatuses(ps[i].From), store.ErrConflict)
			}
		}
		return results, nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range ps {
			if stmts[i] == "" {
				continue
			}
			res, err := tx.ExecContext(ctx, stmts[i], argss[i]...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				results[i] = fmt.Errorf("execution %s is gone or not %s: %w", ps[i].ID, joinStatuses(ps[i].From), store.ErrConflict)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("update %d executions", len(ps)), err)
	}
	return results, nil
}

func joinStatuses(ss []core.ExecutionStatus) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

// finalStatuses are the statuses retention may delete.
var finalStatuses = []any{
	string(core.StatusSucceeded), string(core.StatusFailed), string(core.StatusTimedOut),
	string(core.StatusCanceled), string(core.StatusSkipped), string(core.StatusInterrupted),
}

// ExecutionDeleteBefore implements store.Store.
func (s *Store) ExecutionDeleteBefore(ctx context.Context, p store.ExecutionDeleteBeforeParams) (int64, error) {
	if p.Before.IsZero() {
		return 0, &core.FieldError{Field: "before", Message: "is required"}
	}
	batch := p.BatchSize
	if batch <= 0 {
		batch = 500
	}
	var total int64
	for {
		where := `finished_at < ? AND status IN (` + placeholders(len(finalStatuses)) + `)`
		args := append([]any{ms(p.Before)}, finalStatuses...)
		if p.Namespace != "" {
			where += ` AND namespace = ?`
			args = append(args, p.Namespace)
		}
		args = append(args, batch)
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			ids, err := queryIDs(ctx, tx, `SELECT id FROM executions WHERE `+where+` ORDER BY finished_at LIMIT ?`, args...)
			if err != nil {
				return err
			}
			n, err = deleteExecutions(ctx, tx, ids)
			return err
		})
		if err != nil {
			return total, s.wrap("delete old executions", err)
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}

// deleteExecutions deletes the executions with the IDs and their log lines,
// and returns how many executions it deleted.
func deleteExecutions(ctx context.Context, tx *sql.Tx, ids []any) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM execution_logs WHERE execution_id IN (`+placeholders(len(ids))+`)`, ids...); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM executions WHERE id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ExecutionTrim implements store.Store.
//
// The boundary is the Keep-th newest execution of the task, whatever its
// status: the (task_id, scheduled_at, id) index answers that alone, without
// reading rows, which matters because retention asks it of every task on
// every pass. The final executions older than the boundary are then deleted
// oldest first, BatchSize to a transaction. Executions claimed after the
// boundary was read are newer than it, so they are never at risk.
func (s *Store) ExecutionTrim(ctx context.Context, p store.ExecutionTrimParams) (int64, error) {
	switch {
	case p.TaskID == "":
		return 0, &core.FieldError{Field: "task_id", Message: "is required"}
	case p.Keep < 1:
		return 0, &core.FieldError{Field: "keep", Message: fmt.Sprintf("%d is out of range: keep at least 1 execution (to delete by age, use ExecutionDeleteBefore)", p.Keep)}
	}
	batch := p.BatchSize
	if batch <= 0 {
		batch = 500
	}
	op := fmt.Sprintf("trim executions of task %q to %d", p.TaskID, p.Keep)
	var edgeSched int64
	var edgeID string
	err := s.db.QueryRowContext(ctx, `SELECT scheduled_at, id FROM executions WHERE task_id = ? ORDER BY scheduled_at DESC, id DESC LIMIT 1 OFFSET ?`,
		p.TaskID, p.Keep-1).Scan(&edgeSched, &edgeID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // Keep or fewer executions
	}
	if err != nil {
		return 0, s.wrap(op, err)
	}
	args := append([]any{p.TaskID, edgeSched, edgeSched, edgeID}, finalStatuses...)
	args = append(args, batch)
	var total int64
	for {
		var selected int
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			ids, err := queryIDs(ctx, tx, `SELECT id FROM executions WHERE task_id = ? AND (scheduled_at < ? OR (scheduled_at = ? AND id < ?)) AND status IN (`+
				placeholders(len(finalStatuses))+`) ORDER BY scheduled_at, id LIMIT ?`, args...)
			if err != nil {
				return err
			}
			selected = len(ids)
			n, err = deleteExecutions(ctx, tx, ids)
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

// logChunk is how many log lines one INSERT statement carries.
const logChunk = 500

// LogAppend implements store.Store.
func (s *Store) LogAppend(ctx context.Context, lines []core.LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(lines); start += logChunk {
			chunk := lines[start:min(start+logChunk, len(lines))]
			var q strings.Builder
			q.WriteString(`INSERT INTO execution_logs (execution_id, seq, ts, level, message) VALUES `)
			args := make([]any, 0, 5*len(chunk))
			for i, l := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?, ?)")
				args = append(args, l.ExecutionID, l.Seq, ms(l.Time), l.Level, core.CleanLogLine(l.Message))
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				if s.d.IsUniqueViolation(err) {
					return fmt.Errorf("log line sequence number already stored: %w", store.ErrAlreadyExists)
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.wrap(fmt.Sprintf("append %d log lines", len(lines)), err)
	}
	return nil
}

// LogList implements store.Store.
func (s *Store) LogList(ctx context.Context, p store.LogListParams) ([]core.LogLine, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT execution_id, seq, ts, level, message FROM execution_logs WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		p.ExecutionID, p.AfterSeq, store.PageLimit(p.Limit))
	if err != nil {
		return nil, s.wrap("list log lines", err)
	}
	defer rows.Close()
	var out []core.LogLine
	for rows.Next() {
		var l core.LogLine
		var ts int64
		if err := rows.Scan(&l.ExecutionID, &l.Seq, &ts, &l.Level, &l.Message); err != nil {
			return nil, s.wrap("list log lines", err)
		}
		l.Time = fromMS(ts)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list log lines", err)
	}
	return out, nil
}

var _ store.Store = (*Store)(nil)

// returningDialect is a Dialect whose INSERT that skips duplicates, and
// whose UPDATE, can return the rows they wrote (SQLite's RETURNING; MySQL
// has none, and MariaDB none on UPDATE).
type returningDialect interface {
	InsertReturning() bool
}

// lastScheduledChunk is how many task IDs one ExecutionLastScheduled
// query asks about.
const lastScheduledChunk = 500

// ExecutionLastScheduled implements store.Store. Each chunk is one GROUP BY
// over the fence key's prefix (task_id, manual, scheduled_at), so it reads
// the index, not the rows.
func (s *Store) ExecutionLastScheduled(ctx context.Context, taskIDs []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(taskIDs))
	for start := 0; start < len(taskIDs); start += lastScheduledChunk {
		chunk := taskIDs[start:min(start+lastScheduledChunk, len(taskIDs))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if err := s.lastScheduled(ctx, args, out); err != nil {
			return nil, s.wrap("read the last scheduled instants", err)
		}
	}
	return out, nil
}

// lastScheduled reads one chunk of ExecutionLastScheduled into out.
func (s *Store) lastScheduled(ctx context.Context, taskIDs []any, out map[string]time.Time) error {
	rows, err := s.db.QueryContext(ctx, `SELECT task_id, MAX(scheduled_at) FROM executions
		WHERE task_id IN (`+placeholders(len(taskIDs))+`) AND manual = ? GROUP BY task_id`, append(taskIDs, false)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return err
		}
		out[id] = time.UnixMilli(at).UTC()
	}
	return rows.Err()
}

// latestChunk is how many task IDs one ExecutionLatest statement asks
// about (two subqueries each).
const latestChunk = 100

// latestColumns are the columns ExecutionLatest returns: an execution
// without its output.
const latestColumns = `id, namespace, task_id, task_name, scheduled_at, manual, trigger_kind, attempt, first_execution_id, node, status, reason, fencing_token, created_at, started_at, finished_at, '' AS output, error`

// ExecutionLatest implements store.Store. Each task costs two subqueries,
// scheduled and manual runs, each a backward walk of the fence key
// (task_id, manual, scheduled_at) that stops at the first row not
// pending, so it reads a handful of rows however many the task has; a
// chunk of tasks is one statement.
func (s *Store) ExecutionLatest(ctx context.Context, taskIDs []string) (map[string]core.Execution, error) {
	out := make(map[string]core.Execution, len(taskIDs))
	for start := 0; start < len(taskIDs); start += latestChunk {
		chunk := taskIDs[start:min(start+latestChunk, len(taskIDs))]
		var q strings.Builder
		args := make([]any, 0, 6*len(chunk))
		n := 0
		for _, id := range chunk {
			for _, manual := range []bool{false, true} {
				n++
				if q.Len() > 0 {
					q.WriteString(" UNION ALL ")
				}
				fmt.Fprintf(&q, `SELECT * FROM (SELECT `+latestColumns+` FROM executions
					WHERE task_id = ? AND manual = ? AND status <> ? ORDER BY scheduled_at DESC, attempt DESC LIMIT 1) AS l%d`, n)
				args = append(args, id, manual, core.StatusPending)
			}
		}
		if err := s.latest(ctx, q.String(), args, out); err != nil {
			return nil, s.wrap("read the latest executions of tasks", err)
		}
	}
	return out, nil
}

func (s *Store) latest(ctx context.Context, query string, args []any, out map[string]core.Execution) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scanExecution(rows)
		if err != nil {
			return err
		}
		if prev, ok := out[x.TaskID]; !ok || x.ScheduledAt.After(prev.ScheduledAt) {
			out[x.TaskID] = x
		}
	}
	return rows.Err()
}
