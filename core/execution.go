package core

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ExecutionStatus is where an execution is in its lifecycle.
type ExecutionStatus string

// Execution statuses. Pending and running are live; the rest are final.
const (
	// StatusPending: claimed for its instant, not started yet.
	StatusPending ExecutionStatus = "pending"
	// StatusRunning: the executor is running it.
	StatusRunning ExecutionStatus = "running"
	// StatusSucceeded: the executor finished without error.
	StatusSucceeded ExecutionStatus = "succeeded"
	// StatusFailed: the executor returned an error.
	StatusFailed ExecutionStatus = "failed"
	// StatusTimedOut: the attempt ran past the task's timeout.
	StatusTimedOut ExecutionStatus = "timed_out"
	// StatusCanceled: a person or the replace policy canceled it.
	StatusCanceled ExecutionStatus = "canceled"
	// StatusSkipped: the instant was not run; Reason says why.
	StatusSkipped ExecutionStatus = "skipped"
	// StatusInterrupted: its node stopped or died while it ran.
	StatusInterrupted ExecutionStatus = "interrupted"
)

// ExecutionStatuses lists every status, live ones first.
var ExecutionStatuses = []ExecutionStatus{
	StatusPending, StatusRunning, StatusSucceeded, StatusFailed,
	StatusTimedOut, StatusCanceled, StatusSkipped, StatusInterrupted,
}

// Valid reports whether s is a known status.
func (s ExecutionStatus) Valid() bool {
	for _, known := range ExecutionStatuses {
		if s == known {
			return true
		}
	}
	return false
}

// Final reports whether s is an end state that never changes again.
func (s ExecutionStatus) Final() bool {
	return s.Valid() && s != StatusPending && s != StatusRunning
}

// TriggerKind says why an execution exists.
type TriggerKind string

// Trigger kinds.
const (
	// TriggerSchedule: the schedule reached the instant.
	TriggerSchedule TriggerKind = "schedule"
	// TriggerCatchUp: a missed instant run late by the misfire policy.
	TriggerCatchUp TriggerKind = "catch_up"
	// TriggerManual: a person or client asked for a run now.
	TriggerManual TriggerKind = "manual"
)

// Valid reports whether k is a known trigger kind.
func (k TriggerKind) Valid() bool {
	return k == TriggerSchedule || k == TriggerCatchUp || k == TriggerManual
}

// Scheduled reports whether k stands for a scheduled instant (on time or
// late). Scheduled instants share one fence per (task, instant, attempt):
// an instant caught up after downtime cannot also fire on time.
func (k TriggerKind) Scheduled() bool { return k == TriggerSchedule || k == TriggerCatchUp }

// Execution is one attempt to run a task for one instant. The store keeps it
// unique per (task, scheduled instant, attempt) among scheduled instants;
// that key, not any lease, is what makes a fire happen exactly once.
type Execution struct {
	// ID is assigned by the store (a UUIDv7, so IDs sort by creation). It is
	// stable across retries of the store call and is what plugins pass on as
	// an idempotency key.
	ID string `json:"id"`
	// Namespace is the task's namespace.
	Namespace string `json:"namespace"`
	// TaskID is the ID of the task.
	TaskID string `json:"task_id"`
	// TaskName is the task's name when the execution was created.
	TaskName string `json:"task_name"`
	// ScheduledAt is the instant this execution stands for (the trigger time
	// for manual runs), truncated to the millisecond.
	ScheduledAt time.Time `json:"scheduled_at"`
	// Trigger says why the execution exists.
	Trigger TriggerKind `json:"trigger"`
	// Attempt counts from 1; retries are later attempts of the same instant.
	Attempt int `json:"attempt"`
	// FirstExecutionID links a retry to the first attempt; empty on it.
	FirstExecutionID string `json:"first_execution_id,omitempty"`
	// Node is the node that claimed or ran the execution.
	Node string `json:"node,omitempty"`
	// Status is where the execution is in its lifecycle.
	Status ExecutionStatus `json:"status"`
	// Reason says why an execution was skipped or interrupted.
	Reason string `json:"reason,omitempty"`
	// FencingToken is the partition epoch under which it was claimed.
	FencingToken int64 `json:"fencing_token"`
	// CreatedAt is when the execution was claimed.
	CreatedAt time.Time `json:"created_at"`
	// StartedAt is when the executor started it; zero until then.
	StartedAt time.Time `json:"started_at,omitzero"`
	// FinishedAt is when it reached a final status; zero until then.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Output is what the executor returned (usually JSON), possibly cut to
	// the output limit.
	Output string `json:"output,omitempty"`
	// Error is the failure message of a failed or timed-out execution.
	Error string `json:"error,omitempty"`
}

// LogLine is one line an execution logged.
type LogLine struct {
	// ExecutionID is the execution that logged the line.
	ExecutionID string `json:"execution_id"`
	// Seq numbers the lines of one execution from 1, in order.
	Seq int64 `json:"seq"`
	// Time is when the line was logged.
	Time time.Time `json:"time"`
	// Level is debug, info, warn or error.
	Level string `json:"level"`
	// Message is the text, at most MaxLogLineBytes long.
	Message string `json:"message"`
}

// MaxLogLineBytes is the longest log line kept; longer ones are cut.
const MaxLogLineBytes = 1024

// CleanLogLine makes msg valid UTF-8 (invalid bytes become U+FFFD) and cuts
// it to MaxLogLineBytes on a rune boundary. Every path that stores or
// forwards a log line applies it.
func CleanLogLine(msg string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if len(msg) <= MaxLogLineBytes {
		return msg
	}
	cut := MaxLogLineBytes
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}
