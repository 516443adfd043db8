package datadir_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/cmd/kronos/internal/datadir"
)

// helperEnv makes the test binary act as a lock holder (see TestMain).
const helperEnv = "KRONOS_DATADIR_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		holdLock(dir)
		return
	}
	os.Exit(m.Run())
}

// holdLock takes the lock on dir, prints "locked", and holds it until stdin
// closes or the process is killed.
func holdLock(dir string) {
	l, err := datadir.Acquire(dir, owner(os.Getpid(), ":9999"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	if err := l.Release(); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func owner(pid int, addr string) datadir.Owner {
	return datadir.Owner{
		PID: pid, Host: "testhost", Addr: addr,
		Started: time.Date(2026, 11, 25, 20, 1, 2, 0, time.UTC), Version: "test",
	}
}

func TestAcquireCreatesDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "kronos-data")
	l, err := datadir.Acquire(dir, owner(os.Getpid(), ":8080"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release() })
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode %v, want 0700", perm)
	}
	b, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), fmt.Sprintf(`"pid":%d`, os.Getpid())) {
		t.Errorf("lock file %q does not record our pid", b)
	}
}

// flock(2) locks belong to an open file description, so a second Acquire in
// the same process, which opens the file again, is refused like another
// process would be. This test relies on that (Linux, BSD, macOS).
func TestAcquireInProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := datadir.Acquire(dir, owner(12345, ":8080"))
	if err != nil {
		t.Fatal(err)
	}

	_, err = datadir.Acquire(dir, owner(999, ":8081"))
	var inUse *datadir.InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("second Acquire: got %v, want an *InUseError", err)
	}
	if inUse.Owner.PID != 12345 || inUse.Owner.Addr != ":8080" {
		t.Errorf("holder %+v, want pid 12345 serving :8080", inUse.Owner)
	}
	want := fmt.Sprintf(`data dir %q is in use by kronos pid 12345 on host testhost (serving :8080, started 2026-11-25T20:01:02Z)`, dir)
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}

	if err := first.SetOwner(owner(12345, "127.0.0.1:41234")); err != nil {
		t.Fatal(err)
	}
	_, err = datadir.Acquire(dir, owner(999, ":8081"))
	if !errors.As(err, &inUse) || inUse.Owner.Addr != "127.0.0.1:41234" {
		t.Errorf("after SetOwner: got %v, want the holder to serve 127.0.0.1:41234", err)
	}

	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := datadir.Acquire(dir, owner(999, ":8081"))
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if err := again.Release(); err != nil {
		t.Fatal(err)
	}
}

// A lock file left behind (a crash, or an old owner record) does not block:
// only a held lock does.
func TestAcquireIgnoresLeftoverFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	leftover := `{"pid":4242,"host":"gone","addr":":8080","started":"2026-01-01T00:00:00Z"}`
	if err := os.WriteFile(filepath.Join(dir, datadir.LockFile), []byte(leftover), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := datadir.Acquire(dir, owner(os.Getpid(), ":8080"))
	if err != nil {
		t.Fatalf("Acquire over a leftover lock file: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// When the holder has not written (or cannot write) its record, the error
// still says the dir is in use, and why the holder is unknown.
func TestAcquireUnknownOwner(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := datadir.Acquire(dir, owner(12345, ":8080"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Release() })
	if err := os.Truncate(first.Path(), 0); err != nil {
		t.Fatal(err)
	}
	_, err = datadir.Acquire(dir, owner(999, ":8081"))
	var inUse *datadir.InUseError
	if !errors.As(err, &inUse) || inUse.OwnerErr == nil {
		t.Fatalf("got %v, want an *InUseError with OwnerErr", err)
	}
	if !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("error %q does not say the dir is in use", err)
	}
}

// Another process holds the lock; when it dies without releasing, the
// operating system drops the lock and the dir can be taken.
func TestAcquireOtherProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper said %q, %v; want \"locked\"", line, err)
	}

	_, err = datadir.Acquire(dir, owner(os.Getpid(), ":8081"))
	if err == nil || !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("Acquire while another process holds the lock: got %v, want an error naming pid %d", err, cmd.Process.Pid)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := datadir.Acquire(dir, owner(os.Getpid(), ":8081"))
	if err != nil {
		t.Fatalf("Acquire after the holder died: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}
