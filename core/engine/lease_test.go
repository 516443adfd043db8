package engine_test

import (
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core/engine"
)

// closed reports whether c is closed, without blocking.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// signalled reports whether a change signal waits on c, consuming it.
func signalled(c <-chan struct{}) bool { return closed(c) }

func TestLocalLeaserHoldsEveryPartition(t *testing.T) {
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{})
	if got := l.Partitions(); got != engine.DefaultPartitions {
		t.Fatalf("Partitions = %d, want the default %d", got, engine.DefaultPartitions)
	}
	held := l.Held()
	if len(held) != engine.DefaultPartitions {
		t.Fatalf("Held returned %d leases, want %d", len(held), engine.DefaultPartitions)
	}
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, lease := range held {
		if lease.Partition() != i {
			t.Fatalf("lease %d is for partition %d, want ordered by partition", i, lease.Partition())
		}
		if lease.Epoch() != 1 {
			t.Errorf("partition %d epoch = %d, want 1", i, lease.Epoch())
		}
		if !lease.Valid(time.Time{}) || !lease.Valid(far) {
			t.Errorf("partition %d lease is not valid", i)
		}
		if closed(lease.Lost()) {
			t.Errorf("partition %d lease is lost", i)
		}
	}
	if signalled(l.Changes()) {
		t.Error("Changes signalled before anything changed")
	}
}

func TestLocalLeaserConfig(t *testing.T) {
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: 4, Epoch: 42})
	held := l.Held()
	if len(held) != 4 || l.Partitions() != 4 {
		t.Fatalf("Held %d leases of %d partitions, want 4 of 4", len(held), l.Partitions())
	}
	for _, lease := range held {
		if lease.Epoch() != 42 {
			t.Errorf("partition %d epoch = %d, want 42", lease.Partition(), lease.Epoch())
		}
	}
}

func TestLocalLeaserRevokeAndGrant(t *testing.T) {
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: 4})
	before := l.Held()

	l.Revoke(1, 3, 3)
	if !signalled(l.Changes()) {
		t.Fatal("Revoke did not signal Changes")
	}
	for _, p := range []int{1, 3} {
		if before[p].Valid(time.Time{}) || !closed(before[p].Lost()) {
			t.Errorf("revoked partition %d lease is still valid or not lost", p)
		}
	}
	if !before[0].Valid(time.Time{}) || closed(before[0].Lost()) {
		t.Error("partition 0 lease was lost by revoking others")
	}
	if got := partitionsOf(l.Held()); !equal(got, []int{0, 2}) {
		t.Fatalf("Held after Revoke(1, 3) = %v, want [0 2]", got)
	}

	l.Revoke(1) // not held: no change, no signal
	if signalled(l.Changes()) {
		t.Error("revoking a partition not held signalled Changes")
	}

	l.Grant(3, 0) // 0 is held: ignored
	if !signalled(l.Changes()) {
		t.Fatal("Grant did not signal Changes")
	}
	held := l.Held()
	if got := partitionsOf(held); !equal(got, []int{0, 2, 3}) {
		t.Fatalf("Held after Grant(3) = %v, want [0 2 3]", got)
	}
	if held[0] != before[0] || held[0].Epoch() != 1 {
		t.Error("Grant of a held partition replaced its lease")
	}
	if held[2].Epoch() != 2 || !held[2].Valid(time.Time{}) {
		t.Errorf("re-acquired partition 3 has epoch %d, want 2 and valid", held[2].Epoch())
	}
	if before[3].Valid(time.Time{}) {
		t.Error("the old lease of partition 3 became valid again")
	}
}

func TestLocalLeaserSignalsCoalesce(t *testing.T) {
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: 4})
	l.Revoke(0)
	l.Revoke(1)
	l.Grant(0)
	if !signalled(l.Changes()) {
		t.Fatal("no signal after three changes")
	}
	if signalled(l.Changes()) {
		t.Fatal("three changes left more than one signal, want them coalesced")
	}
}

func TestLocalLeaserRelease(t *testing.T) {
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: 8})
	before := l.Held()
	ctx := t.Context()
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if !signalled(l.Changes()) {
		t.Error("Release did not signal Changes")
	}
	if got := l.Held(); len(got) != 0 {
		t.Errorf("Held after Release returned %d leases, want none", len(got))
	}
	for _, lease := range before {
		if lease.Valid(time.Time{}) || !closed(lease.Lost()) {
			t.Errorf("partition %d lease survived Release", lease.Partition())
		}
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if signalled(l.Changes()) {
		t.Error("a second Release signalled Changes")
	}
}

func TestLocalLeaserPanicsOutOfRange(t *testing.T) {
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: 4})
	for _, p := range []int{-1, 4} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Revoke(%d) did not panic", p)
				}
			}()
			l.Revoke(p)
		}()
	}
	if got := len(l.Held()); got != 4 {
		t.Errorf("a refused Revoke changed the held set to %d leases", got)
	}
}

func TestLocalLeaserConcurrentUse(t *testing.T) {
	l := engine.NewLocalLeaser(engine.LocalLeaserConfig{Partitions: 16})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range l.Changes() {
			for _, lease := range l.Held() {
				lease.Valid(time.Now())
			}
			if len(l.Held()) == 16 {
				return
			}
		}
	}()
	for i := range 100 {
		l.Revoke(i % 16)
		l.Grant(i % 16)
	}
	l.Revoke(0) // make sure the last signal comes after all are held again
	l.Grant(0)
	<-done
}

func partitionsOf(leases []engine.Lease) []int {
	out := make([]int, len(leases))
	for i, lease := range leases {
		out[i] = lease.Partition()
	}
	return out
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
