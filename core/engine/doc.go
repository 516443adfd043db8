// Package engine fires tasks on time, exactly once per scheduled instant,
// on the partitions this node holds.
//
// The loop loads the tasks of the held partitions, claims their instants
// a few seconds ahead in batches under the (task, instant) fence, and
// dispatches them at the instant to a bounded worker pool; results and log
// lines go to the store through a group-commit writer (writer.go), so that
// one commit carries many fires. Around it, the lifecycle of issue 5:
//
//   - retries with backoff and jitter, each attempt its own execution
//     linked to the first (failed, timed out, and interrupted ones);
//   - the concurrency policy (forbid records the new instant skipped,
//     replace cancels the running one) for executions on this node;
//   - misfires (recover.go): at start, the instants nobody fired since a
//     task's last claimed instant (or its last change, if later) are
//     settled by its policy: skip records them all skipped, run_once runs
//     the latest late and records the rest, catch_up runs the latest
//     catch_up_limit of them late, oldest first and one after another
//     (a backlog per task), and records the rest. The latest 100 (or
//     catch_up_limit, if higher) are recorded one by one, older ones as
//     one record naming the range, and they are found by looking back
//     from now in doubling windows, so a start after a week down costs
//     about as much as after a minute;
//   - restart: executions left running are recorded interrupted (and
//     retried where the policy allows); those claimed ahead are adopted;
//     at shutdown, running executions get a grace period, then are
//     interrupted, and their retry is left pending for the next start;
//   - manual triggers with a config override, cancel, pause, start/end
//     windows, one-shot @at tasks;
//   - the worker pool (pool.go): a queue per namespace drained by at most
//     Workers goroutines, started on demand and looping while work is
//     queued (no goroutine per fire), at most NamespaceWorkers of them on
//     one namespace, with namespaces taking turns for each free worker, so
//     that one tenant's flood delays another's execution by one turn at
//     most; results go to the writer without the worker waiting for the
//     commit;
//   - namespace quotas (quota.go): max_concurrent_executions lowers the
//     pool's bound for one namespace; max_executions_per_minute counts
//     what starts in a sliding minute, records a scheduled fire or retry
//     beyond it skipped (naming the quota) and refuses a manual trigger
//     with store.ErrQuotaExceeded;
//   - Prometheus metrics (metrics.go);
//   - fencing in SQL (fence.go), with Config.Fenced (cluster mode): each
//     claim names its leases' epochs, and the store inserts nothing unless
//     every one is still its partition's current epoch, checked in the
//     claim's transaction (store.Store.ExecutionClaimFenced). A node whose
//     lease was taken over while it was paused is refused by the database;
//     it drops the claims of the stale partitions and claims the rest.
//
// Not built here: the concurrency policy across nodes and lease changes
// beyond reloading the held set (cluster mode, issue 8). The sections
// below were written as the plan and still describe the design.
//
// # What exists
//
//   - Time is a dependency: the engine takes a [clock.Clock] and never
//     calls time.Now or time.NewTimer itself, so tests drive it with a
//     [clock.Fake], wait for it to sleep with Fake.WaitForTimers, and wake
//     it at an exact instant with Fake.AdvanceToNext.
//   - Partitions: [PartitionOf] hashes a task ID into one of P partitions
//     ([DefaultPartitions], 256), identically on every node and version.
//   - Ownership: a [Lease] is this node's holding of one partition, with an
//     epoch that fences what it claims; a [Leaser] says which leases this
//     node holds and signals changes. [LocalLeaser] is embedded mode's: one
//     node, every partition, until Release. Cluster mode will add a Leaser
//     backed by Redis heartbeats, rendezvous hashing and one lock per
//     partition; the engine will not know which it has.
//   - The fire queue: [Queue], an indexed min-heap of (next instant, task
//     ID) that the loop owns.
//
// # What the loop will do
//
// One goroutine owns the queue, and everything else talks to it through
// channels: lease changes, task changes from the API (in-process in
// embedded mode, Redis pub/sub in cluster mode), and results coming back.
//
//  1. Ownership. At start, and after each receive from Leaser.Changes, it
//     calls Held and compares (partition, epoch) pairs with what it had.
//     A partition lost, or held again under a new epoch, has its tasks
//     dropped from the queue (keep the task IDs per partition to do so).
//     A partition gained has its tasks loaded, lazily, one partition at a
//     time, so that a start with a million tasks does not compute a
//     million Next values before the first fire: the partitions whose
//     tasks fire soonest matter, and a partition's load is one indexed
//     query if the store keeps PartitionOf on the task row (it does not
//     yet). Loading applies the misfire policy to instants missed since
//     the task's last execution and recovers pending executions claimed
//     under an older epoch (see "Hazards").
//  2. Timing. It sleeps on one timer until the head of the queue minus
//     the claim lead, or until a channel wakes it; no polling of the store.
//     Creating, changing, pausing or deleting a task is an Upsert or a
//     Remove the moment the loop hears of it.
//  3. Claiming. A few seconds before the instants (the claim lead), it
//     takes PopDue(now+lead, batch) and, for each entry whose partition's
//     lease is Valid at the entry's instant, builds a pending
//     core.Execution with FencingToken set to the lease's Epoch; one
//     store.ExecutionClaim per batch inserts them in one transaction. The
//     unique (task, instant, attempt) key is the fence: entries the store
//     does not return were claimed already, by this node or another, and
//     are dropped. Each popped task goes back into the queue at once at
//     its schedule's next instant (schedule.Schedule.Next).
//  4. Dispatch. Claimed executions wait in memory until their instant
//     (a second, small heap, or timers), so that at the instant only
//     in-memory work remains. Then, if the lease is still Valid, they go to
//     a bounded worker pool: a node-wide limit, and a limit per namespace
//     so that one tenant cannot starve another. A worker marks the
//     execution running (ExecutionUpdate from pending, so a canceled or
//     adopted one does not start), calls core.Executor.Execute under the
//     task's timeout, and records status, timing, output and error; log
//     lines go to the store in batches.
//  5. Lifecycle. Retries, each a new attempt claimed at now+Backoff;
//     concurrency policy checked at dispatch (forbid records skipped,
//     replace cancels the running one); manual triggers bypass the queue;
//     one-shot tasks leave it after their instant; start and end windows
//     bound the instants queued. Every instant not run is recorded, with
//     its reason (DESIGN.md, "No silent miss").
//  6. Shutdown and restart. On shutdown the loop stops claiming, running
//     executions get a grace period and are then marked interrupted, and
//     only then does the node call Leaser.Release. At start, executions
//     left running by a crash are marked interrupted (and retried where
//     the policy says so).
//
// # Hazards the loop must handle
//
// Claiming ahead means a pending execution can outlive its claimer's
// lease: the node claims at t-2s and loses the partition at t-1s. The new
// owner cannot claim the instant again (the key is taken), so it must
// adopt pending executions of its partitions claimed under an older
// epoch, with a conditional UPDATE … SET fencing_token = new WHERE
// fencing_token = old checked by rows affected; the store has no method
// for this yet. The old owner, for its part, must not start what it
// claimed once its lease is not Valid; to keep the window small, it
// claims only instants its lease is Valid at (Lease.Valid accepts a
// future instant for this). A lease past its deadline is not yet lost: an
// extension may land late and keep it, with no new owner to come, so
// instants and claimed executions wait on it (deferred, retried every
// 100 ms) until it is valid again or its Lost channel closes; only then
// are they left to the next owner. The new owner may be the same node, when its
// lease lapsed and came straight back: it remembers what it left pending
// at the lapse and adopts those at once, while other pending rows of its
// own count as stuck only 10 s past their instant (a result may still be
// on its way to the store).
//
// # Why these shapes?
//
// Why a Clock rather than testing/synctest? The engine's tests run real
// stores and the Wasm host, whose goroutines (database/sql's connection
// opener, network I/O) do not fit synctest's bubble; an injected clock
// works with any dependency and makes "the loop is asleep" a signal
// rather than a guess. Pure pieces may still use synctest.
//
// Why does the Leaser hand out a set and a signal, not callbacks? The loop
// that owns the queue stays the only goroutine touching it. A coalesced,
// level-triggered signal ("the set may have changed; ask again") cannot
// be missed or overflow, however many partitions change at once. Each
// lease also has Lost, for code that guards one partition (a claim in
// flight) rather than the whole set.
//
// Why is Valid asked about an instant, and by the holder? A lock service
// can say a lease is held after the holder's process has paused past its
// TTL. The holder's own deadline (acquired-at plus TTL, minus a drift
// allowance) is what it can trust, taken from the same Clock the engine
// uses; asking about a future instant bounds how far ahead to claim. The
// store's unique key stays the real fence either way.
//
// Why does the Leaser report Partitions? P must be the same on every node,
// and it is part of the cluster's ownership, not of one engine's config:
// the engine hashes with the Leaser's P so the two cannot disagree.
//
// Why a heap and not a timer wheel? The heap keeps exact instants to the
// nanosecond, pops due entries in a deterministic order in batches (which
// claiming ahead wants), and costs about a microsecond an operation at a
// million entries on the 2-core reference machine (BenchmarkQueueUpsert,
// BenchmarkQueuePopDue). A hierarchical wheel gives O(1) inserts but
// rounds instants to its tick and cascades; the heap's cost is well within
// the budget of 10,000 fires a second.
//
// Why epoch 1 in embedded mode? One process owns the data directory (a
// file lock refuses a second), so there is nobody to fence against; the
// store's unique key already prevents a double fire. LocalLeaserConfig.Epoch
// lets start-up pass a counter kept in the store instead, so that epochs
// also grow across restarts and pending executions from a previous run
// are told apart by their fencing token, as in cluster mode.
package engine
