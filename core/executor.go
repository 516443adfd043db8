package core

import (
	"context"
	"time"
)

// ExecuteRequest is one attempt handed to an Executor.
type ExecuteRequest struct {
	// Task is the task, with its config resolved (defaults applied).
	Task Task
	// Settings are the settings of the task's namespace: its plugin limits
	// and network policy.
	Settings NamespaceSettings
	// Execution is the attempt being run; its ID is the idempotency key
	// that executors pass on.
	Execution Execution
	// Log receives each line the execution logs, with its level (debug,
	// info, warn or error). Nil discards them.
	Log func(level, message string)
}

// ExecuteResult is how an attempt ended.
type ExecuteResult struct {
	// Status is succeeded, failed, timed_out or canceled.
	Status ExecutionStatus
	// Output is what the executor returned (usually JSON).
	Output string
	// Error explains a status other than succeeded.
	Error string
	// Duration is how long the executor ran.
	Duration time.Duration
}

// Executor runs executions. The engine sees executors only through this
// interface; the Wasm host implements it.
type Executor interface {
	// Execute runs one attempt until it ends or ctx does.
	Execute(ctx context.Context, req ExecuteRequest) ExecuteResult
	// ValidateConfig checks that t's executor exists in its namespace and
	// that t's config suits it. It fails with a *ValidationError whose
	// fields are "executor" or paths under "config".
	ValidateConfig(ctx context.Context, t Task) error
}
