package cluster

import "slices"

// The constants of the rendezvous weight: FNV-1a's 64-bit offset basis and
// prime, and the multipliers of MurmurHash3's 64-bit finaliser (fmix64), as
// in engine.PartitionOf.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
	fmixMul1    = 0xff51afd7ed558ccd
	fmixMul2    = 0xc4ceb9fe1a85ec53
)

// Owner returns the node that should hold partition p among nodes: the one
// with the highest rendezvous weight for p (highest-random-weight hashing),
// the smaller ID on a tie. It returns "" when nodes is empty. The order of
// nodes does not matter.
//
// The weight of (node, p) is the 64-bit FNV-1a hash of the node ID's bytes
// followed by a zero byte and the eight little-endian bytes of p, passed
// through MurmurHash3's 64-bit finaliser. Every node of every version must
// compute the same owners, so the hash is written out here and pinned by a
// test; changing it moves partitions between nodes during a rolling
// upgrade (safe, since leases decide, but noisy).
//
// Rendezvous hashing moves the least when membership changes: a node that
// joins takes from each other node only the partitions it now outweighs
// them on (about 1/N of all), and a node that leaves gives each of its
// partitions to the runner-up, spread evenly over the others.
func Owner(p int, nodes []string) string {
	best, bestW := -1, uint64(0)
	for i, n := range nodes {
		w := weight(nodeHash(n), p)
		if best < 0 || w > bestW || (w == bestW && n < nodes[best]) {
			best, bestW = i, w
		}
	}
	if best < 0 {
		return ""
	}
	return nodes[best]
}

// owners returns Owner(p, nodes) for every partition in [0, partitions),
// hashing each node ID once.
func owners(partitions int, nodes []string) []string {
	nodes = slices.Clone(nodes)
	slices.Sort(nodes)
	nodes = slices.Compact(nodes)
	hashes := make([]uint64, len(nodes))
	for i, n := range nodes {
		hashes[i] = nodeHash(n)
	}
	out := make([]string, partitions)
	for p := range out {
		best, bestW := -1, uint64(0)
		for i := range nodes {
			// nodes is sorted, so keeping the first maximum breaks ties
			// toward the smaller ID, as Owner does.
			if w := weight(hashes[i], p); best < 0 || w > bestW {
				best, bestW = i, w
			}
		}
		if best >= 0 {
			out[p] = nodes[best]
		}
	}
	return out
}

// nodeHash is FNV-1a over the node ID's bytes and a zero separator: the
// state that weight continues from.
func nodeHash(node string) uint64 {
	h := uint64(fnvOffset64)
	for i := range len(node) {
		h ^= uint64(node[i])
		h *= fnvPrime64
	}
	h *= fnvPrime64 // the zero separator: h ^= 0 is a no-op
	return h
}

// weight continues FNV-1a from h over p's eight little-endian bytes and
// finalises with fmix64.
func weight(h uint64, p int) uint64 {
	v := uint64(p)
	for range 8 {
		h ^= v & 0xff
		h *= fnvPrime64
		v >>= 8
	}
	h ^= h >> 33
	h *= fmixMul1
	h ^= h >> 33
	h *= fmixMul2
	h ^= h >> 33
	return h
}
