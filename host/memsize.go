package host

import (
	"reflect"
	"unsafe"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero/api"
)

// The Extism go-sdk keeps the plugin's own wazero module in the unexported
// field Plugin.mainModule and exposes no accessor for it: Plugin.Memory()
// is the memory of the Extism kernel (input, output, vars), not the
// plugin's, and Plugin.Module() wraps the module without its memory. So the
// host reads the field at the offset reflection finds, checking its name
// and type first; should a go-sdk release rename or retype it, the size is
// reported as unknown (0) rather than read wrongly, and
// TestCallReportsMemory fails.
var mainModuleOffset, mainModuleFound = func() (uintptr, bool) {
	f, ok := reflect.TypeFor[extism.Plugin]().FieldByName("mainModule")
	if !ok || f.Type != reflect.TypeFor[api.Module]() {
		return 0, false
	}
	return f.Offset, true
}()

// memoryBytes returns the size in bytes of the plugin's own linear memory
// (the main module's, not the Extism kernel's), or 0 when it cannot be
// read. Wasm memory never shrinks, so this is the most the instance has
// grown to so far.
func memoryBytes(p *extism.Plugin) uint64 {
	if p == nil || !mainModuleFound {
		return 0
	}
	m := *(*api.Module)(unsafe.Add(unsafe.Pointer(p), mainModuleOffset))
	if m == nil {
		return 0
	}
	mem := m.Memory()
	if mem == nil {
		return 0
	}
	// Growing by 0 pages is Wasm's memory.size: the current size in pages,
	// changing nothing. Size() would wrap at 4 GiB, a valid limit.
	pages, _ := mem.Grow(0)
	return uint64(pages) * 65536
}
