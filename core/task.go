package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/shiyu-coder/kronos/core/schedule"
)

// Task is a registered unit of work: when to run (a schedule in a time zone)
// and what to run (an executor type and its config), with the policies that
// govern retries, overlaps and missed instants.
type Task struct {
	// ID is assigned by the store and never changes, even across renames.
	ID string `json:"id"`
	// Namespace is the tenant the task belongs to.
	Namespace string `json:"namespace"`
	// Name is unique within the namespace; see ValidateName.
	Name string `json:"name"`
	// Description is free text for people.
	Description string `json:"description,omitempty"`
	// Labels are key/value pairs for selection, e.g. team=payments.
	Labels map[string]string `json:"labels,omitempty"`
	// Schedule is a cron expression, a descriptor such as "@daily" or
	// "@every 30s", a one-shot "@at <RFC 3339 time>", or empty for a task
	// that only runs when triggered. See package schedule.
	Schedule string `json:"schedule"`
	// TimeZone is the IANA zone the schedule is read in. Defaults to UTC.
	TimeZone string `json:"timezone"`
	// Executor names the executor plugin, e.g. "http".
	Executor string `json:"executor"`
	// Config is the executor's JSON object config. Defaults to {}.
	Config json.RawMessage `json:"config"`
	// Timeout bounds one attempt's wall-clock time. Defaults to
	// DefaultTimeout.
	Timeout time.Duration `json:"timeout"`
	// Retry says how failed attempts are retried.
	Retry RetryPolicy `json:"retry"`
	// Concurrency says what happens when an instant comes while an earlier
	// execution still runs. Defaults to ConcurrencyAllow.
	Concurrency ConcurrencyPolicy `json:"concurrency"`
	// Misfire says what happens to instants missed while no node could fire
	// them (downtime, failover). Defaults to MisfireRunOnce.
	Misfire MisfirePolicy `json:"misfire"`
	// CatchUpLimit bounds how many missed instants MisfireCatchUp runs,
	// oldest first; the rest are recorded as skipped. Defaults to
	// DefaultCatchUpLimit.
	CatchUpLimit int `json:"catch_up_limit"`
	// Paused tasks keep their schedule but do not fire.
	Paused bool `json:"paused"`
	// StartAt, when set, is the first instant the task may fire.
	StartAt time.Time `json:"start_at,omitzero"`
	// EndAt, when set, is the instant after which the task no longer fires.
	EndAt time.Time `json:"end_at,omitzero"`
	// Version increases by one on every update; updates naming an older
	// version fail with a conflict (optimistic concurrency).
	Version int64 `json:"version"`
	// CreatedAt is when the task was created.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the task last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// Task defaults and limits.
const (
	// DefaultTimeout is the attempt timeout of a task that sets none.
	DefaultTimeout = 5 * time.Minute
	// MaxTimeout is the longest attempt timeout accepted.
	MaxTimeout = 24 * time.Hour
	// DefaultCatchUpLimit is the catch-up bound of a task that sets none.
	DefaultCatchUpLimit = 10
	// MaxCatchUpLimit is the largest catch-up bound accepted.
	MaxCatchUpLimit = 1000
	// MaxConfigBytes is the largest executor config accepted, in bytes.
	MaxConfigBytes = 256 << 10
	// MaxAttempts is the largest retry.max_attempts accepted.
	MaxAttempts = 100
)

// ConcurrencyPolicy says what to do when an instant comes while an earlier
// execution of the same task is still running.
type ConcurrencyPolicy string

// Concurrency policies.
const (
	// ConcurrencyAllow runs the new execution alongside the old one.
	ConcurrencyAllow ConcurrencyPolicy = "allow"
	// ConcurrencyForbid records the new instant as skipped.
	ConcurrencyForbid ConcurrencyPolicy = "forbid"
	// ConcurrencyReplace cancels the running execution and starts the new.
	ConcurrencyReplace ConcurrencyPolicy = "replace"
)

// MisfirePolicy says what to do with instants that passed while no node
// could fire them.
type MisfirePolicy string

// Misfire policies. Every instant not run is still recorded as skipped.
const (
	// MisfireSkip records every missed instant as skipped and waits for the
	// next one.
	MisfireSkip MisfirePolicy = "skip"
	// MisfireRunOnce runs the latest missed instant once and records the
	// others as skipped.
	MisfireRunOnce MisfirePolicy = "run_once"
	// MisfireCatchUp runs missed instants oldest first, at most
	// CatchUpLimit of them.
	MisfireCatchUp MisfirePolicy = "catch_up"
)

// RetryPolicy says how a failed attempt is retried. Each attempt is its own
// execution linked to the first.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt: 1 means no retry. Defaults to 1.
	MaxAttempts int `json:"max_attempts"`
	// InitialBackoff is the delay before the second attempt. Defaults to 1s.
	InitialBackoff time.Duration `json:"initial_backoff"`
	// MaxBackoff caps the delay between attempts. Defaults to 5m.
	MaxBackoff time.Duration `json:"max_backoff"`
	// Multiplier grows the delay after each attempt. Defaults to 2.
	Multiplier float64 `json:"multiplier"`
	// Jitter is the fraction (0 to 1) of each delay that is randomised, so
	// that many tasks failing together do not retry in lockstep. Defaults
	// to 0.2.
	Jitter float64 `json:"jitter"`
}

// Retry defaults.
const (
	DefaultInitialBackoff = time.Second
	DefaultMaxBackoff     = 5 * time.Minute
	DefaultMultiplier     = 2.0
	DefaultJitter         = 0.2
)

// Backoff returns the delay before attempt number next (2 for the first
// retry). r is a uniform random number in [0, 1) that drives the jitter;
// the result lies in [d*(1-Jitter), d] where d is the exponential delay
// capped at MaxBackoff.
func (p RetryPolicy) Backoff(next int, r float64) time.Duration {
	if next < 2 {
		return 0
	}
	d := float64(p.InitialBackoff) * math.Pow(p.Multiplier, float64(next-2))
	if d > float64(p.MaxBackoff) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(p.MaxBackoff)
	}
	d -= d * p.Jitter * r
	return time.Duration(d)
}

var executorPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$`)

// Normalize fills in the defaults of unset fields. It does not validate.
func (t *Task) Normalize() {
	if t.Namespace == "" {
		t.Namespace = DefaultNamespace
	}
	if t.TimeZone == "" {
		t.TimeZone = "UTC"
	}
	if len(bytes.TrimSpace(t.Config)) == 0 {
		t.Config = json.RawMessage(`{}`)
	}
	if t.Timeout == 0 {
		t.Timeout = DefaultTimeout
	}
	if t.Concurrency == "" {
		t.Concurrency = ConcurrencyAllow
	}
	if t.Misfire == "" {
		t.Misfire = MisfireRunOnce
	}
	if t.CatchUpLimit == 0 {
		t.CatchUpLimit = DefaultCatchUpLimit
	}
	r := &t.Retry
	if r.MaxAttempts == 0 {
		r.MaxAttempts = 1
	}
	if r.InitialBackoff == 0 {
		r.InitialBackoff = DefaultInitialBackoff
	}
	if r.MaxBackoff == 0 {
		r.MaxBackoff = DefaultMaxBackoff
	}
	if r.Multiplier == 0 {
		r.Multiplier = DefaultMultiplier
	}
	if r.Jitter == 0 {
		r.Jitter = DefaultJitter
	}
}

// Validate reports every invalid field of t. Call Normalize first: an unset
// field that has a default is reported as invalid here.
func (t *Task) Validate() error {
	var v validator
	if fe := ValidateName("namespace", t.Namespace); fe != nil {
		v.fields = append(v.fields, fe)
	}
	if fe := ValidateName("name", t.Name); fe != nil {
		v.fields = append(v.fields, fe)
	}
	v.description("description", t.Description)
	v.labels("labels", t.Labels)
	if _, err := t.ParseSchedule(); err != nil {
		field, msg := "schedule", err.Error()
		var se *schedule.Error
		if errors.As(err, &se) {
			field, msg = se.Field, se.Error()
		}
		v.add(field, "%s", msg)
	}
	switch {
	case t.Executor == "":
		v.add("executor", `is required: name an executor plugin such as "http"`)
	case len(t.Executor) > MaxNameLength || !executorPattern.MatchString(t.Executor):
		v.add("executor", "%q is not a valid executor name: use lower-case letters, digits, '_', '.' and '-'", t.Executor)
	}
	v.config("config", t.Config)
	if t.Timeout <= 0 || t.Timeout > MaxTimeout {
		v.add("timeout", "%s is out of range: use a duration between 1ms and %s", t.Timeout, MaxTimeout)
	}
	v.retry("retry", t.Retry)
	switch t.Concurrency {
	case ConcurrencyAllow, ConcurrencyForbid, ConcurrencyReplace:
	default:
		v.add("concurrency", "%q is not a concurrency policy: use allow, forbid or replace", t.Concurrency)
	}
	switch t.Misfire {
	case MisfireSkip, MisfireRunOnce, MisfireCatchUp:
	default:
		v.add("misfire", "%q is not a misfire policy: use skip, run_once or catch_up", t.Misfire)
	}
	if t.CatchUpLimit < 1 || t.CatchUpLimit > MaxCatchUpLimit {
		v.add("catch_up_limit", "%d is out of range: use 1 to %d", t.CatchUpLimit, MaxCatchUpLimit)
	}
	if !t.StartAt.IsZero() && !t.EndAt.IsZero() && !t.EndAt.After(t.StartAt) {
		v.add("end_at", "%s is not after start_at %s: the window would never open", t.EndAt.Format(time.RFC3339), t.StartAt.Format(time.RFC3339))
	}
	return v.err(fmt.Sprintf("task %q", t.Name))
}

// ParseSchedule parses the task's schedule in its time zone.
func (t *Task) ParseSchedule() (*schedule.Schedule, error) {
	return schedule.Parse(t.Schedule, t.TimeZone)
}

// NextFire returns the first instant of sched, the task's parsed schedule,
// after `after` and inside the task's window (StartAt to EndAt), or zero:
// the task is paused, fires on manual runs only (sched nil or empty), or
// its window has closed.
func (t *Task) NextFire(sched *schedule.Schedule, after time.Time) time.Time {
	if t.Paused || sched == nil {
		return time.Time{}
	}
	if !t.StartAt.IsZero() && after.Before(t.StartAt) {
		after = t.StartAt.Add(-time.Nanosecond)
	}
	n := sched.Next(after)
	if n.IsZero() || !t.EndAt.IsZero() && n.After(t.EndAt) {
		return time.Time{}
	}
	return n
}

func (v *validator) config(field string, raw json.RawMessage) {
	if len(raw) > MaxConfigBytes {
		v.add(field, "is %d bytes; the limit is %d", len(raw), MaxConfigBytes)
		return
	}
	trimmed := bytes.TrimSpace(raw)
	if !json.Valid(trimmed) {
		v.add(field, "is not valid JSON")
		return
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		v.add(field, "must be a JSON object, e.g. {\"url\": \"https://example.com\"}")
	}
}

func (v *validator) retry(field string, r RetryPolicy) {
	if r.MaxAttempts < 1 || r.MaxAttempts > MaxAttempts {
		v.add(field+".max_attempts", "%d is out of range: use 1 (no retry) to %d", r.MaxAttempts, MaxAttempts)
	}
	if r.InitialBackoff <= 0 || r.InitialBackoff > MaxTimeout {
		v.add(field+".initial_backoff", "%s is out of range: use a duration between 1ms and %s", r.InitialBackoff, MaxTimeout)
	}
	if r.MaxBackoff < r.InitialBackoff || r.MaxBackoff > MaxTimeout {
		v.add(field+".max_backoff", "%s is out of range: use a duration between initial_backoff (%s) and %s", r.MaxBackoff, r.InitialBackoff, MaxTimeout)
	}
	if r.Multiplier < 1 || r.Multiplier > 10 || math.IsNaN(r.Multiplier) {
		v.add(field+".multiplier", "%g is out of range: use 1 to 10", r.Multiplier)
	}
	if r.Jitter < 0 || r.Jitter > 1 || math.IsNaN(r.Jitter) {
		v.add(field+".jitter", "%g is out of range: use 0 to 1", r.Jitter)
	}
}
