package core_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/core"
)

func validTask() core.Task {
	t := core.Task{
		Name: "daily_backup", Schedule: "0 2 * * *", Executor: "http",
		Config: json.RawMessage(`{"method":"POST","url":"https://backup.example.com/v1/backup"}`),
	}
	t.Normalize()
	return t
}

func TestTaskValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		name     string
		mutate   func(*core.Task)
		field    string
		mentions string
	}{
		{"empty name", func(t *core.Task) { t.Name = "" }, "name", "required"},
		{"upper-case name suggests a fix", func(t *core.Task) { t.Name = "Daily Backup" }, "name", `"daily_backup"`},
		{"name too long", func(t *core.Task) { t.Name = strings.Repeat("a", 129) }, "name", "limit is 128"},
		{"bad namespace", func(t *core.Task) { t.Namespace = "-x" }, "namespace", "not a valid name"},
		{"cron with four fields", func(t *core.Task) { t.Schedule = "0 2 * *" }, "schedule", "5 or 6 fields"},
		{"minute out of range", func(t *core.Task) { t.Schedule = "61 * * * *" }, "schedule", "minute"},
		{"unknown time zone", func(t *core.Task) { t.TimeZone = "Europe/Berln" }, "timezone", "Europe/Berln"},
		{"missing executor", func(t *core.Task) { t.Executor = "" }, "executor", "required"},
		{"config not JSON", func(t *core.Task) { t.Config = json.RawMessage(`{"url":`) }, "config", "not valid JSON"},
		{"config not an object", func(t *core.Task) { t.Config = json.RawMessage(`[1,2]`) }, "config", "JSON object"},
		{"config too large", func(t *core.Task) {
			t.Config = json.RawMessage(`{"x":"` + strings.Repeat("a", core.MaxConfigBytes) + `"}`)
		}, "config", "limit"},
		{"timeout negative", func(t *core.Task) { t.Timeout = -time.Second }, "timeout", "out of range"},
		{"timeout too long", func(t *core.Task) { t.Timeout = 25 * time.Hour }, "timeout", "24h0m0s"},
		{"retry attempts", func(t *core.Task) { t.Retry.MaxAttempts = 1000 }, "retry.max_attempts", "1 (no retry) to 100"},
		{"retry max below initial", func(t *core.Task) { t.Retry.MaxBackoff = time.Millisecond }, "retry.max_backoff", "initial_backoff"},
		{"retry multiplier", func(t *core.Task) { t.Retry.Multiplier = 0.5 }, "retry.multiplier", "1 to 10"},
		{"retry jitter", func(t *core.Task) { t.Retry.Jitter = 2 }, "retry.jitter", "0 to 1"},
		{"concurrency policy", func(t *core.Task) { t.Concurrency = "queue" }, "concurrency", "allow, forbid or replace"},
		{"misfire policy", func(t *core.Task) { t.Misfire = "ignore" }, "misfire", "skip, run_once or catch_up"},
		{"catch-up limit", func(t *core.Task) { t.CatchUpLimit = 5000 }, "catch_up_limit", "1 to 1000"},
		{"window closed", func(t *core.Task) {
			t.StartAt = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			t.EndAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "end_at", "never open"},
		{"label key", func(t *core.Task) { t.Labels = map[string]string{"bad key": "x"} }, "labels.bad key", "label key"},
		{"label value", func(t *core.Task) { t.Labels = map[string]string{"team": "a b"} }, "labels.team", "label value"},
		{"description too long", func(t *core.Task) { t.Description = strings.Repeat("é", 1025) }, "description", "limit is 1024"},
	} {
		t.Run(c.name, func(t *testing.T) {
			task := validTask()
			c.mutate(&task)
			err := task.Validate()
			var ve *core.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a ValidationError", err)
			}
			var fe *core.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("no FieldError inside %v", err)
			}
			if fe.Field != c.field || !strings.Contains(fe.Message, c.mentions) {
				t.Fatalf("field %q: %q; want field %q mentioning %q", fe.Field, fe.Message, c.field, c.mentions)
			}
			if !strings.Contains(err.Error(), `task "`) {
				t.Fatalf("error should name the task: %v", err)
			}
		})
	}
}

func TestTaskValidateAcceptsEverySchedule(t *testing.T) {
	for _, s := range []string{"", "0 2 * * *", "*/10 * * * * *", "@daily", "@every 30s", "@at 2026-12-01T02:00:00Z"} {
		task := validTask()
		task.Schedule = s
		if err := task.Validate(); err != nil {
			t.Errorf("schedule %q: %v", s, err)
		}
	}
}

func TestTaskValidateReportsAllFields(t *testing.T) {
	task := core.Task{Name: "X", Executor: "", Schedule: "bad"}
	task.Normalize()
	var ve *core.ValidationError
	if !errors.As(task.Validate(), &ve) || len(ve.Fields) != 3 {
		t.Fatalf("want 3 field errors (name, schedule, executor), got %v", ve)
	}
}

func TestTaskNormalizeFillsDefaults(t *testing.T) {
	var task core.Task
	task.Normalize()
	if task.Namespace != "default" || task.TimeZone != "UTC" || string(task.Config) != "{}" || task.Timeout != core.DefaultTimeout ||
		task.Retry.MaxAttempts != 1 || task.Concurrency != core.ConcurrencyAllow || task.Misfire != core.MisfireRunOnce {
		t.Fatalf("Normalize() = %+v", task)
	}
}

func TestRetryBackoff(t *testing.T) {
	p := core.RetryPolicy{MaxAttempts: 10, InitialBackoff: time.Second, MaxBackoff: 10 * time.Second, Multiplier: 2, Jitter: 0.5}
	for _, c := range []struct {
		next int
		r    float64
		want time.Duration
	}{
		{1, 0, 0},
		{2, 0, time.Second},
		{3, 0, 2 * time.Second},
		{4, 0, 4 * time.Second},
		{6, 0, 10 * time.Second}, // capped
		{2, 0.5, 750 * time.Millisecond},
		{60, 0.999, 5005 * time.Millisecond},
	} {
		if got := p.Backoff(c.next, c.r); got != c.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", c.next, c.r, got, c.want)
		}
	}
}

func TestExecutionStatus(t *testing.T) {
	for _, s := range core.ExecutionStatuses {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		if live := s == core.StatusPending || s == core.StatusRunning; live == s.Final() {
			t.Errorf("%s: Final() = %v", s, s.Final())
		}
	}
	if core.ExecutionStatus("done").Valid() || core.ExecutionStatus("done").Final() {
		t.Error("unknown status accepted")
	}
	if !core.TriggerCatchUp.Scheduled() || core.TriggerManual.Scheduled() {
		t.Error("Scheduled() wrong")
	}
}

func TestCleanLogLine(t *testing.T) {
	long := strings.Repeat("é", 1000) // 2000 bytes
	got := core.CleanLogLine(long)
	if len(got) != core.MaxLogLineBytes || !strings.HasPrefix(long, got) {
		t.Errorf("long line cut to %d bytes", len(got))
	}
	if got := core.CleanLogLine("bad \xff byte"); got != "bad \uFFFD byte" {
		t.Errorf("invalid UTF-8 cleaned to %q", got)
	}
	if got := core.CleanLogLine("ok"); got != "ok" {
		t.Errorf("short line changed to %q", got)
	}
}
