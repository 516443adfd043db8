package cluster_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/core/cluster"
)

// TestOwnerIsPinned fails when the rendezvous weight changes: every node
// of every version must agree on the owners, or a rolling upgrade moves
// partitions back and forth.
func TestOwnerIsPinned(t *testing.T) {
	nodes := []string{"node-a", "node-b", "node-c"}
	want := "b b c c c a b a c b a a b b a c"
	var got []string
	for p := range 16 {
		got = append(got, strings.TrimPrefix(cluster.Owner(p, nodes), "node-"))
	}
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("owners of partitions 0-15 over %v = %q, want %q", nodes, g, want)
	}
}

func TestOwnerEdgeCases(t *testing.T) {
	if got := cluster.Owner(3, nil); got != "" {
		t.Errorf("Owner with no nodes = %q, want empty", got)
	}
	if got := cluster.Owner(3, []string{"solo"}); got != "solo" {
		t.Errorf("Owner with one node = %q, want solo", got)
	}
	a := []string{"n1", "n2", "n3", "n4"}
	b := []string{"n4", "n2", "n1", "n3", "n2"}
	for p := range 256 {
		if x, y := cluster.Owner(p, a), cluster.Owner(p, b); x != y {
			t.Fatalf("partition %d: owner %s over %v but %s over %v (order and duplicates must not matter)", p, x, a, y, b)
		}
	}
}

func TestOwnersAgreesWithOwner(t *testing.T) {
	nodes := []string{"x", "kronos-2", "kronos-10", "kronos-1", ""}
	own := cluster.Owners(256, nodes)
	for p, o := range own {
		if want := cluster.Owner(p, nodes); o != want {
			t.Fatalf("partition %d: owners says %q, Owner says %q", p, o, want)
		}
	}
}

// TestOwnerSpreadsEvenly checks the balance for cluster sizes that Kronos
// runs at, with IDs that differ in one character.
func TestOwnerSpreadsEvenly(t *testing.T) {
	const partitions = 256
	for _, n := range []int{2, 3, 5, 8} {
		t.Run(fmt.Sprintf("%d nodes", n), func(t *testing.T) {
			nodes := make([]string, n)
			for i := range nodes {
				nodes[i] = fmt.Sprintf("kronos-%d", i)
			}
			count := map[string]int{}
			for p := range partitions {
				count[cluster.Owner(p, nodes)]++
			}
			share := partitions / n
			for _, id := range nodes {
				// A binomial share: far outside ±50% means a broken hash.
				if c := count[id]; c < share/2 || c > share*3/2 {
					t.Errorf("%s owns %d of %d partitions, want about %d: %v", id, c, partitions, share, count)
				}
			}
		})
	}
}

// TestOwnerMovesOnlyWhatItMust checks rendezvous hashing's point: a node
// that joins takes partitions only for itself, and one that leaves gives
// only its own away.
func TestOwnerMovesOnlyWhatItMust(t *testing.T) {
	const partitions = 256
	before := []string{"a", "b", "c", "d"}
	after := append(slices.Clone(before), "e")
	moved := 0
	for p := range partitions {
		x, y := cluster.Owner(p, before), cluster.Owner(p, after)
		if x != y {
			moved++
			if y != "e" {
				t.Errorf("partition %d moved from %s to %s when e joined; only moves to e are allowed", p, x, y)
			}
		}
	}
	if moved == 0 || moved > partitions/2 {
		t.Errorf("%d of %d partitions moved when a fifth node joined, want about a fifth", moved, partitions)
	}
	for p := range partitions {
		x, y := cluster.Owner(p, after), cluster.Owner(p, before)
		if x != "e" && x != y {
			t.Errorf("partition %d moved from %s to %s when e left; only e's may move", p, x, y)
		}
	}
}
