package engine_test

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"testing"

	"github.com/shiyu-coder/kronos/core/engine"
)

// TestPartitionOfIsPinned pins the mapping: these values must never change,
// since a change re-homes every task of every cluster.
func TestPartitionOfIsPinned(t *testing.T) {
	tests := []struct {
		id         string
		partitions int
		want       int
	}{
		{"", 256, 38},
		{"a", 256, 91},
		{"0192f6a3-7b1c-7d2e-8f00-123456789abc", 256, 110},
		{"task-1", 256, 103},
		{"task-2", 256, 47},
		{"0192f6a3-7b1c-7d2e-8f00-123456789abc", 7, 6},
		{"task-2", 7, 2},
		{"task-1", 1, 0},
	}
	for _, tt := range tests {
		if got := engine.PartitionOf(tt.id, tt.partitions); got != tt.want {
			t.Errorf("PartitionOf(%q, %d) = %d, want %d", tt.id, tt.partitions, got, tt.want)
		}
	}
}

// TestPartitionOfMatchesDefinition checks PartitionOf against its
// documented definition built from hash/fnv.
func TestPartitionOfMatchesDefinition(t *testing.T) {
	fmix64 := func(k uint64) uint64 {
		k ^= k >> 33
		k *= 0xff51afd7ed558ccd
		k ^= k >> 33
		k *= 0xc4ceb9fe1a85ec53
		k ^= k >> 33
		return k
	}
	for i := range 10000 {
		id := fmt.Sprintf("%08x-7b1c-7d2e-8f00-%012x", i, i*7919)
		h := fnv.New64a()
		_, _ = h.Write([]byte(id))
		sum := fmix64(h.Sum64())
		for _, p := range []int{1, 2, 255, 256, 1000} {
			want := int(sum % uint64(p))
			if got := engine.PartitionOf(id, p); got != want {
				t.Fatalf("PartitionOf(%q, %d) = %d, want %d", id, p, got, want)
			}
		}
	}
}

// TestPartitionOfSpreadsStructuredIDs checks that IDs of several shapes
// fill the partitions evenly: none gets more than 25% over or under its
// share (five standard deviations at these counts). Plain FNV-1a modulo 256
// fails the "two counters" shape with a partition at 2.3 times its share.
func TestPartitionOfSpreadsStructuredIDs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := map[string]func(i int) string{
		"uuidv7": func(i int) string {
			ms := 1764000000000 + i/10
			return fmt.Sprintf("%08x-%04x-7%03x-%04x-%012x",
				ms>>16, ms&0xffff, r.IntN(1<<12), 0x8000|r.IntN(1<<14), r.Uint64()&(1<<48-1))
		},
		"sequential names": func(i int) string { return fmt.Sprintf("task-%d", i) },
		"two counters": func(i int) string {
			return fmt.Sprintf("0192f6a3-%04x-7d2e-8f00-%012x", i%65536, i)
		},
	}
	for name, shape := range shapes {
		for _, partitions := range []int{engine.DefaultPartitions, 100} {
			t.Run(fmt.Sprintf("%s into %d", name, partitions), func(t *testing.T) {
				share := 400
				counts := make([]int, partitions)
				for i := range share * partitions {
					counts[engine.PartitionOf(shape(i), partitions)]++
				}
				for p, c := range counts {
					if c < share*3/4 || c > share*5/4 {
						t.Errorf("partition %d holds %d tasks, want about %d", p, c, share)
					}
				}
			})
		}
	}
}

func TestPartitionOfPanicsWithoutPartitions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("PartitionOf with 0 partitions did not panic")
		}
	}()
	engine.PartitionOf("task-1", 0)
}

func BenchmarkPartitionOf(b *testing.B) {
	id := "0192f6a3-7b1c-7d2e-8f00-123456789abc"
	for b.Loop() {
		engine.PartitionOf(id, engine.DefaultPartitions)
	}
}
