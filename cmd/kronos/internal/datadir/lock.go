package datadir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// LockFile is the name of the lock file inside the data dir. It also holds
// the holder's [Owner] record as JSON.
const LockFile = "kronos.lock"

// ownerReadWait bounds how long a refused Acquire waits for the holder to
// finish writing its owner record (it writes right after it locks).
const ownerReadWait = time.Second

// Owner describes the server that holds a data dir.
type Owner struct {
	// PID is the holder's process ID.
	PID int `json:"pid"`
	// Host is the holder's host name.
	Host string `json:"host"`
	// Addr is the HTTP address the holder serves.
	Addr string `json:"addr"`
	// Started is when the holder took the lock.
	Started time.Time `json:"started"`
	// Version is the holder's Kronos version.
	Version string `json:"version,omitempty"`
}

// InUseError is returned by [Acquire] when another process holds the lock.
type InUseError struct {
	// Dir is the data dir as given to Acquire.
	Dir string
	// Owner is the holder's record; the zero value when it could not be read.
	Owner Owner
	// OwnerErr says why Owner could not be read, or is nil.
	OwnerErr error
}

// Error names the data dir and, when known, the process that holds it.
func (e *InUseError) Error() string {
	if e.OwnerErr != nil {
		return fmt.Sprintf("data dir %q is in use by another process (who holds it is unknown: %v)", e.Dir, e.OwnerErr)
	}
	o := e.Owner
	return fmt.Sprintf("data dir %q is in use by kronos pid %d on host %s (serving %s, started %s)",
		e.Dir, o.PID, o.Host, o.Addr, o.Started.UTC().Format(time.RFC3339))
}

// Lock is a held data dir lock. Release it when the server stops; the
// operating system releases it if the process dies first.
type Lock struct {
	dir  string
	path string
	fl   *flock.Flock
}

// Acquire creates dir (mode 0700) if it is missing, takes the exclusive lock
// on it without waiting, and records owner in the lock file. When another
// process holds the lock it returns an [*InUseError] naming that process.
func Acquire(dir string, owner Owner) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %q: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	// Read-write, so that the lock also works where flock is emulated with
	// fcntl (NFS), which needs a writable descriptor for an exclusive lock.
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock data dir %q: %w", dir, err)
	}
	if !ok {
		holder, rerr := readOwner(path, ownerReadWait)
		return nil, &InUseError{Dir: dir, Owner: holder, OwnerErr: rerr}
	}
	l := &Lock{dir: dir, path: path, fl: fl}
	if err := l.SetOwner(owner); err != nil {
		return nil, errors.Join(err, fl.Unlock())
	}
	return l, nil
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// SetOwner replaces the owner record, for example once the server knows the
// address it actually listens on.
func (l *Lock) SetOwner(owner Owner) error {
	b, err := json.Marshal(owner)
	if err != nil {
		return fmt.Errorf("encode data dir owner: %w", err)
	}
	b = append(b, '\n')
	// A second descriptor: closing it does not drop the flock, which belongs
	// to the descriptor held by l.fl.
	f, err := os.OpenFile(l.path, os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("record data dir owner: %w", err)
	}
	if err := f.Truncate(0); err != nil {
		return errors.Join(fmt.Errorf("record data dir owner in %s: %w", l.path, err), f.Close())
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return errors.Join(fmt.Errorf("record data dir owner in %s: %w", l.path, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("record data dir owner in %s: %w", l.path, err)
	}
	return nil
}

// Release clears the owner record and drops the lock. The lock file stays:
// removing it would let two processes lock two different files of the same
// name.
func (l *Lock) Release() error {
	var errs []error
	if err := os.Truncate(l.path, 0); err != nil {
		errs = append(errs, fmt.Errorf("clear data dir owner in %s: %w", l.path, err))
	}
	if err := l.fl.Unlock(); err != nil {
		errs = append(errs, fmt.Errorf("unlock data dir %q: %w", l.dir, err))
	}
	return errors.Join(errs...)
}

// readOwner reads the owner record in the lock file at path. The holder
// writes it just after it takes the lock, so an empty or partial record is
// read again until it parses or wait has passed.
func readOwner(path string, wait time.Duration) (Owner, error) {
	deadline := time.Now().Add(wait)
	for {
		o, err := parseOwner(path)
		if err == nil || time.Now().After(deadline) {
			return o, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func parseOwner(path string) (Owner, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Owner{}, err
	}
	if len(b) == 0 {
		return Owner{}, fmt.Errorf("%s is empty", path)
	}
	var o Owner
	if err := json.Unmarshal(b, &o); err != nil {
		return Owner{}, fmt.Errorf("%s: %w", path, err)
	}
	if o.PID <= 0 {
		return Owner{}, fmt.Errorf("%s names no pid", path)
	}
	return o, nil
}
