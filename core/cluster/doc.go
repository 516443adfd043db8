// Package cluster lets several Kronos nodes share the partitions of one
// cluster through Redis: each node heartbeats its membership, the live
// nodes agree by rendezvous hashing on who should own each partition, and
// the owner holds the partition's lease, a redsync mutex that it keeps
// extending. [Leaser] is the [engine.Leaser] of cluster mode; the engine
// does not know it from embedded mode's [engine.LocalLeaser].
//
// # Wiring
//
//	clients, err := cluster.NewRedisClients(urls)         // one per independent Redis
//	var leaser *cluster.Leaser
//	m, err := cluster.NewMembership(cluster.MembershipConfig{
//		Clients: clients, NodeID: id, Addr: advertised, Version: version,
//		Running: func() int { return eng.Stats().Running },  // optional
//	})
//	leaser, err = cluster.NewLeaser(cluster.LeaserConfig{Membership: m, Epochs: store})
//	go leaser.Run(ctx)           // heartbeats + lease loop; returns when ctx ends
//	... engine.New(ctx, engine.Config{Leaser: leaser, ...}) and its Run ...
//	leaser.Release(shutdownCtx)  // after the engine stopped: immediate failover
//
// A readiness check fails while leaser.Err() is not nil (not yet joined,
// left, or no Redis quorum); leaser.Stats() has the figures for metrics.
//
// # Redis keys
//
// All keys begin with the configured prefix (DefaultPrefix, "kronos:"); see
// keys.go:
//
//	<prefix>node:<id>       JSON NodeInfo of the node's last heartbeat, expiring after the TTL
//	<prefix>nodes           sorted set of node IDs scored by last heartbeat (Unix ms)
//	<prefix>partition:<p>   partition p's lock: "<node id>:<random>", expiring after the TTL
//
// # Membership
//
// Every TTL/5 (TTL defaults to 10s) a [Membership] writes the node's
// [NodeInfo] (ID, advertised address, version, start, heartbeat time,
// partitions held, executions running) to <prefix>node:<id> with an expiry
// of TTL, and adds the ID to the sorted set <prefix>nodes, on every Redis
// server at once. The sorted set is an index, read instead of SCANning the
// keyspace (which would cost the whole keyspace of a shared Redis); the
// key's existence is what makes a node live, so liveness runs on Redis's
// expiry and clock skew between nodes cannot make a live node look dead.
// Members drops index entries whose key has expired and whose score is
// older than TTL. With several Redis servers a node is live when its key is
// on a majority of them, the same quorum the locks need; fewer than a
// majority answering is an error, and the last set read stands. Leave
// deletes the key at shutdown so that the others react at once.
//
// # Ownership: rendezvous hashing
//
// Every TTL/5 the Leaser reads the live members and computes the desired
// owner of each partition with [Owner]: the node whose weight
// hash(node ID, partition) is highest (FNV-1a over the ID, a zero byte and
// the partition's 8 bytes, through MurmurHash3's fmix64, pinned by a test).
// Every node computes the same answer from the same member set, and a
// change of membership moves only the partitions it must: a node that
// joins takes about 1/N of the partitions, from every node evenly; one that
// leaves spreads its share evenly over the rest. A node counts itself while
// it is healthy (a heartbeat that began less than TTL ago reached a quorum)
// and never otherwise, so a node cut off from Redis wants nothing.
//
// # Leases and their timing
//
// For each desired partition it does not hold, the Leaser tries once
// (redsync WithTries(1): never redsync's retry loop; the next tick is the
// retry) to lock the redsync mutex <prefix>partition:<p> with an expiry of
// TTL, on every server at once; the lock is held when a majority took it
// (Redlock). Then it asks the store for the partition's next epoch (the
// fencing token stored on every execution claimed under the lease); if
// that fails it unlocks and tries again at the next tick.
//
// A lease's deadline is reckoned on the holder's own clock (the configured
// clock.Clock): the instant taken just before the lock call, plus TTL,
// minus Drift (2% of TTL + 5ms by default, as Redlock allows for clocks
// running at different rates). Redis began the key's expiry no earlier
// than that instant, so the key outlives the deadline and no other node can
// take the partition while the lease says it is valid. Lease.Valid(at) is
// false for every at at or after the deadline, with no call to Redis: the
// engine asks it on its hot path. Each lease is extended TTL/3 after its
// last lock or extension; a successful extension moves the deadline to the
// instant before that call plus TTL minus Drift. A failed one is retried
// every TTL/10; when the deadline passes without a success, the lease is
// lost: Valid is already false, its Lost channel closes and Changes
// signals. The loss is declared by a timer that a starved process may run
// late, and an extension in flight may land first: one that lands within
// Drift past the deadline keeps the same lease (Redis still held the key
// for this node), valid again, and the engine, which waits on a lease past
// its deadline until it is extended or lost, fires what came meanwhile; one
// that lands later ends the lease though Redis accepted it (the key may
// have expired and changed hands meanwhile), and the partition is acquired
// afresh under a new epoch. An extension also sets the lock again on a server that lost it
// (restarted empty) where nobody else holds it; if it finds the lock
// another's on a majority, the lease ends at once.
//
// Lock calls run in the background, at most one per partition at a time,
// on Workers goroutines for acquisitions and another Workers for
// extensions and unlocks, each call bounded by CallTimeout (TTL/10), so
// that 256 partitions never wait one behind another on a slow server and
// acquisitions never delay extensions. Each call waits for every server
// (up to CallTimeout), so that a lock sits on every server that is up, and
// losing one more server later leaves it on a majority.
//
// Nothing here is the last word on exactly-once: a lease can be held twice
// across a long GC pause or a clock jump. The store's unique key on (task,
// instant) and its conditional epoch updates are the fence.
//
// # Handoff, release and death
//
// When a partition held is no longer desired (a node joined), the Leaser
// hands it off gracefully: the lease becomes invalid at once (Valid false,
// Lost closed, Changes signalled), the lock stays held for HandoffGrace
// (1s) so that the engine finishes what it was claiming, and is then
// unlocked; the new owner takes it at its next tick.
//
// Release, at shutdown, ends every lease at once, unlocks every lock and
// deletes the heartbeat, so the others take the partitions within a tick.
// When Run's context ends without Release, nothing is released: the leases
// stay valid until their deadlines and then lapse, and the locks and the
// heartbeat expire after TTL, as for a node that died. The others then see
// the node gone and take its partitions, within TTL plus a tick.
//
// # Losing Redis
//
// Each heartbeat reports whether it reached a majority of the servers
// ([Leaser.QuorumLost], [Leaser.Err]). Without a majority no lease can be
// extended, so every lease lapses, and the engine stops firing, within the
// TTL of the last successful extension; no node can acquire either, so
// nothing fires until a majority is back, when the desired owners acquire
// again with new epochs. One server of three lost costs nothing. A Redis
// server that restarts empty lets a lock be taken twice (the Redlock
// caveat) until the holder's next extension puts it back (or finds it
// taken and ends the lease); restart servers after a TTL has passed, or
// run them with persistence.
//
// The Redis clients should respect context deadlines (NewRedisClients sets
// ContextTimeoutEnabled), or a hung server holds each call for the client's
// read timeout instead of CallTimeout.
package cluster
