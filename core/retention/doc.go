// Package retention keeps the store from growing without bound: in the
// background, it deletes execution history and its log lines by age and by
// count per task, deletes expired key-value pairs, and deletes audit events
// by age.
//
// A [Service] runs one pass every Interval (the first one Interval after
// Run starts, so that a node's start-up work goes first). A pass, which
// [Service.PruneOnce] runs on demand, does four things:
//
//   - By age: final executions that finished more than MaxAge ago are
//     deleted, with their log lines (store.Store.ExecutionDeleteBefore).
//   - By count: each task keeps its KeepPerTask newest executions; older
//     final ones are deleted, with their log lines
//     (store.Store.ExecutionTrim). The tasks are read a page at a time, one
//     namespace after another.
//   - Key-value pairs whose TTL has passed are deleted
//     (store.Store.KVDeleteExpired); they already read as absent, this
//     only reclaims their space.
//   - By age, audit events: those recorded more than AuditMaxAge ago are
//     deleted (store.Store.AuditTrim). AuditMaxAge 0, the default, keeps
//     them forever.
//
// Every deletion runs in transactions of at most BatchSize executions (or
// audit events), so that retention never holds long locks against the
// engine's writes.
//
// Decisions:
//
//   - Pending and running executions are never deleted, however old or
//     many: they belong to the engine until they are final. Every execution
//     counts toward KeepPerTask whatever its status, because the store finds
//     the task's newest executions from an index alone (see
//     store.Store.ExecutionTrim); a task therefore keeps at least
//     KeepPerTask minus its in-flight executions finished ones.
//   - The count rule visits the tasks that exist. The executions of a
//     deleted task are no longer counted: the age rule removes them once
//     they are MaxAge old. With the age rule disabled they stay.
//   - A store error never stops the service: the pass logs it and the next
//     one tries again. A step that fails does not keep the others from
//     running; within the count rule, the first failing task ends the step
//     for this pass, since the usual cause (the database is away) would
//     fail every other task too.
//   - In a cluster every node runs retention. The deletions are idempotent,
//     so nodes racing on the same rows only repeat work; cluster mode may
//     later give the job to one lease holder.
package retention
