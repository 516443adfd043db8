package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/core"
)

// Sentinel errors. Drivers wrap them with what was being done, so match them
// with errors.Is.
var (
	// ErrNotFound: the namespace, task or execution does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a unique name or execution key is taken.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: the value changed since it was read (version mismatch) or
	// is in a state that forbids the change.
	ErrConflict = errors.New("conflict")
	// ErrNotEmpty: a namespace still holds tasks or plugins.
	ErrNotEmpty = errors.New("not empty")
	// ErrInUse: a plugin is still the executor of tasks.
	ErrInUse = errors.New("in use")
	// ErrQuotaExceeded: a write would take a namespace past a limit, such
	// as the number of keys in its key-value store.
	ErrQuotaExceeded = errors.New("quota exceeded")
	// ErrFenced: a claim carried a fence whose epoch is no longer its
	// partition's current epoch, so nothing was claimed. The error is a
	// *FencedError, which names the stale partitions.
	ErrFenced = errors.New("fenced: the partition's lease was acquired by another holder since")
)

// Limits on list calls.
const (
	// DefaultPageSize is the page size of a list call that asks for none.
	DefaultPageSize = 50
	// MaxPageSize is the largest page a list call returns.
	MaxPageSize = 1000
	// DefaultAuditLimit is how many events AuditList returns when asked
	// for none.
	DefaultAuditLimit = 100
)

// Store is everything Kronos keeps. Implementations are safe for concurrent
// use. Methods that change one value check its version in the same
// statement that changes it, never by reading first.
type Store interface {
	// Driver names the driver, "sqlite" or "mysql".
	Driver() string
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// ServerTime returns the database server's clock, for the clock-skew
	// check of cluster mode.
	ServerTime(ctx context.Context) (time.Time, error)
	// Close releases the database.
	Close() error

	// NamespaceCreate stores a new namespace with version 1.
	NamespaceCreate(ctx context.Context, ns core.Namespace) (core.Namespace, error)
	// NamespaceGet returns the namespace called name.
	NamespaceGet(ctx context.Context, name string) (core.Namespace, error)
	// NamespaceList returns every namespace, ordered by name.
	NamespaceList(ctx context.Context) ([]core.Namespace, error)
	// NamespaceUsage counts what the namespace holds and runs, against its
	// quotas: tasks, plugins, executions running, and executions scheduled
	// at or after since (the last minute, for max_executions_per_minute).
	NamespaceUsage(ctx context.Context, namespace string, since time.Time) (NamespaceUsage, error)
	// NamespaceUpdate replaces the namespace's fields if its stored version
	// is ns.Version, and returns it with the next version.
	NamespaceUpdate(ctx context.Context, ns core.Namespace) (core.Namespace, error)
	// NamespaceDelete deletes an empty namespace and its key-value pairs;
	// ErrNotEmpty while it holds tasks or plugins. Its audit events stay.
	NamespaceDelete(ctx context.Context, name string) error

	// TaskCreate stores a new task with a new ID and version 1. The
	// namespace must exist and the name must be free in it.
	TaskCreate(ctx context.Context, t core.Task) (core.Task, error)
	// TaskGetByName returns the task called name in namespace.
	TaskGetByName(ctx context.Context, namespace, name string) (core.Task, error)
	// TaskGetByID returns the task with the ID.
	TaskGetByID(ctx context.Context, id string) (core.Task, error)
	// TaskList returns one page of a namespace's tasks, ordered by name.
	TaskList(ctx context.Context, p TaskListParams) (TaskPage, error)
	// TaskUpdate replaces the task with t.ID if its stored version is
	// t.Version, and returns it with the next version. A rename to a taken
	// name fails with ErrAlreadyExists.
	TaskUpdate(ctx context.Context, t core.Task) (core.Task, error)
	// TaskDelete deletes a task and its labels. Its executions and logs
	// stay, for the record, until retention (ExecutionDeleteBefore) removes
	// them. A task cannot move between namespaces: TaskUpdate matches on
	// (ID, namespace).
	TaskDelete(ctx context.Context, p TaskDeleteParams) error

	// ExecutionClaim inserts the executions whose key (task, scheduled
	// instant, attempt, manual or scheduled) is still free, in one
	// transaction, and returns those it inserted with their IDs; the others
	// were claimed before (by this or another node) and are left alone.
	ExecutionClaim(ctx context.Context, execs []core.Execution) ([]core.Execution, error)
	// ExecutionClaimFenced is ExecutionClaim under fences: in the same
	// transaction, before inserting, one conditional statement checks that
	// every fence's epoch is its partition's current epoch (and takes the
	// partitions' write locks, so that a concurrent PartitionAcquire waits
	// for the claim to commit or roll back). When any fence is stale, or
	// names a partition that does not exist, nothing is inserted and the
	// error is a *FencedError, which wraps ErrFenced and names the stale
	// partitions. Two fences of the same partition are a field error on
	// "fences". Without fences it is ExecutionClaim; without executions it
	// checks nothing. The executions' FencingToken is stored as given:
	// callers set it to their fence's epoch.
	ExecutionClaimFenced(ctx context.Context, fences []Fence, execs []core.Execution) ([]core.Execution, error)
	// ExecutionGet returns the execution with the ID.
	ExecutionGet(ctx context.Context, id string) (core.Execution, error)
	// ExecutionList returns one page of executions, newest instant first.
	ExecutionList(ctx context.Context, p ExecutionListParams) (ExecutionPage, error)
	// ExecutionUpdate changes an execution's status and result fields, only
	// if its status is one of p.From; otherwise ErrConflict.
	ExecutionUpdate(ctx context.Context, p ExecutionUpdateParams) (core.Execution, error)
	// ExecutionUpdateMany applies many updates, each conditional as in
	// ExecutionUpdate, in order and in one transaction, so that recording
	// a second's worth of fires costs one commit. It returns one error per
	// update (nil, a validation error, or ErrConflict when the execution is
	// gone or not in p.From); the second result is the transaction's.
	ExecutionUpdateMany(ctx context.Context, ps []ExecutionUpdateParams) ([]error, error)
	// ExecutionLastScheduled returns, for each of the tasks that has one,
	// the latest instant claimed by its schedule (scheduled and catch-up
	// executions, not manual ones), whatever the execution's status. The
	// engine starts counting missed instants after it.
	ExecutionLastScheduled(ctx context.Context, taskIDs []string) (map[string]time.Time, error)
	// ExecutionLatest returns, for each of the tasks that has one, its
	// latest execution that is not pending (running or ended), scheduled or
	// manual, by instant: a task's "last result". Output is left out.
	ExecutionLatest(ctx context.Context, taskIDs []string) (map[string]core.Execution, error)
	// ExecutionStats sums up the namespace's executions whose instant falls
	// in [p.From, p.To): counts by status per bucket of p.Bucket (every
	// bucket of the window, empty ones included, oldest first), counts and
	// run times per task, and the fire lags (start minus instant) of the
	// latest p.LagSample scheduled fires that started.
	ExecutionStats(ctx context.Context, p ExecutionStatsParams) (ExecutionStats, error)
	// ExecutionDeleteBefore deletes final executions that finished before
	// p.Before, with their log lines, and returns how many it deleted.
	ExecutionDeleteBefore(ctx context.Context, p ExecutionDeleteBeforeParams) (int64, error)
	// ExecutionTrim deletes a task's final executions that are not among
	// its p.Keep newest (by scheduled instant, then ID), with their log
	// lines, and returns how many it deleted. Every execution of the task
	// counts toward p.Keep, whatever its status, but only final ones are
	// deleted: pending and running executions are never touched.
	ExecutionTrim(ctx context.Context, p ExecutionTrimParams) (int64, error)

	// PartitionsInit makes sure the cluster's partitions exist: on an
	// empty table it creates n (epoch 0, no holder) and returns n;
	// otherwise it returns how many are stored — fixed when the cluster was
	// created — whatever n. Safe when several nodes call it at once: the
	// first to insert wins, and exactly its n rows result. n must be in
	// [1, MaxPartitions].
	PartitionsInit(ctx context.Context, n int) (int, error)
	// PartitionAcquire bumps partition p's epoch by one and records holder
	// as its holder, acquired now, returning the new epoch, in one
	// conditional statement (no read-then-write): concurrent acquisitions
	// of one partition each get an epoch of their own. ErrNotFound when p
	// does not exist.
	PartitionAcquire(ctx context.Context, p int, holder string) (int64, error)
	// PartitionList returns every partition, by number.
	PartitionList(ctx context.Context) ([]Partition, error)

	// LogAppend stores log lines in batches. (ExecutionID, Seq) is unique.
	LogAppend(ctx context.Context, lines []core.LogLine) error
	// LogList returns an execution's lines with Seq > p.AfterSeq, in order.
	LogList(ctx context.Context, p LogListParams) ([]core.LogLine, error)

	// PluginPut stores a plugin and its Wasm bytes, replacing the plugin
	// of the same name in the namespace (CreatedAt stays, UpdatedAt
	// moves). It refuses with a core.FieldError, storing nothing, unless
	// len(wasm) is p.Size and the SHA-256 of wasm is p.SHA256. The
	// namespace must exist.
	PluginPut(ctx context.Context, p core.Plugin, wasm []byte) (core.Plugin, error)
	// PluginGet returns the plugin called name in namespace, without its
	// Wasm bytes.
	PluginGet(ctx context.Context, namespace, name string) (core.Plugin, error)
	// PluginGetWasm returns the plugin called name in namespace with its
	// Wasm bytes, after checking them against the stored SHA-256.
	PluginGetWasm(ctx context.Context, namespace, name string) (core.Plugin, []byte, error)
	// PluginList returns a namespace's plugins, ordered by name, without
	// their Wasm bytes.
	PluginList(ctx context.Context, namespace string) ([]core.Plugin, error)
	// PluginDelete deletes a plugin; ErrInUse while a task of its
	// namespace names it as executor, checked in the same statement.
	PluginDelete(ctx context.Context, namespace, name string) error

	// TokenCreate stores a new API token (its hash, never the token) with
	// a new ID. Its namespace must exist; a hash already stored is
	// ErrAlreadyExists.
	TokenCreate(ctx context.Context, t core.APIToken) (core.APIToken, error)
	// TokenGetByHash returns the token with the hash, revoked and expired
	// ones included (the caller checks APIToken.Active); ErrNotFound when
	// none has it.
	TokenGetByHash(ctx context.Context, hash []byte) (core.APIToken, error)
	// TokenGet returns the token with the ID, revoked and expired ones
	// included; ErrNotFound when there is none.
	TokenGet(ctx context.Context, id string) (core.APIToken, error)
	// TokenList returns every token, by name.
	TokenList(ctx context.Context) ([]core.APIToken, error)
	// TokenRevoke marks a token revoked now (once: a second revoke keeps
	// the first time) and returns it; ErrNotFound for an unknown ID.
	TokenRevoke(ctx context.Context, id string) (core.APIToken, error)
	// TokenTouch records that the token was used at `at`, unless a later
	// use is recorded already.
	TokenTouch(ctx context.Context, id string, at time.Time) error

	// SecretPut stores a sealed secret, replacing the one of the same name
	// in the namespace (CreatedAt stays, UpdatedAt moves). The namespace
	// must exist. Deleting a namespace deletes its secrets.
	SecretPut(ctx context.Context, s core.Secret) (core.Secret, error)
	// SecretGet returns a secret with its sealed value, for the execution
	// that resolves it; ErrNotFound when there is none.
	SecretGet(ctx context.Context, namespace, name string) (core.Secret, error)
	// SecretList returns a namespace's secrets by name, without values.
	SecretList(ctx context.Context, namespace string) ([]core.Secret, error)
	// SecretDelete deletes a secret; ErrNotFound when there is none.
	SecretDelete(ctx context.Context, namespace, name string) error

	// MQConnectionPut stores an MQ connection, replacing the one of the
	// same name in the namespace (CreatedAt stays, UpdatedAt moves). The
	// namespace must exist; c is validated first. Deleting a namespace
	// deletes its connections.
	MQConnectionPut(ctx context.Context, c core.MQConnection) (core.MQConnection, error)
	// MQConnectionGet returns a connection; ErrNotFound when there is none.
	MQConnectionGet(ctx context.Context, namespace, name string) (core.MQConnection, error)
	// MQConnectionList returns a namespace's connections by name.
	MQConnectionList(ctx context.Context, namespace string) ([]core.MQConnection, error)
	// MQConnectionDelete deletes a connection; ErrNotFound when there is
	// none.
	MQConnectionDelete(ctx context.Context, namespace, name string) error

	// AuditAppend stores an event of the audit log and returns it with its
	// ID, which is greater than that of every event stored before. A zero
	// e.At is set from the store's clock; any other is kept (to the
	// millisecond). Events are not tied to their namespace: deleting the
	// namespace leaves them, and only AuditTrim removes them.
	AuditAppend(ctx context.Context, e core.AuditEvent) (core.AuditEvent, error)
	// AuditList returns the events that match every field of f, newest
	// (highest ID) first.
	AuditList(ctx context.Context, f AuditFilter) ([]core.AuditEvent, error)
	// AuditTrim deletes the events whose At is before before, at most
	// batch to a transaction (500 when batch is 0 or less), and returns
	// how many it deleted.
	AuditTrim(ctx context.Context, before time.Time, batch int) (int64, error)

	// KVGet returns the value stored under key in namespace; ErrNotFound
	// when there is none or it has expired.
	KVGet(ctx context.Context, namespace, key string) ([]byte, error)
	// KVSet stores a value under a key, replacing any value there. With
	// p.MaxKeys set, a new key is refused with ErrQuotaExceeded once the
	// namespace holds that many live keys.
	KVSet(ctx context.Context, p KVSetParams) error
	// KVDelete deletes a key; deleting an absent key is not an error.
	KVDelete(ctx context.Context, namespace, key string) error
	// KVDeleteExpired deletes the pairs, of every namespace, that expired
	// at or before before, and returns how many it deleted.
	KVDeleteExpired(ctx context.Context, before time.Time) (int64, error)
}

// TaskListParams filters and pages TaskList.
type TaskListParams struct {
	// Namespace to list. Required.
	Namespace string
	// Selector keeps tasks whose labels match.
	Selector core.LabelSelector
	// Text keeps tasks whose name or description contains it, ignoring
	// ASCII case.
	Text string
	// Executor keeps tasks of this executor type.
	Executor string
	// Paused, when set, keeps only paused (true) or active (false) tasks.
	Paused *bool
	// Cursor continues a listing from TaskPage.NextCursor.
	Cursor string
	// Limit is the page size. Defaults to DefaultPageSize; at most
	// MaxPageSize.
	Limit int
}

// TaskPage is one page of tasks.
type TaskPage struct {
	Tasks []core.Task
	// NextCursor fetches the next page; empty on the last page.
	NextCursor string
}

// TaskDeleteParams names the task to delete.
type TaskDeleteParams struct {
	Namespace string
	Name      string
	// Version, when not 0, must be the stored version or ErrConflict.
	Version int64
}

// ExecutionStatsParams selects what ExecutionStats sums up.
type ExecutionStatsParams struct {
	Namespace string
	From, To  time.Time
	Bucket    time.Duration
	// LagSample bounds the fires whose lag is read; DefaultLagSample when 0.
	LagSample int
}

// DefaultLagSample is how many of the latest fires ExecutionStats reads
// lags from unless told.
const DefaultLagSample = 10000

// ExecutionStats is what ExecutionStats returns.
type ExecutionStats struct {
	Buckets []StatsBucket
	// Tasks are the tasks with executions in the window, in no order.
	Tasks []TaskStats
	// Lags are the fire lags of the sample, in no order.
	Lags []time.Duration
}

// StatsBucket counts the executions of one interval by status.
type StatsBucket struct {
	Start    time.Time
	ByStatus map[core.ExecutionStatus]int
}

// TaskStats sums up one task's executions in the window.
type TaskStats struct {
	TaskID, TaskName string
	ByStatus         map[core.ExecutionStatus]int
	// Timed counts the executions with a start and an end; Duration is
	// their run time in all, Longest the longest.
	Timed             int
	Duration, Longest time.Duration
}

// NamespaceUsage is what NamespaceUsage counts.
type NamespaceUsage struct {
	Tasks, Plugins, Running, ExecutionsSince int
}

// ExecutionListParams filters and pages ExecutionList.
type ExecutionListParams struct {
	// Namespace to list. Required.
	Namespace string
	// TaskID keeps one task's executions.
	TaskID string
	// Statuses keeps executions in any of these statuses.
	Statuses []core.ExecutionStatus
	// From keeps executions scheduled at or after it.
	From time.Time
	// To keeps executions scheduled before it.
	To time.Time
	// Cursor continues a listing from ExecutionPage.NextCursor.
	Cursor string
	// Limit is the page size. Defaults to DefaultPageSize; at most
	// MaxPageSize.
	Limit int
}

// ExecutionPage is one page of executions.
type ExecutionPage struct {
	Executions []core.Execution
	// NextCursor fetches the next page; empty on the last page.
	NextCursor string
}

// ExecutionUpdateParams changes one execution. Zero fields are left as
// they are.
type ExecutionUpdateParams struct {
	ID string
	// From lists the statuses the execution may be in for the change to
	// apply. Required.
	From []core.ExecutionStatus
	// Status is the new status. Required.
	Status     core.ExecutionStatus
	Node       string
	StartedAt  time.Time
	FinishedAt time.Time
	Output     string
	Error      string
	Reason     string
}

// ExecutionDeleteBeforeParams selects executions for retention.
type ExecutionDeleteBeforeParams struct {
	// Namespace, when set, limits the deletion to one namespace.
	Namespace string
	// Before deletes final executions that finished before it. Required.
	Before time.Time
	// BatchSize is how many executions one transaction deletes. Defaults
	// to 500.
	BatchSize int
}

// ExecutionTrimParams selects one task's executions for retention by count.
type ExecutionTrimParams struct {
	// TaskID is the task whose executions are trimmed. It need not exist
	// any more. Required.
	TaskID string
	// Keep is how many of the task's newest executions stay. At least 1.
	Keep int
	// BatchSize is how many executions one transaction deletes. Defaults
	// to 500.
	BatchSize int
}

// LogListParams pages LogList.
type LogListParams struct {
	ExecutionID string
	// AfterSeq returns lines after this sequence number; 0 from the start.
	AfterSeq int64
	// Limit is the page size. Defaults to DefaultPageSize; at most
	// MaxPageSize.
	Limit int
}

// SystemNamespacePrefix starts the kv namespaces Kronos keeps for itself
// (such as the sealed token-hash key). No namespace can be named so ('@'
// is not allowed in names), so no plugin or user reaches them.
const SystemNamespacePrefix = "@"

// AuditFilter selects and pages the events AuditList returns. Zero fields
// match every event.
type AuditFilter struct {
	// Namespaces keeps the events of these namespaces; "" among them
	// stands for cluster-wide events. Nil keeps every event; an empty,
	// non-nil slice keeps none (a caller allowed to read no namespace).
	Namespaces []string
	// Actor keeps the events of this actor, matched exactly.
	Actor string
	// Action keeps the events of this API operation, matched exactly.
	Action string
	// Kind keeps the events on this kind of object, matched exactly.
	Kind string
	// Target keeps the events on this object, matched exactly.
	Target string
	// Since keeps the events at or after it.
	Since time.Time
	// Until keeps the events before it.
	Until time.Time
	// BeforeID, when greater than 0, keeps the events with a smaller ID:
	// pass the ID of the last event of a page to get the next one.
	BeforeID int64
	// Limit is how many events to return at most. Defaults to
	// DefaultAuditLimit; at most MaxPageSize.
	Limit int
}

// KVSetParams is one write to a namespace's key-value store.
type KVSetParams struct {
	// Namespace owns the pair. It must exist, unless its name starts with
	// SystemNamespacePrefix: Kronos's own pairs, out of every user's reach.
	Namespace string
	// Key is 1 to core.MaxKVKeyBytes bytes of printable UTF-8; see
	// core.ValidateKVKey.
	Key string
	// Value is stored as given, up to core.MaxKVValueBytes. Callers apply
	// their own, smaller cap (core.DefaultMaxKVValueBytes).
	Value []byte
	// TTL, when not 0, makes the pair expire that long after the write
	// (rounded up to the millisecond); an expired pair reads as absent.
	// Defaults to 0, no expiry.
	TTL time.Duration
	// MaxKeys, when not 0, is how many live keys the namespace may hold.
	// Overwriting a live key is always allowed. The count and the write
	// are not one statement, so writers racing at the limit on MySQL may
	// take it a few keys past. Defaults to 0, no limit.
	MaxKeys int
	// IfAbsent leaves a live pair under the key as it is (no error): the
	// first of several concurrent writers wins, and each reads the winner
	// back with KVGet.
	IfAbsent bool
}

// MaxPartitions is the most partitions PartitionsInit creates.
const MaxPartitions = 1 << 16

// Partition is one of the cluster's partitions as the store keeps it: the
// epoch is the fencing token of its latest acquisition.
type Partition struct {
	// Number is the partition, from 0.
	Number int
	// Epoch counts the partition's acquisitions: 0 until the first.
	Epoch int64
	// Holder is who acquired it last; empty before the first acquisition.
	Holder string
	// AcquiredAt is when it was acquired last; zero before the first.
	AcquiredAt time.Time
}

// Fence is the claim that partition Partition is still at epoch Epoch: the
// epoch of the lease under which the claimer decided to claim.
type Fence struct {
	Partition int
	Epoch     int64
}

// FencedError is the error of a fenced claim refused because some of its
// fences were stale. It wraps ErrFenced.
type FencedError struct {
	// Stale holds the refused fences, by partition.
	Stale []Fence
	// Current holds, for each stale fence's partition that exists, its
	// epoch as read after the refusal (for the message: it may have moved
	// on again since).
	Current map[int]int64
}

// Error names each stale partition, its fence's epoch and the current one.
func (e *FencedError) Error() string {
	var b strings.Builder
	b.WriteString(ErrFenced.Error())
	b.WriteString(": ")
	if len(e.Stale) == 0 {
		b.WriteString("a fence went stale during the claim")
	}
	for i, f := range e.Stale {
		if i > 0 {
			b.WriteString("; ")
		}
		if cur, ok := e.Current[f.Partition]; ok {
			fmt.Fprintf(&b, "partition %d is at epoch %d, not %d", f.Partition, cur, f.Epoch)
		} else {
			fmt.Fprintf(&b, "partition %d does not exist (PartitionsInit creates the cluster's partitions)", f.Partition)
		}
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrFenced) hold.
func (e *FencedError) Unwrap() error { return ErrFenced }

// StalePartitions returns the partitions of the stale fences.
func (e *FencedError) StalePartitions() []int {
	out := make([]int, len(e.Stale))
	for i, f := range e.Stale {
		out[i] = f.Partition
	}
	return out
}

// PageLimit returns the effective page size for a requested limit.
func PageLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}
