package host_test

import (
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/host"
)

func TestCallReportsMemory(t *testing.T) {
	rt := newRuntime(t, nil)
	comp := compileFixture(t, rt, 0)
	limit := uint64(host.DefaultMemoryPages) * 64 << 10

	// Each namespace has its own pool, so each first call gets a fresh
	// instance.
	small, err := comp.Call(t.Context(), host.CallRequest{Namespace: "small", Input: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if small.MemoryBytes == 0 || small.MemoryBytes > limit || small.MemoryBytes%(64<<10) != 0 {
		t.Fatalf("execute: MemoryBytes = %d, want whole 64 KiB pages in (0, %d]", small.MemoryBytes, limit)
	}
	big, err := comp.Call(t.Context(), host.CallRequest{Namespace: "big", Function: "bigout", Limits: host.Limits{MaxOutputBytes: 4 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	if big.MemoryBytes <= small.MemoryBytes || big.MemoryBytes > limit {
		t.Fatalf("bigout (3 MiB) reports %d bytes of memory, execute %d: want more, at most %d", big.MemoryBytes, small.MemoryBytes, limit)
	}
	// Memory never shrinks: a small call on the instance bigout grew
	// reports at least as much.
	after, err := comp.Call(t.Context(), host.CallRequest{Namespace: "big", Input: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if st := rt.Stats(); st.Instantiated != 2 {
		t.Fatalf("stats = %+v: want the second call on big to reuse its instance", st)
	}
	if after.MemoryBytes < big.MemoryBytes {
		t.Fatalf("execute after bigout on one instance reports %d bytes, bigout %d: memory shrank", after.MemoryBytes, big.MemoryBytes)
	}

	// A trap still reports the size the instance had reached.
	res, err := comp.Call(t.Context(), host.CallRequest{Namespace: "trap", Function: "trap"})
	wantKind(t, err, host.KindTrap, "plugin trapped")
	if res.MemoryBytes == 0 || res.MemoryBytes > limit {
		t.Fatalf("trap: MemoryBytes = %d, want in (0, %d]", res.MemoryBytes, limit)
	}
}

func TestOutOfMemoryReportsTheLimit(t *testing.T) {
	rt := newRuntime(t, nil)
	comp := compileFixture(t, rt, 256)
	res, err := comp.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "alloc", Limits: host.Limits{Timeout: 30 * time.Second}})
	wantKind(t, err, host.KindTrap, "settings.wasm.memory_pages")
	if want := uint64(256) * 64 << 10; res.MemoryBytes != want {
		t.Fatalf("alloc past 256 pages: MemoryBytes = %d, want the limit %d", res.MemoryBytes, want)
	}
}
