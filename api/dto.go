package api

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shiyu-coder/kronos/core"
)

// duration parses a Go duration string of the request body; "" is zero.
func duration(field, s string, errs *[]*core.FieldError) time.Duration {
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		*errs = append(*errs, &core.FieldError{Field: field, Message: fmt.Sprintf("%q is not a duration: write it as 30s, 5m or 1h30m", s)})
		return 0
	}
	return d
}

// durationString formats a duration for a response; zero is "".
func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// RetryBody is a task's retry policy.
type RetryBody struct {
	MaxAttempts    int     `json:"max_attempts,omitempty" minimum:"1" maximum:"100" doc:"Attempts in all, the first included: 1 means no retry." example:"3"`
	InitialBackoff string  `json:"initial_backoff,omitempty" doc:"Delay before the second attempt (Go duration)." example:"10s"`
	MaxBackoff     string  `json:"max_backoff,omitempty" doc:"Cap on the delay between attempts (Go duration)." example:"5m"`
	Multiplier     float64 `json:"multiplier,omitempty" doc:"Growth of the delay after each attempt." example:"2"`
	Jitter         float64 `json:"jitter,omitempty" minimum:"0" maximum:"1" doc:"Fraction of each delay that is randomised." example:"0.2"`
}

// TaskInput is a task as written by a client. Fields left out take their
// defaults. The seed's shape is accepted too: `cron` for `schedule` and
// `type` for `executor`.
type TaskInput struct {
	Name        string            `json:"name,omitempty" doc:"Unique in the namespace: lower-case letters, digits, '_' and '-'. Required to create; on replace, the path names the task." example:"daily_backup"`
	Description string            `json:"description,omitempty" doc:"What the task is for."`
	Labels      map[string]string `json:"labels,omitempty" doc:"Key-value pairs to select tasks by." example:"{\"team\":\"ops\"}"`
	Schedule    string            `json:"schedule,omitempty" doc:"5- or 6-field cron, a descriptor (@daily, @every 30s), @at <RFC 3339 time>, or empty for manual runs only." example:"0 2 * * *"`
	Cron        string            `json:"cron,omitempty" doc:"Alias of schedule."`
	TimeZone    string            `json:"timezone,omitempty" doc:"IANA time zone of the schedule; UTC when empty." example:"Asia/Shanghai"`
	Executor    string            `json:"executor,omitempty" doc:"Executor plugin: http, or a plugin uploaded to the namespace." example:"http"`
	Type        string            `json:"type,omitempty" doc:"Alias of executor."`
	Config      json.RawMessage   `json:"config,omitempty" doc:"The executor's config, checked against its plugin's schema."`
	Timeout     string            `json:"timeout,omitempty" doc:"Bound on one attempt (Go duration); 5m when empty." example:"30s"`
	Retry       *RetryBody        `json:"retry,omitempty" doc:"How failed attempts are retried."`
	Concurrency string            `json:"concurrency,omitempty" enum:"allow,forbid,replace" doc:"What happens when an instant comes while an earlier execution runs."`
	Misfire     string            `json:"misfire,omitempty" enum:"skip,run_once,catch_up" doc:"What happens to instants missed while no node ran the task."`
	CatchUpLim  int               `json:"catch_up_limit,omitempty" minimum:"0" maximum:"1000" doc:"Most missed instants catch_up runs late."`
	Paused      bool              `json:"paused,omitempty" doc:"A paused task does not fire; manual triggers still run."`
	StartAt     *time.Time        `json:"start_at,omitempty" doc:"No instant before this time fires."`
	EndAt       *time.Time        `json:"end_at,omitempty" doc:"No instant after this time fires."`
}

// task turns the input into a core task of namespace. Alias conflicts and
// unparsable durations are field errors.
func (in *TaskInput) task(namespace string) (core.Task, error) {
	var errs []*core.FieldError
	t := core.Task{
		Namespace: namespace, Name: in.Name, Description: in.Description, Labels: in.Labels,
		Schedule: in.Schedule, TimeZone: in.TimeZone, Executor: in.Executor, Config: in.Config,
		Concurrency: core.ConcurrencyPolicy(in.Concurrency), Misfire: core.MisfirePolicy(in.Misfire),
		CatchUpLimit: in.CatchUpLim, Paused: in.Paused,
	}
	switch {
	case in.Cron != "" && in.Schedule != "" && in.Cron != in.Schedule:
		errs = append(errs, &core.FieldError{Field: "cron", Message: "is an alias of schedule: give one of them"})
	case in.Cron != "":
		t.Schedule = in.Cron
	}
	switch {
	case in.Type != "" && in.Executor != "" && in.Type != in.Executor:
		errs = append(errs, &core.FieldError{Field: "type", Message: "is an alias of executor: give one of them"})
	case in.Type != "":
		t.Executor = in.Type
	}
	t.Timeout = duration("timeout", in.Timeout, &errs)
	if r := in.Retry; r != nil {
		t.Retry = core.RetryPolicy{
			MaxAttempts: r.MaxAttempts, Multiplier: r.Multiplier, Jitter: r.Jitter,
			InitialBackoff: duration("retry.initial_backoff", r.InitialBackoff, &errs),
			MaxBackoff:     duration("retry.max_backoff", r.MaxBackoff, &errs),
		}
	}
	if in.StartAt != nil {
		t.StartAt = *in.StartAt
	}
	if in.EndAt != nil {
		t.EndAt = *in.EndAt
	}
	if len(t.Config) == 0 || string(t.Config) == "null" {
		t.Config = json.RawMessage(`{}`)
	}
	if len(errs) > 0 {
		return t, &core.ValidationError{What: fmt.Sprintf("task %q", in.Name), Fields: errs}
	}
	return t, nil
}

// Task is a task as the API returns it.
type Task struct {
	ID           string            `json:"id" doc:"Stable ID, assigned by the server."`
	Namespace    string            `json:"namespace"`
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Schedule     string            `json:"schedule" doc:"Empty: manual runs only."`
	TimeZone     string            `json:"timezone"`
	Executor     string            `json:"executor"`
	Config       json.RawMessage   `json:"config"`
	Timeout      string            `json:"timeout"`
	Retry        RetryBody         `json:"retry"`
	Concurrency  string            `json:"concurrency"`
	Misfire      string            `json:"misfire"`
	CatchUpLimit int               `json:"catch_up_limit"`
	Paused       bool              `json:"paused"`
	StartAt      *time.Time        `json:"start_at,omitempty"`
	EndAt        *time.Time        `json:"end_at,omitempty"`
	Version      int64             `json:"version" doc:"Increases on every change; send it back (or If-Match) to update safely."`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	// Read-only state, in list-tasks and get-task answers.
	NextFireAt    *time.Time        `json:"next_fire_at,omitempty" readOnly:"true" doc:"The schedule's next instant from now inside the task's window; absent when paused, manual-only or past end_at. In list-tasks and get-task only."`
	LastExecution *ExecutionSummary `json:"last_execution,omitempty" readOnly:"true" doc:"The task's latest execution that started (running or ended), scheduled or manual. In list-tasks and get-task only."`
}

// ExecutionSummary is an execution without its output: a task's last
// result.
type ExecutionSummary struct {
	ID          string     `json:"id"`
	Status      string     `json:"status" enum:"pending,running,succeeded,failed,timed_out,canceled,skipped,interrupted"`
	Trigger     string     `json:"trigger" enum:"schedule,catch_up,manual"`
	Attempt     int        `json:"attempt"`
	ScheduledAt time.Time  `json:"scheduled_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	DurationMS  *int64     `json:"duration_ms,omitempty"`
	Error       string     `json:"error,omitempty" doc:"The first 200 characters of the error, if any."`
}

func executionSummary(x core.Execution) *ExecutionSummary {
	full := executionOut(x)
	errMsg := x.Error
	if r := []rune(errMsg); len(r) > 200 {
		errMsg = string(r[:200]) + "…"
	}
	return &ExecutionSummary{
		ID: x.ID, Status: full.Status, Trigger: full.Trigger, Attempt: x.Attempt, ScheduledAt: x.ScheduledAt,
		StartedAt: full.StartedAt, FinishedAt: full.FinishedAt, DurationMS: full.DurationMS, Error: errMsg,
	}
}

func taskOut(t core.Task) Task {
	out := Task{
		ID: t.ID, Namespace: t.Namespace, Name: t.Name, Description: t.Description, Labels: t.Labels,
		Schedule: t.Schedule, TimeZone: t.TimeZone, Executor: t.Executor, Config: t.Config,
		Timeout: durationString(t.Timeout),
		Retry: RetryBody{
			MaxAttempts: t.Retry.MaxAttempts, InitialBackoff: durationString(t.Retry.InitialBackoff),
			MaxBackoff: durationString(t.Retry.MaxBackoff), Multiplier: t.Retry.Multiplier, Jitter: t.Retry.Jitter,
		},
		Concurrency: string(t.Concurrency), Misfire: string(t.Misfire), CatchUpLimit: t.CatchUpLimit,
		Paused: t.Paused, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	if !t.StartAt.IsZero() {
		out.StartAt = &t.StartAt
	}
	if !t.EndAt.IsZero() {
		out.EndAt = &t.EndAt
	}
	return out
}

// Execution is one run of a task.
type Execution struct {
	ID               string     `json:"id" doc:"Stable ID; executors pass it on as an idempotency key."`
	Namespace        string     `json:"namespace"`
	TaskID           string     `json:"task_id"`
	TaskName         string     `json:"task_name"`
	ScheduledAt      time.Time  `json:"scheduled_at" doc:"The instant it ran for (the trigger time for manual runs)."`
	Trigger          string     `json:"trigger" enum:"schedule,catch_up,manual"`
	Attempt          int        `json:"attempt"`
	FirstExecutionID string     `json:"first_execution_id,omitempty" doc:"For a retry: the first attempt."`
	Node             string     `json:"node,omitempty"`
	Status           string     `json:"status" enum:"pending,running,succeeded,failed,timed_out,canceled,skipped,interrupted"`
	Reason           string     `json:"reason,omitempty" doc:"Why it was skipped or interrupted."`
	StartedAt        *time.Time `json:"started_at,omitempty"`
	FinishedAt       *time.Time `json:"finished_at,omitempty"`
	DurationMS       *int64     `json:"duration_ms,omitempty"`
	Output           string     `json:"output,omitempty"`
	Error            string     `json:"error,omitempty"`
}

func executionOut(x core.Execution) Execution {
	out := Execution{
		ID: x.ID, Namespace: x.Namespace, TaskID: x.TaskID, TaskName: x.TaskName, ScheduledAt: x.ScheduledAt,
		Trigger: string(x.Trigger), Attempt: x.Attempt, FirstExecutionID: x.FirstExecutionID, Node: x.Node,
		Status: string(x.Status), Reason: x.Reason, Output: x.Output, Error: x.Error,
	}
	if !x.StartedAt.IsZero() {
		out.StartedAt = &x.StartedAt
	}
	if !x.FinishedAt.IsZero() {
		out.FinishedAt = &x.FinishedAt
	}
	if !x.StartedAt.IsZero() && !x.FinishedAt.IsZero() {
		d := x.FinishedAt.Sub(x.StartedAt).Milliseconds()
		out.DurationMS = &d
	}
	return out
}

// LogLine is one line an execution logged.
type LogLine struct {
	ExecutionID string    `json:"execution_id"`
	Seq         int64     `json:"seq" doc:"Position in the execution's log, from 1."`
	Time        time.Time `json:"time"`
	Level       string    `json:"level" example:"info"`
	Message     string    `json:"message"`
}

func logOut(l core.LogLine) LogLine {
	return LogLine{ExecutionID: l.ExecutionID, Seq: l.Seq, Time: l.Time, Level: l.Level, Message: l.Message}
}
