package mysql_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/core/store/mysql"
	"github.com/shiyu-coder/kronos/core/store/mysql/mysqltest"
	"github.com/shiyu-coder/kronos/core/store/storetest"
)

var quiet = slog.New(slog.DiscardHandler)

func TestConformance(t *testing.T) {
	mysqltest.Admin(t) // skip (or fail under CI) once, not per case
	storetest.Exercise(t.Context(), t, func(t *testing.T) store.Store { return mysqltest.Store(t) })
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dbURL := mysqltest.DatabaseURL(t)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s2, err := mysql.Open(t.Context(), mysql.Config{URL: dbURL, Logger: quiet})
			if err == nil {
				s2.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		name, url, wantErr         string
		wantAddr, wantUser, wantDB string
	}{
		{name: "full", url: "mysql://kronos:s3cret@db.internal:3307/kronos?tls=true", wantAddr: "db.internal:3307", wantUser: "kronos", wantDB: "kronos"},
		{name: "default port", url: "mysql://root@localhost/k", wantAddr: "localhost:3306", wantUser: "root", wantDB: "k"},
		{name: "no database", url: "mysql://root@localhost:3306", wantErr: "names no database"},
		{name: "wrong scheme", url: "postgres://root@localhost/k", wantErr: "is not a MySQL URL"},
		{name: "bad timeout", url: "mysql://root@localhost/k?timeout=soon", wantErr: "timeout"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := mysql.ParseURL(c.url)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want it to mention %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Addr != c.wantAddr || cfg.User != c.wantUser || cfg.DBName != c.wantDB || !cfg.ClientFoundRows {
				t.Fatalf("cfg = %+v", cfg)
			}
		})
	}
	if r := mysql.Redact("mysql://kronos:s3cret@db:3306/k"); strings.Contains(r, "s3cret") {
		t.Fatalf("Redact leaks: %s", r)
	}
	if _, err := url.Parse(mysql.Redact("mysql://kronos:s3cret@db:3306/k")); err != nil {
		t.Fatal(err)
	}
}

func TestOpenUnreachableNamesTheServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := mysql.Open(ctx, mysql.Config{URL: "mysql://root:hunter2@127.0.0.1:1/kronos?timeout=1s"})
	if err == nil {
		t.Fatal("open succeeded against a closed port")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error should name the server and hide the password: %v", err)
	}
}

// A plugin beyond the server's max_allowed_packet would be cut off by the
// server (error 1153 or a reset connection); the store refuses it first,
// saying what to raise.
func TestPluginBeyondMaxAllowedPacketIsRefused(t *testing.T) {
	admin := mysqltest.Admin(t)
	s := mysqltest.Store(t)
	var maxPacket int
	if err := admin.QueryRowContext(t.Context(), "SELECT @@global.max_allowed_packet").Scan(&maxPacket); err != nil {
		t.Fatal(err)
	}
	if maxPacket > 256<<20 {
		t.Skipf("max_allowed_packet is %d; too big to test cheaply", maxPacket)
	}
	wasm := make([]byte, maxPacket)
	sum := sha256.Sum256(wasm)
	p := core.Plugin{Namespace: core.DefaultNamespace, Name: "huge", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(wasm))}
	_, err := s.PluginPut(t.Context(), p, wasm)
	var fe *core.FieldError
	if !errors.As(err, &fe) || fe.Field != "size" || !strings.Contains(err.Error(), "raise") {
		t.Fatalf("error = %v, want a field error on size that says what to raise", err)
	}
	_, err = s.PluginGet(t.Context(), core.DefaultNamespace, "huge")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused plugin: get error = %v, want not found", err)
	}
}

// A fenced claim racing an acquisition of its partition, on the real
// server: the claim either commits before the epoch moves (it holds the
// partition row's lock, so the acquisition waits for its commit) or is
// refused. It is never accepted under an epoch that was already replaced.
//
// Observed from outside: the acquisition, once it returns, reads the
// claim's first row. A claim accepted before the bump is visible then; one
// accepted after the bump committed would not be. Only invariants are
// asserted, whichever side wins each round.
func TestFencedClaimRacesAcquire(t *testing.T) {
	ctx := t.Context()
	s := mysqltest.Store(t)
	task, err := s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PartitionsInit(ctx, 4); err != nil {
		t.Fatal(err)
	}
	epoch, err := s.PartitionAcquire(ctx, 2, "node-a")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	const rounds, batch = 200, 10
	accepted, refused := 0, 0
	for round := range rounds {
		xs := make([]core.Execution, batch)
		for i := range xs {
			xs[i] = core.Execution{
				ID:        uuid.Must(uuid.NewV7()).String(),
				Namespace: core.DefaultNamespace, TaskID: task.ID, TaskName: task.Name,
				ScheduledAt: t0.Add(time.Duration(round*batch+i) * time.Second), Trigger: core.TriggerSchedule,
				Attempt: 1, Node: "node-a", FencingToken: epoch,
			}
		}
		var (
			claimed      []core.Execution
			claimErr     error
			next         int64
			acquireErr   error
			visibleAfter bool
		)
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			claimed, claimErr = s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 2, Epoch: epoch}}, xs)
		})
		wg.Go(func() {
			<-start
			next, acquireErr = s.PartitionAcquire(ctx, 2, "node-b")
			if acquireErr == nil {
				_, err := s.ExecutionGet(ctx, xs[0].ID)
				visibleAfter = err == nil
			}
		})
		close(start)
		wg.Wait()
		if acquireErr != nil {
			t.Fatalf("round %d: acquire: %v", round, acquireErr)
		}
		if next != epoch+1 {
			t.Fatalf("round %d: acquire returned epoch %d, want %d", round, next, epoch+1)
		}
		switch {
		case claimErr == nil:
			accepted++
			if len(claimed) != batch {
				t.Fatalf("round %d: accepted claim inserted %d of %d", round, len(claimed), batch)
			}
			if !visibleAfter {
				t.Fatalf("round %d: the claim under epoch %d was accepted after the acquisition of epoch %d had committed", round, epoch, next)
			}
			for _, x := range claimed {
				got, err := s.ExecutionGet(ctx, x.ID)
				if err != nil || got.FencingToken != epoch {
					t.Fatalf("round %d: stored %+v, %v; want fencing token %d", round, got, err, epoch)
				}
			}
		case errors.Is(claimErr, store.ErrFenced):
			refused++
			var fe *store.FencedError
			if !errors.As(claimErr, &fe) || len(fe.Stale) != 1 || fe.Stale[0] != (store.Fence{Partition: 2, Epoch: epoch}) {
				t.Fatalf("round %d: refusal %v, want partition 2 named stale at epoch %d", round, claimErr, epoch)
			}
			for _, x := range xs {
				if _, err := s.ExecutionGet(ctx, x.ID); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("round %d: refused claim left execution %s (%v)", round, x.ID, err)
				}
			}
		default:
			t.Fatalf("round %d: claim: %v", round, claimErr)
		}
		epoch = next
	}
	t.Logf("%d claims accepted before the acquisition, %d refused after it", accepted, refused)
	page, err := s.ExecutionList(ctx, store.ExecutionListParams{Namespace: core.DefaultNamespace, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(page.Executions); got != accepted*batch {
		t.Fatalf("%d executions stored, want %d (%d accepted claims of %d)", got, accepted*batch, accepted, batch)
	}
	parts, err := s.PartitionList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if parts[2].Epoch != rounds+1 || parts[2].Holder != "node-b" {
		t.Fatalf("partition 2 = %+v, want epoch %d held by node-b", parts[2], rounds+1)
	}
}

// A fenced claim locks the rows of its own partitions only. With many
// fences the server scans the whole table; under REPEATABLE READ it would
// then wait for every row another transaction holds, here an acquisition
// of a partition the claim does not name, still in flight.
func TestFencedClaimLocksOnlyItsPartitions(t *testing.T) {
	ctx := t.Context()
	s := mysqltest.Store(t)
	task, err := s.TaskCreate(ctx, core.Task{Name: "job", Executor: "http"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PartitionsInit(ctx, 256); err != nil {
		t.Fatal(err)
	}
	// Another node is acquiring partition 1: its row is locked until the
	// acquisition commits.
	other, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback() }()
	if _, err := other.ExecContext(ctx, `UPDATE partitions SET epoch = epoch + 1, holder = 'node-2' WHERE part = 1`); err != nil {
		t.Fatal(err)
	}
	var fences []store.Fence
	for p := 0; p < 256; p += 4 { // 64 partitions, not 1
		fences = append(fences, store.Fence{Partition: p, Epoch: 0})
	}
	claimCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := s.ExecutionClaimFenced(claimCtx, fences, []core.Execution{{
		Namespace: core.DefaultNamespace, TaskID: task.ID, TaskName: task.Name,
		ScheduledAt: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC), Trigger: core.TriggerSchedule, Attempt: 1,
	}})
	if err != nil || len(got) != 1 {
		t.Fatalf("claim beside an acquisition of another partition: %d claimed, %v", len(got), err)
	}
	// The claim named partition 1 would wait for it, and then be refused.
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	_, err = s.ExecutionClaimFenced(ctx, []store.Fence{{Partition: 1, Epoch: 0}}, []core.Execution{{
		Namespace: core.DefaultNamespace, TaskID: task.ID, TaskName: task.Name,
		ScheduledAt: time.Date(2026, 11, 25, 2, 0, 1, 0, time.UTC), Trigger: core.TriggerSchedule, Attempt: 1,
	}})
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("claim under partition 1's old epoch: %v, want fenced", err)
	}
}

func BenchmarkExecutionClaim(b *testing.B) {
	storetest.BenchmarkClaim(b.Context(), b, mysqltest.Store(b), 1, 100, 1000)
}

// TestIdleSessionTimeoutReleasesPausedLocks: a store whose node stops
// talking in the middle of a transaction (as a SIGSTOPped node would) holds
// a partition's row lock only until the server ends its idle session; a
// second store then acquires the partition, and the first store's pool
// carries on with fresh connections.
func TestIdleSessionTimeoutReleasesPausedLocks(t *testing.T) {
	ctx := t.Context()
	dbURL := mysqltest.DatabaseURL(t)
	paused, err := mysql.Open(ctx, mysql.Config{URL: dbURL, Logger: quiet, IdleSessionTimeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer paused.Close()
	var waitTimeout int
	if err := paused.DB().QueryRowContext(ctx, `SELECT @@session.wait_timeout`).Scan(&waitTimeout); err != nil {
		t.Fatal(err)
	}
	if waitTimeout != 2 {
		t.Fatalf("session wait_timeout = %d, want 2 (1.5 s rounded up)", waitTimeout)
	}
	if _, err := paused.PartitionsInit(ctx, 4); err != nil {
		t.Fatal(err)
	}
	tx, err := paused.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // the server ended it
	if _, err := tx.ExecContext(ctx, `UPDATE partitions SET fence_checks = fence_checks + 1 WHERE part = 1`); err != nil {
		t.Fatal(err)
	}

	other, err := mysql.Open(ctx, mysql.Config{URL: dbURL, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Without the timeout the acquire would wait for the lock until
	// innodb_lock_wait_timeout (50 s by default) and fail.
	actx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := other.PartitionAcquire(actx, 1, "node-b"); err != nil {
		t.Fatalf("acquire a partition whose row a paused session locked: %v", err)
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("the paused session's transaction committed after the server should have ended it")
	}
	// The paused store's idle connections were closed by the server too:
	// its pool must carry on.
	if _, err := paused.PartitionList(ctx); err != nil {
		t.Fatalf("the store after its sessions timed out: %v", err)
	}
}
