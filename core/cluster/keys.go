package cluster

import "strconv"

// DefaultPrefix begins every Redis key that Kronos writes, unless the
// configuration names another.
const DefaultPrefix = "kronos:"

// The Redis keys of a cluster, all built here so that the layout can be read
// in one place. prefix is the configured Prefix (DefaultPrefix unless set).
//
//	<prefix>node:<id>       string, JSON NodeInfo, PX = membership TTL; a node is live while its key exists
//	<prefix>nodes           sorted set of node IDs scored by last heartbeat (Unix ms): the index Members reads
//	<prefix>partition:<p>   string, the redsync mutex of partition p: "<node id>:<random>", PX = lease TTL
//
// There are no hash tags in the key names: every command touches one key,
// and the heartbeat's two writes go in a pipeline (not MULTI), which a
// Redis Cluster client splits by slot. To keep all keys on one slot anyway,
// put a hash tag in the prefix ("{kronos}:").

// nodeKey is the key of one node's heartbeat.
func nodeKey(prefix, id string) string { return prefix + "node:" + id }

// nodesKey is the index of node IDs.
func nodesKey(prefix string) string { return prefix + "nodes" }

// partitionKey is the key of partition p's mutex.
func partitionKey(prefix string, p int) string { return prefix + "partition:" + strconv.Itoa(p) }
