// Package datadir owns a Kronos server's data directory: it creates it,
// locks it so that only one server uses it at a time, records who holds it,
// and keeps the node's ID there.
//
// The lock is an exclusive, non-blocking flock(2) on <dir>/kronos.lock. The
// operating system releases it when the process exits, however it exits, so
// a crashed server never leaves a stale lock behind: the file may remain, the
// lock does not. The holder writes its pid, host, address and start time into
// the lock file as JSON, so that a refused second server can say who holds
// the directory.
package datadir
