package cluster_test

import (
	"cmp"
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/cluster"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/store/mysql"
	"github.com/shiyu-coder/kronos/core/store/mysql/mysqltest"
	"github.com/shiyu-coder/kronos/internal/redistest"
)

// Timing of the cluster benchmark.
const (
	// benchTTL is the lease TTL: the default, as in production, so that the
	// Redis traffic measured is production's.
	benchTTL = cluster.DefaultTTL
	// benchExtendEvery is how often the Leaser extends each lease (TTL/3).
	benchExtendEvery = benchTTL / 3
	// benchSettle bounds the wait for the nodes to share the partitions.
	benchSettle = 30 * time.Second
	// benchDrain bounds the wait, after a window, for its late fires.
	benchDrain = 5 * time.Second
)

// BenchmarkClusterFires runs 1 and 3 cluster nodes in this process against
// the machine's MariaDB (one database, a connection pool per node) and
// Redis (clients of each node's own, under a key prefix of the run's own),
// wired as `kronos server` wires cluster mode: a Membership and a Leaser
// per node, with the store's partition epochs as fencing tokens, and an
// engine with Fenced claims. N tasks fire every second (N is
// KRONOS_BENCH_TASKS, default 200) into a no-op executor. Once the nodes
// hold every partition between them as rendezvous hashing assigns it (and
// their engines have adopted the tasks), each iteration measures a window
// of KRONOS_BENCH_SECONDS (default 3) whole seconds: the fires whose
// instant falls in it, their lag (executor start minus instant), and the
// Redis commands and SQL statements that all nodes sent during it.
//
// The lease TTL is the default, 10s: the partitions settle within a few
// ticks (TTL/5) plus the handoff grace, well inside the 30s bound, and the
// Redis traffic is what a production cluster sends.
//
// Redis commands are counted by a go-redis hook (a pipeline counts its
// commands). They come in bursts: each lease is extended every TTL/3, and
// a node acquires most of its leases at once, so they are counted over
// the window rounded up to whole extension periods (3.33s for the default
// 3s), which holds each lease's extension as often whatever the phase;
// redis-cmds/fire is then redis-cmds/s over fires/s.
//
// SQL is counted by a wrapper around the driver's connector
// (mysql.Config.Connector): a statement is each query, exec, prepared
// statement's execution, BEGIN (and the SET TRANSACTION before it),
// COMMIT and ROLLBACK, and each statement of a multi-statement batch; a
// round trip is each of these calls, and each PREPARE (sql-trips/fire).
// Both are logged by kind once per run.
func BenchmarkClusterFires(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) { benchClusterFires(b, n) })
	}
}

func benchClusterFires(b *testing.B, nodes int) {
	tasks := benchEnv("KRONOS_BENCH_TASKS", 200)
	seconds := benchEnv("KRONOS_BENCH_SECONDS", 3)
	c := startBenchCluster(b, nodes, tasks)
	b.ResetTimer()
	var total benchWindow
	for b.Loop() {
		total.add(c.measure(b, time.Duration(seconds)*time.Second))
	}
	b.StopTimer()
	if total.fires == 0 {
		b.Fatal("nothing fired in the measured windows")
	}
	if want := tasks * seconds * b.N; total.fires < want {
		b.Logf("%d of %d instants fired within %v of their window's end", total.fires, want, benchDrain)
	}
	fires := float64(total.fires)
	slices.Sort(total.lags)
	pct := func(p float64) float64 {
		return float64(total.lags[int(p*float64(len(total.lags)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(fires/total.span.Seconds(), "fires/s")
	b.ReportMetric(pct(0.50), "p50-lag-ms")
	b.ReportMetric(pct(0.99), "p99-lag-ms")
	b.ReportMetric(pct(1), "max-lag-ms")
	redisPerSecond := float64(sum(total.redis)) / total.redisSpan.Seconds()
	b.ReportMetric(redisPerSecond/(fires/total.span.Seconds()), "redis-cmds/fire")
	b.ReportMetric(redisPerSecond, "redis-cmds/s")
	b.ReportMetric(float64(sum(total.stmts))/fires, "sql-stmts/fire")
	b.ReportMetric(float64(total.trips)/fires, "sql-trips/fire")
	b.Logf("SQL statements per fire: %s; Redis commands per second: %s", per(total.stmts, fires), per(total.redis, total.redisSpan.Seconds()))
}

// benchCluster is the nodes of one benchmark, with what they record.
type benchCluster struct {
	tasks int
	nodes []*benchNode
	rec   *fireRecorder
	sql   *sqlCounter
	redis *tally
}

// benchNode is one node: its store, Redis clients, leaser and engine.
type benchNode struct {
	id         string
	st         *mysql.Store
	clients    []redis.UniversalClient
	leaser     *cluster.Leaser
	eng        *engine.Engine
	stopEngine context.CancelFunc
	stopLeaser context.CancelFunc
	engineErr  chan error
	leaserErr  chan error
}

// startBenchCluster opens the nodes' stores, creates the tasks, starts the
// nodes and waits until they share the partitions. Everything stops at
// cleanup.
func startBenchCluster(b *testing.B, nodes, tasks int) *benchCluster {
	b.Helper()
	ctx := b.Context()
	dbURL := mysqltest.DatabaseURL(b)
	redisURL := redistest.URL(b)
	prefix := redistest.Prefix()
	c := &benchCluster{tasks: tasks, rec: &fireRecorder{}, sql: &sqlCounter{}, redis: &tally{}}
	b.Cleanup(func() { deleteKeys(b, redisURL, prefix) }) // after the nodes stop
	b.Cleanup(func() { c.stop(b) })
	for i := range nodes {
		st, err := mysql.Open(ctx, mysql.Config{URL: dbURL, Logger: testLogger(nil), Connector: c.sql.wrap})
		if err != nil {
			b.Fatalf("node %d: open the store: %v", i, err)
		}
		n := &benchNode{id: fmt.Sprintf("bench-%d", i), st: st}
		c.nodes = append(c.nodes, n)
		if _, err := st.PartitionsInit(ctx, engine.DefaultPartitions); err != nil {
			b.Fatalf("node %s: %v", n.id, err)
		}
		if n.clients, err = cluster.NewRedisClients([]string{redisURL}); err != nil {
			b.Fatal(err)
		}
		for _, cl := range n.clients {
			cl.AddHook(redisCountHook{c.redis})
		}
		m, err := cluster.NewMembership(cluster.MembershipConfig{Clients: n.clients, Prefix: prefix, NodeID: n.id, TTL: benchTTL, Logger: testLogger(nil)})
		if err != nil {
			b.Fatal(err)
		}
		n.leaser, err = cluster.NewLeaser(cluster.LeaserConfig{
			Partitions: engine.DefaultPartitions, TTL: benchTTL, Epochs: st, Membership: m, Logger: testLogger(nil),
		})
		if err != nil {
			b.Fatal(err)
		}
		n.eng, err = engine.New(context.WithoutCancel(ctx), engine.Config{
			Store: st, Executor: c.rec, NodeID: n.id, Leaser: n.leaser, Fenced: true, Logger: testLogger(nil),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := range tasks {
		t := core.Task{Name: fmt.Sprintf("t%06d", i), Schedule: "* * * * * *", Executor: "noop"}
		if _, err := c.nodes[0].st.TaskCreate(ctx, t); err != nil {
			b.Fatalf("create task %s: %v", t.Name, err)
		}
	}
	for _, n := range c.nodes {
		lctx, stopLeaser := context.WithCancel(context.WithoutCancel(ctx))
		ectx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
		n.stopLeaser, n.stopEngine = stopLeaser, stopEngine
		n.leaserErr, n.engineErr = make(chan error, 1), make(chan error, 1)
		go func() { n.leaserErr <- n.leaser.Run(lctx) }()
		go func() { n.engineErr <- n.eng.Run(ectx) }()
	}
	deadline := time.Now().Add(benchSettle)
	for {
		ok, state := c.settled()
		if ok {
			return c
		}
		if time.Now().After(deadline) {
			b.Fatalf("the %d nodes did not share the %d partitions within %v (rendezvous hashing's owners, every task adopted by an engine): %s",
				nodes, engine.DefaultPartitions, benchSettle, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settled reports whether every node holds exactly the partitions that
// rendezvous hashing gives it (so all of them between the nodes, and some
// on each), with its engine queueing their tasks, and describes the state.
func (c *benchCluster) settled() (bool, string) {
	ids := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		ids[i] = n.id
	}
	ok, queued := true, 0
	var state []string
	for _, n := range c.nodes {
		want := 0
		for p := range engine.DefaultPartitions {
			if cluster.Owner(p, ids) == n.id {
				want++
			}
		}
		held, s := len(n.leaser.Held()), n.eng.Stats()
		exact := held == want
		for _, l := range n.leaser.Held() {
			exact = exact && cluster.Owner(l.Partition(), ids) == n.id
		}
		ok = ok && exact && want > 0 && s.Partitions == held
		queued += s.Tasks
		state = append(state, fmt.Sprintf("%s holds %d partitions (rendezvous gives it %d), its engine %d partitions and %d tasks",
			n.id, held, want, s.Partitions, s.Tasks))
	}
	return ok && queued == c.tasks, strings.Join(state, "; ")
}

// measure waits for the next whole second but one, counts the fires and
// SQL for span from then and the Redis commands for span rounded up to
// whole extension periods, and waits (up to benchDrain) for the window's
// fires.
func (c *benchCluster) measure(b *testing.B, span time.Duration) benchWindow {
	start := time.Now().Truncate(time.Second).Add(2 * time.Second)
	end := start.Add(span)
	w := benchWindow{span: span, redisSpan: (span + benchExtendEvery - 1) / benchExtendEvery * benchExtendEvery}
	time.Sleep(time.Until(start))
	redis0, sql0, trips0 := c.redis.snapshot(), c.sql.stmts.snapshot(), c.sql.trips.Load()
	time.Sleep(time.Until(end))
	w.stmts, w.trips = diff(c.sql.stmts.snapshot(), sql0), c.sql.trips.Load()-trips0
	time.Sleep(time.Until(start.Add(w.redisSpan)))
	w.redis = diff(c.redis.snapshot(), redis0)
	want := c.tasks * int(span/time.Second)
	for drain := time.Now().Add(benchDrain); ; time.Sleep(20 * time.Millisecond) {
		var dups int
		w.lags, dups = c.rec.window(start, end)
		if dups > 0 {
			b.Errorf("%d instants in [%v, %v) fired twice", dups, start.Format(time.TimeOnly), end.Format(time.TimeOnly))
		}
		if len(w.lags) >= want || time.Now().After(drain) {
			break
		}
	}
	w.fires = len(w.lags)
	return w
}

// stop stops the engines, then releases the leases and stops the leasers,
// then closes the clients and stores.
func (c *benchCluster) stop(b *testing.B) {
	for _, n := range c.nodes {
		if n.stopEngine != nil {
			n.stopEngine()
		}
	}
	var errs []error
	for _, n := range c.nodes {
		if n.engineErr != nil {
			errs = append(errs, <-n.engineErr)
		}
	}
	for _, n := range c.nodes {
		if n.leaser == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, n.leaser.Release(ctx))
		cancel()
		if n.stopLeaser != nil {
			n.stopLeaser()
			errs = append(errs, <-n.leaserErr)
		}
	}
	for _, n := range c.nodes {
		for _, cl := range n.clients {
			_ = cl.Close()
		}
		errs = append(errs, n.st.Close())
	}
	for _, err := range errs {
		if err != nil {
			b.Errorf("stop the nodes: %v", err)
		}
	}
}

// deleteKeys deletes the run's Redis keys.
func deleteKeys(b *testing.B, url, prefix string) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		b.Error(err)
		return
	}
	cl := redis.NewClient(opt)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var keys []string
	for iter := cl.Scan(ctx, 0, prefix+"*", 1000).Iterator(); iter.Next(ctx); {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		if err := cl.Del(ctx, keys...).Err(); err != nil {
			b.Errorf("delete the benchmark's Redis keys %s*: %v", prefix, err)
		}
	}
}

// benchWindow is what one or more measured windows saw.
type benchWindow struct {
	span      time.Duration // of fires and SQL
	redisSpan time.Duration // of Redis commands
	fires     int
	lags      []time.Duration
	redis     map[string]int64 // commands by name
	stmts     map[string]int64 // SQL statements by kind
	trips     int64            // SQL round trips
}

func (w *benchWindow) add(o benchWindow) {
	w.span += o.span
	w.redisSpan += o.redisSpan
	w.fires += o.fires
	w.lags = append(w.lags, o.lags...)
	w.redis = merge(w.redis, o.redis)
	w.stmts = merge(w.stmts, o.stmts)
	w.trips += o.trips
}

// fireRecorder is a no-op executor that records each fire's instant and
// lag: when it started minus its scheduled instant.
type fireRecorder struct {
	mu    sync.Mutex
	fires []fire
}

type fire struct {
	task string
	at   time.Time
	lag  time.Duration
}

func (r *fireRecorder) Execute(_ context.Context, req core.ExecuteRequest) core.ExecuteResult {
	lag := time.Since(req.Execution.ScheduledAt)
	r.mu.Lock()
	r.fires = append(r.fires, fire{req.Execution.TaskID, req.Execution.ScheduledAt, lag})
	r.mu.Unlock()
	return core.ExecuteResult{Status: core.StatusSucceeded}
}

func (r *fireRecorder) ValidateConfig(context.Context, core.Task) error { return nil }

// window returns the lags of the fires whose instant is in [start, end),
// and how many of those instants fired more than once.
func (r *fireRecorder) window(start, end time.Time) (lags []time.Duration, dups int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	type instant struct {
		task string
		ms   int64
	}
	seen := map[instant]bool{}
	for _, f := range r.fires {
		if f.at.Before(start) || !f.at.Before(end) {
			continue
		}
		key := instant{f.task, f.at.UnixMilli()}
		if seen[key] {
			dups++
			continue
		}
		seen[key] = true
		lags = append(lags, f.lag)
	}
	return lags, dups
}

// tally counts events by kind; safe for concurrent use.
type tally struct {
	mu sync.Mutex
	n  map[string]int64
}

func (t *tally) add(kind string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int64{}
	}
	t.n[kind] += n
}

func (t *tally) snapshot() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return merge(nil, t.n)
}

func merge(into, from map[string]int64) map[string]int64 {
	if into == nil {
		into = map[string]int64{}
	}
	for k, v := range from {
		into[k] += v
	}
	return into
}

func diff(after, before map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func sum(m map[string]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}

// per lists the kinds, most frequent first, each with its count divided by
// d.
func per(m map[string]int64, d float64) string {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %.3g", k, float64(m[k])/d)
	}
	return strings.Join(parts, ", ")
}

func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// redisCountHook counts the commands a go-redis client sends, by name.
type redisCountHook struct{ t *tally }

func (h redisCountHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisCountHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.t.add(cmd.Name(), 1)
		return next(ctx, cmd)
	}
}

func (h redisCountHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			h.t.add(cmd.Name(), 1)
		}
		return next(ctx, cmds)
	}
}

// sqlCounter counts the SQL statements (by kind) and round trips sent
// over the connectors it wraps.
type sqlCounter struct {
	stmts tally
	trips atomic.Int64
}

// wrap is a mysql.Config.Connector.
func (c *sqlCounter) wrap(dc driver.Connector) driver.Connector { return countingConnector{dc, c} }

// sent counts one round trip carrying query, which may hold several
// statements: the batch pool joins them with ";\n" (a value holding ";\n",
// interpolated there, would be miscounted; the benchmark sends none).
func (c *sqlCounter) sent(query string) {
	c.trips.Add(1)
	for q := range strings.SplitSeq(query, ";\n") {
		c.stmts.add(sqlKind(q), 1)
	}
}

var sqlTable = regexp.MustCompile("(?i)\\b(?:from|into|update)\\s+`?(\\w+)")

// sqlKind names a statement by its verb and first table: "UPDATE executions".
func sqlKind(q string) string {
	q = strings.TrimSpace(q[:min(len(q), 300)])
	verb, _, _ := strings.Cut(q, " ")
	verb = strings.ToUpper(verb)
	if m := sqlTable.FindStringSubmatch(q); m != nil {
		return verb + " " + m[1]
	}
	return verb
}

// mysqlConn is every interface go-sql-driver/mysql's connection has, so
// that database/sql treats a countingConn exactly as the connection.
type mysqlConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// mysqlStmt is every interface of the driver's prepared statement that
// database/sql uses (it prefers NamedValueChecker to ColumnConverter).
type mysqlStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
	driver.NamedValueChecker
}

type countingConnector struct {
	driver.Connector
	c *sqlCounter
}

func (k countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := k.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	mc, ok := conn.(mysqlConn)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("counting connector: the driver's connection %T lacks an interface that database/sql uses", conn)
	}
	return countingConn{mc, k.c}, nil
}

// Close closes the connector if it is an io.Closer, as sql.DB.Close would.
func (k countingConnector) Close() error {
	if cl, ok := k.Connector.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// countingConn counts what it sends. database/sql calls the context
// methods when a connection has them, so the embedded legacy Prepare and
// Begin are never called.
type countingConn struct {
	mysqlConn
	c *sqlCounter
}

// ExecContext counts the statement unless the driver returned
// driver.ErrSkip (arguments without client-side interpolation), which has
// database/sql prepare it instead: nothing was sent.
func (cc countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := cc.mysqlConn.ExecContext(ctx, query, args)
	if err != driver.ErrSkip { //nolint:errorlint // database/sql compares ErrSkip with ==
		cc.c.sent(query)
	}
	return res, err
}

// QueryContext counts as ExecContext does.
func (cc countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := cc.mysqlConn.QueryContext(ctx, query, args)
	if err != driver.ErrSkip { //nolint:errorlint // database/sql compares ErrSkip with ==
		cc.c.sent(query)
	}
	return rows, err
}

func (cc countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	cc.c.trips.Add(1)
	st, err := cc.mysqlConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ms, ok := st.(mysqlStmt)
	if !ok {
		_ = st.Close()
		return nil, fmt.Errorf("counting connector: the driver's statement %T lacks an interface that database/sql uses", st)
	}
	return countingStmt{ms, query, cc.c}, nil
}

// BeginTx counts START TRANSACTION, and SET TRANSACTION before it when the
// isolation level is not the default, as the driver sends them.
func (cc countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.Isolation != driver.IsolationLevel(0) {
		cc.c.sent("SET TRANSACTION")
	}
	cc.c.sent("BEGIN")
	tx, err := cc.mysqlConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{tx, cc.c}, nil
}

type countingTx struct {
	driver.Tx
	c *sqlCounter
}

func (tx countingTx) Commit() error {
	tx.c.sent("COMMIT")
	return tx.Tx.Commit()
}

func (tx countingTx) Rollback() error {
	tx.c.sent("ROLLBACK")
	return tx.Tx.Rollback()
}

// countingStmt counts each execution of a prepared statement. database/sql
// calls the context methods, so the embedded legacy Exec and Query are
// never called.
type countingStmt struct {
	mysqlStmt
	query string
	c     *sqlCounter
}

func (s countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.sent(s.query)
	return s.mysqlStmt.ExecContext(ctx, args)
}

func (s countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.sent(s.query)
	return s.mysqlStmt.QueryContext(ctx, args)
}
