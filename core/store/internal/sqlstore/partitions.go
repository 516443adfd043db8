package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// partitionChunk is how many partitions one INSERT of PartitionsInit
// carries.
const partitionChunk = 1000

// maxHolderBytes is the length of partitions.holder in MySQL.
const maxHolderBytes = 255

// PartitionsInit implements store.Store.
//
// The rows are inserted with a plain INSERT, partition 0 first, in one
// transaction: of several nodes initialising at once, the first to insert
// partition 0 makes the others wait on its row lock (SQLite: on the
// database's write lock) and then fail on the duplicate key, after which
// they count the winner's rows. A loser never adds a row of its own, so
// exactly the winner's n rows result.
func (s *Store) PartitionsInit(ctx context.Context, n int) (int, error) {
	if n < 1 || n > store.MaxPartitions {
		return 0, &core.FieldError{Field: "partitions", Message: fmt.Sprintf("%d is out of range: a cluster has 1 to %d partitions (the default is 256)", n, store.MaxPartitions)}
	}
	op := fmt.Sprintf("create %d partitions", n)
	// A winner that rolled back leaves the table empty again; try again
	// then, a few times.
	for range 5 {
		stored, err := s.partitionCount(ctx)
		if err != nil {
			return 0, s.wrap(op, err)
		}
		if stored > 0 {
			return stored, nil
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			for start := 0; start < n; start += partitionChunk {
				end := min(start+partitionChunk, n)
				args := make([]any, 0, end-start)
				for p := start; p < end; p++ {
					args = append(args, p)
				}
				q := `INSERT INTO partitions (part) VALUES ` + strings.TrimSuffix(strings.Repeat("(?), ", end-start), ", ")
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			return n, nil
		}
		if !s.d.IsUniqueViolation(err) {
			return 0, s.wrap(op, err)
		}
		// Another node created them first: count its rows.
	}
	return 0, s.wrap(op, errors.New("the partitions table stayed empty while other nodes kept failing to fill it; try again"))
}

func (s *Store) partitionCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM partitions`).Scan(&n)
	return n, err
}

// PartitionAcquire implements store.Store. SQLite returns the new epoch
// with RETURNING. MySQL has no UPDATE … RETURNING: there the statement
// sets epoch = LAST_INSERT_ID(epoch + 1), which makes the new value the
// statement's insert ID, reported back in the same reply (the server's OK
// packet, sql.Result.LastInsertId) — still one statement, no second query,
// and per connection, so concurrent acquisitions never see each other's.
func (s *Store) PartitionAcquire(ctx context.Context, p int, holder string) (int64, error) {
	if len(holder) > maxHolderBytes || !utf8.ValidString(holder) {
		return 0, &core.FieldError{Field: "holder", Message: fmt.Sprintf("must be valid UTF-8 of at most %d bytes (a node ID)", maxHolderBytes)}
	}
	op := fmt.Sprintf("acquire partition %d", p)
	now := ms(s.now())
	notFound := s.wrap("acquire partition", fmt.Errorf("partition %d %w (the cluster's partitions are numbered from 0; PartitionsInit creates them)", p, store.ErrNotFound))
	if r, ok := s.d.(returningDialect); ok && r.InsertReturning() {
		var epoch int64
		err := s.db.QueryRowContext(ctx, `UPDATE partitions SET epoch = epoch + 1, holder = ?, acquired_at = ? WHERE part = ? RETURNING epoch`,
			holder, now, p).Scan(&epoch)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, notFound
		}
		if err != nil {
			return 0, s.wrap(op, err)
		}
		return epoch, nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE partitions SET epoch = LAST_INSERT_ID(epoch + 1), holder = ?, acquired_at = ? WHERE part = ?`,
		holder, now, p)
	if err != nil {
		return 0, s.wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap(op, err)
	}
	if n == 0 {
		return 0, notFound
	}
	epoch, err := res.LastInsertId()
	if err != nil {
		return 0, s.wrap(op, err)
	}
	if epoch < 1 {
		return 0, s.wrap(op, fmt.Errorf("the database reported epoch %d after the increment; does it support LAST_INSERT_ID(expr)?", epoch))
	}
	return epoch, nil
}

// PartitionList implements store.Store.
func (s *Store) PartitionList(ctx context.Context) ([]store.Partition, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT part, epoch, holder, acquired_at FROM partitions ORDER BY part`)
	if err != nil {
		return nil, s.wrap("list partitions", err)
	}
	defer rows.Close()
	var out []store.Partition
	for rows.Next() {
		var p store.Partition
		var at sql.NullInt64
		if err := rows.Scan(&p.Number, &p.Epoch, &p.Holder, &at); err != nil {
			return nil, s.wrap("list partitions", err)
		}
		p.AcquiredAt = fromNullMS(at)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list partitions", err)
	}
	return out, nil
}

// sortedFences returns the fences by partition, or a field error when a
// partition appears twice.
func sortedFences(fences []store.Fence) ([]store.Fence, error) {
	sorted := slices.Clone(fences)
	slices.SortFunc(sorted, func(a, b store.Fence) int { return cmp.Compare(a.Partition, b.Partition) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Partition == sorted[i-1].Partition {
			return nil, &core.FieldError{Field: "fences", Message: fmt.Sprintf("partition %d is fenced twice (epochs %d and %d): give each partition one fence, its lease's epoch",
				sorted[i].Partition, sorted[i-1].Epoch, sorted[i].Epoch)}
		}
	}
	return sorted, nil
}

// fenceTxOptions are the options of a fenced claim's transaction: READ
// COMMITTED, so that MySQL's fence check keeps the locks of the rows it
// matched only. With many fences the optimizer scans the whole primary key
// rather than looking each partition up, and under REPEATABLE READ InnoDB
// would keep a lock on every row scanned: a claim would block the
// acquisitions and claims of every partition, other nodes' too, until it
// committed. Under READ COMMITTED a row that does not match is unlocked at
// once, and one another transaction holds is judged on its latest
// committed version without waiting (a semi-consistent read); a row that
// matches is locked, or waited for and judged again. The check reads the
// latest committed rows at any isolation level. SQLite ignores the level:
// its one writer at a time is stronger.
var fenceTxOptions = &sql.TxOptions{Isolation: sql.LevelReadCommitted}

// errStaleFence is what checkFences returns inside the claim's
// transaction, to roll it back; the claim then builds the FencedError.
var errStaleFence = errors.New("stale fence")

// checkFences checks, in one statement, that every fence's epoch is its
// partition's current one. The statement is an UPDATE (of a counter) so
// that, on MySQL, it is a locking read of the latest committed rows and
// holds the matched rows' write locks (those only: see fenceTxOptions) to
// the end of the transaction: an acquisition that bumps one of the epochs
// waits until the claim commits or rolls back, and a claim that comes
// after the acquisition's commit sees the new epoch. SQLite's one writer
// at a time gives the same order. Both drivers report matched rows as
// affected (MySQL: clientFoundRows), and every matched row changes anyway.
func checkFences(ctx context.Context, tx *sql.Tx, fences []store.Fence) error {
	var where strings.Builder
	args := make([]any, 0, 2*len(fences))
	for i, f := range fences {
		if i > 0 {
			where.WriteString(" OR ")
		}
		where.WriteString("(part = ? AND epoch = ?)")
		args = append(args, f.Partition, f.Epoch)
	}
	res, err := tx.ExecContext(ctx, `UPDATE partitions SET fence_checks = fence_checks + 1 WHERE `+where.String(), args...)
	if err != nil {
		return fmt.Errorf("check the fences: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("check the fences: %w", err)
	}
	if n != int64(len(fences)) {
		return errStaleFence
	}
	return nil
}

// fencedError reads the fences' partitions after a refused claim, for the
// message only: the claim's transaction is over, and epochs only grow, so
// a fence found stale at the check is stale still.
func (s *Store) fencedError(ctx context.Context, fences []store.Fence) error {
	args := make([]any, len(fences))
	for i, f := range fences {
		args[i] = f.Partition
	}
	fe := &store.FencedError{Current: map[int]int64{}}
	rows, err := s.db.QueryContext(ctx, `SELECT part, epoch FROM partitions WHERE part IN (`+placeholders(len(args))+`)`, args...)
	if err != nil {
		return fmt.Errorf("%w (reading which: %w)", store.ErrFenced, err)
	}
	defer rows.Close()
	current := map[int]int64{}
	for rows.Next() {
		var p int
		var epoch int64
		if err := rows.Scan(&p, &epoch); err != nil {
			return fmt.Errorf("%w (reading which: %w)", store.ErrFenced, err)
		}
		current[p] = epoch
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w (reading which: %w)", store.ErrFenced, err)
	}
	for _, f := range fences {
		cur, ok := current[f.Partition]
		if ok && cur == f.Epoch {
			continue
		}
		fe.Stale = append(fe.Stale, f)
		if ok {
			fe.Current[f.Partition] = cur
		}
	}
	return fe
}
