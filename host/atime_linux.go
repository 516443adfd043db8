package host

import (
	"io/fs"
	"syscall"
	"time"
)

// accessTime returns the file's last access time, or zero if unknown.
func accessTime(info fs.FileInfo) time.Time {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}
	}
	return time.Unix(int64(st.Atim.Sec), int64(st.Atim.Nsec)) //nolint:unconvert // int32 on some 32-bit platforms
}
