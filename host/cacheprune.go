package host

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultCacheUnusedFor is how long an entry of the compilation cache may
// go unused before Runtime.PruneCache deletes it.
const DefaultCacheUnusedFor = 30 * 24 * time.Hour

// CachePruneStats says what Runtime.PruneCache deleted and kept.
type CachePruneStats struct {
	// Removed and Freed count the entries deleted and their bytes.
	Removed int
	Freed   int64
	// Kept and KeptBytes count the entries left.
	Kept      int
	KeptBytes int64
}

// PruneCache deletes the entries of the on-disk compilation cache that have
// gone unused for unusedFor (neither read nor written since now minus
// unusedFor), and the directories of wazero versions left empty. Nothing
// else prunes the cache, and each build of a plugin adds an entry (69 MB
// of native code for the script plugin): without this, every upgrade of
// Kronos or change of a plugin would leave its predecessor's behind.
//
// "Read" is the file's access time, as the file system keeps it: under
// relatime (Linux's default) it moves at most once a day, which is plenty
// for a month; under noatime an entry in use is deleted unusedFor after it
// was written and compiled again, once, at the next start. Only files laid
// out as wazero lays out its cache (a 64-hex-digit name in a directory
// named wazero-*) are touched, so a cache directory set to a shared
// directory by mistake loses nothing else. Without a cache directory it
// does nothing.
func (rt *Runtime) PruneCache(now time.Time, unusedFor time.Duration) (CachePruneStats, error) {
	var st CachePruneStats
	dir := rt.cfg.CacheDir
	if dir == "" {
		return st, nil
	}
	versions, err := os.ReadDir(dir)
	if err != nil {
		return st, fmt.Errorf("wasm host: prune compilation cache %s: %w", dir, err)
	}
	cutoff := now.Add(-unusedFor)
	var errs []error
	for _, v := range versions {
		if !v.IsDir() || !strings.HasPrefix(v.Name(), "wazero-") {
			continue
		}
		vdir := filepath.Join(dir, v.Name())
		entries, err := os.ReadDir(vdir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		left := 0
		for _, e := range entries {
			if !isCacheEntry(e) {
				left++
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // another process pruned it meanwhile
			} else if err != nil {
				errs = append(errs, err)
				left++
				continue
			}
			used := info.ModTime()
			if at := accessTime(info); at.After(used) {
				used = at
			}
			if !used.Before(cutoff) {
				st.Kept++
				st.KeptBytes += info.Size()
				left++
				continue
			}
			if err := os.Remove(filepath.Join(vdir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				left++
				continue
			}
			st.Removed++
			st.Freed += info.Size()
		}
		if left == 0 {
			_ = os.Remove(vdir) // fails harmlessly if an entry arrived meanwhile
		}
	}
	if err := errors.Join(errs...); err != nil {
		return st, fmt.Errorf("wasm host: prune compilation cache %s: %w", dir, err)
	}
	return st, nil
}

// isCacheEntry reports whether e is named as wazero names a cache entry:
// the hex of a SHA-256.
func isCacheEntry(e fs.DirEntry) bool {
	if !e.Type().IsRegular() || len(e.Name()) != 64 {
		return false
	}
	_, err := hex.DecodeString(e.Name())
	return err == nil
}
