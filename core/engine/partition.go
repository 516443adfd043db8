package engine

import "fmt"

// DefaultPartitions is the number of partitions tasks hash into unless the
// cluster is configured otherwise.
const DefaultPartitions = 256

// The constants of PartitionOf: FNV-1a's 64-bit offset basis and prime, and
// the multipliers of MurmurHash3's 64-bit finaliser (fmix64).
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
	fmixMul1    = 0xff51afd7ed558ccd
	fmixMul2    = 0xc4ceb9fe1a85ec53
)

// PartitionOf returns the partition, in [0, partitions), that the task with
// the ID belongs to: the 64-bit FNV-1a hash of the ID's bytes, passed
// through MurmurHash3's 64-bit finaliser (fmix64), modulo partitions. It
// panics if partitions is less than 1.
//
// Every node of every version must compute the same partition for an ID,
// so the function is written out here rather than borrowed from a hash
// whose output may change (such as hash/maphash, which is seeded per
// process). Changing it, or changing the number of partitions of a
// cluster, re-homes nearly every task: do either only with the whole
// cluster stopped, and expect TestPartitionOfIsPinned to fail if you try.
//
// Why the finaliser? The low k bits of FNV-1a depend only on the low k
// bits of its state, so FNV-1a modulo a power of two (256 by default) is
// an 8-bit hash: IDs that share a structure can crowd into some
// partitions. Of 256,000 IDs of the "two counters" shape in
// TestPartitionOfSpreadsStructuredIDs, plain FNV-1a put 2.3 times its
// share in one partition. fmix64 mixes every bit of the hash into the low
// ones, for a few nanoseconds. (Task IDs are UUIDv7, whose random bits
// would mostly hide the weakness; the partition must not depend on that.)
func PartitionOf(taskID string, partitions int) int {
	if partitions < 1 {
		panic(fmt.Sprintf("engine: PartitionOf with %d partitions (need at least 1)", partitions))
	}
	h := uint64(fnvOffset64)
	for i := range len(taskID) {
		h ^= uint64(taskID[i])
		h *= fnvPrime64
	}
	h ^= h >> 33
	h *= fmixMul1
	h ^= h >> 33
	h *= fmixMul2
	h ^= h >> 33
	return int(h % uint64(partitions))
}
