package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/schedule"
	"github.com/shiyu-coder/kronos/core/store"
)

// TaskPath addresses one task.
type TaskPath struct {
	NamespaceParam
	Name string `path:"name" doc:"The task's name." example:"daily_backup"`
}

// TaskOutput is one task, with its version as ETag.
type TaskOutput struct {
	ETag string `header:"ETag" doc:"The task's version; send it in If-Match to update or delete safely."`
	Body Task
}

func taskOutput(t core.Task) *TaskOutput {
	return &TaskOutput{ETag: etag(t.Version), Body: taskOut(t)}
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads a version from an If-Match header ("3" or 3); 0 if none.
func ifMatch(h string) (int64, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return 0, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v < 1 {
		return 0, huma.Error400BadRequest(fmt.Sprintf("If-Match %q is not a task version: send the ETag of the task as read", h))
	}
	return v, nil
}

func (s *server) registerTasks(g huma.API) {
	huma.Register(g, huma.Operation{
		OperationID: "create-task", Method: http.MethodPost, Path: "/tasks", Tags: []string{"Tasks"},
		Summary:       "Create a task",
		Description:   "Creates a task in the namespace. It fires from its next instant on, without a restart. A namespace at its settings.quotas.max_tasks refuses it with 429.",
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		Body TaskInput
	},
	) (*TaskOutput, error) {
		t, err := in.Body.task(in.Namespace)
		if err != nil {
			return nil, problem("create task", err)
		}
		ns, err := s.namespace(ctx, in.Namespace)
		if err != nil {
			return nil, err
		}
		if err := s.validate(ctx, &t); err != nil {
			return nil, in.Body.aliased(err)
		}
		if err := s.checkTaskQuota(ctx, ns); err != nil {
			return nil, err
		}
		created, err := s.cfg.Store.TaskCreate(ctx, t)
		if err != nil {
			return nil, in.Body.aliased(problem(fmt.Sprintf("create task %q", t.Name), err))
		}
		s.cfg.Scheduler.Upsert(created, ns.Settings)
		return taskOutput(created), nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "list-tasks", Method: http.MethodGet, Path: "/tasks", Tags: []string{"Tasks"},
		Summary:     "List tasks",
		Description: "Lists the namespace's tasks by name, one page at a time, filtered by labels, text, executor and paused.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		Selector string `query:"selector" doc:"Label selector: key=value, key!=value, key, !key, comma-separated (all must match)." example:"team=ops"`
		Q        string `query:"q" doc:"Keeps tasks whose name or description contains this text (ASCII case ignored)."`
		Executor string `query:"executor" doc:"Keeps tasks of this executor."`
		Paused   string `query:"paused" enum:"true,false," doc:"Keeps only paused (true) or active (false) tasks."`
		Status   string `query:"status" enum:"active,paused," doc:"Keeps only active or paused tasks (the same filter as paused)."`
		Cursor   string `query:"cursor" doc:"Continues from next_cursor of the previous page."`
		Limit    int    `query:"limit" minimum:"0" maximum:"1000" doc:"Page size; 50 when 0."`
	},
	) (*struct{ Body TaskList }, error) {
		sel, err := core.ParseLabelSelector(in.Selector)
		if err != nil {
			return nil, huma.Error422UnprocessableEntity("list tasks: invalid selector", &huma.ErrorDetail{Location: "query.selector", Message: err.Error(), Value: in.Selector})
		}
		p := store.TaskListParams{Namespace: in.Namespace, Selector: sel, Text: in.Q, Executor: in.Executor, Cursor: in.Cursor, Limit: in.Limit}
		switch {
		case in.Status != "" && in.Paused != "" && (in.Status == "paused") != (in.Paused == "true"):
			return nil, huma.Error422UnprocessableEntity("list tasks: status and paused disagree",
				&huma.ErrorDetail{Location: "query.status", Message: "names the opposite of paused: give one of them", Value: in.Status})
		case in.Status != "":
			b := in.Status == "paused"
			p.Paused = &b
		case in.Paused != "":
			b := in.Paused == "true"
			p.Paused = &b
		}
		page, err := s.cfg.Store.TaskList(ctx, p)
		if err != nil {
			return nil, problem("list tasks", err)
		}
		out := TaskList{Tasks: make([]Task, len(page.Tasks)), NextCursor: page.NextCursor}
		for i, t := range page.Tasks {
			out.Tasks[i] = taskOut(t)
		}
		if err := s.addState(ctx, page.Tasks, out.Tasks); err != nil {
			return nil, problem("list tasks", err)
		}
		return &struct{ Body TaskList }{out}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-task", Method: http.MethodGet, Path: "/tasks/{name}", Tags: []string{"Tasks"},
		Summary:     "Get a task",
		Description: "Returns the task with its schedule, executor, config and policies; its ETag is its version, for If-Match.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *TaskPath) (*TaskOutput, error) {
		t, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("get task %q", in.Name), err)
		}
		out := taskOutput(t)
		outs := []Task{out.Body}
		if err := s.addState(ctx, []core.Task{t}, outs); err != nil {
			return nil, problem(fmt.Sprintf("get task %q", in.Name), err)
		}
		out.Body = outs[0]
		return out, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "replace-task", Method: http.MethodPut, Path: "/tasks/{name}", Tags: []string{"Tasks"},
		Summary: "Replace a task",
		Description: "Replaces every field of the task (left-out fields take their defaults). " +
			"With If-Match (the ETag as read), a task changed since is refused with 409. The engine follows the new schedule at once.",
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		TaskPath
		IfMatch string `header:"If-Match" doc:"The task's ETag as read; the update is refused if it changed since."`
		Body    TaskInput
	},
	) (*TaskOutput, error) {
		version, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		if in.Body.Name == "" {
			in.Body.Name = in.Name
		}
		t, err := in.Body.task(in.Namespace)
		if err != nil {
			return nil, problem("replace task", err)
		}
		cur, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("replace task %q", in.Name), err)
		}
		if version == 0 {
			version = cur.Version
		}
		t.ID, t.Version = cur.ID, version
		out, err := s.update(ctx, t)
		return out, in.Body.aliased(err)
	})

	huma.Register(g, huma.Operation{
		OperationID: "delete-task", Method: http.MethodDelete, Path: "/tasks/{name}", Tags: []string{"Tasks"},
		Summary:       "Delete a task",
		Description:   "Deletes the task; it fires no more. Its executions and logs stay until retention removes them.",
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		TaskPath
		IfMatch string `header:"If-Match" doc:"The task's ETag as read; the delete is refused if it changed since."`
	},
	) (*struct{}, error) {
		version, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		t, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("delete task %q", in.Name), err)
		}
		if err := s.cfg.Store.TaskDelete(ctx, store.TaskDeleteParams{Namespace: in.Namespace, Name: in.Name, Version: version}); err != nil {
			return nil, problem(fmt.Sprintf("delete task %q", in.Name), err)
		}
		s.cfg.Scheduler.Remove(t.ID)
		return &struct{}{}, nil
	})

	for _, op := range []struct {
		id, verb string
		paused   bool
	}{{"pause-task", "pause", true}, {"resume-task", "resume", false}} {
		huma.Register(g, huma.Operation{
			OperationID: op.id, Method: http.MethodPost, Path: "/tasks/{name}/" + op.verb, Tags: []string{"Tasks"},
			Summary: strings.ToUpper(op.verb[:1]) + op.verb[1:] + " a task",
			Description: map[bool]string{
				true:  "Stops the task from firing until it is resumed; manual triggers still run. Pausing a paused task changes nothing.",
				false: "Lets a paused task fire again from its next instant; the instants it was paused for are not run.",
			}[op.paused],
			Errors: []int{http.StatusNotFound, http.StatusConflict},
		}, func(ctx context.Context, in *TaskPath) (*TaskOutput, error) {
			t, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
			if err != nil {
				return nil, problem(fmt.Sprintf("%s task %q", op.verb, in.Name), err)
			}
			if t.Paused == op.paused {
				return taskOutput(t), nil
			}
			t.Paused = op.paused
			return s.update(ctx, t)
		})
	}

	huma.Register(g, huma.Operation{
		OperationID: "trigger-task", Method: http.MethodPost, Path: "/tasks/{name}/trigger", Tags: []string{"Tasks"},
		Summary: "Run a task now",
		Description: "Runs the task once now, outside its schedule (paused or not), optionally with a config that replaces " +
			"the task's for this run only. Answers at once with the execution; follow it with get-execution. " +
			"A namespace at its settings.quotas.max_executions_per_minute refuses it with 429.",
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *struct {
		TaskPath
		Body *TriggerInput
	},
	) (*struct{ Body Execution }, error) {
		t, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("trigger task %q", in.Name), err)
		}
		ns, err := s.namespace(ctx, in.Namespace)
		if err != nil {
			return nil, err
		}
		var override json.RawMessage
		if in.Body != nil && len(in.Body.Config) > 0 && string(in.Body.Config) != "null" {
			override = in.Body.Config
			check := t
			check.Config = override
			if err := s.validate(ctx, &check); err != nil {
				return nil, err
			}
		}
		x, err := s.cfg.Scheduler.Trigger(ctx, t, ns.Settings, override)
		if err != nil {
			if x.ID != "" {
				return nil, huma.Error503ServiceUnavailable(err.Error())
			}
			return nil, problem(fmt.Sprintf("trigger task %q", in.Name), err)
		}
		return &struct{ Body Execution }{executionOut(x)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "preview-task", Method: http.MethodGet, Path: "/tasks/{name}/preview", Tags: []string{"Tasks"},
		Summary:     "Preview a task's next fire times",
		Description: "The next instants the task fires at, within its start and end window; none while it is paused.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		TaskPath
		Count int `query:"count" default:"5" minimum:"1" maximum:"100" doc:"How many instants."`
	},
	) (*struct{ Body Preview }, error) {
		t, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("preview task %q", in.Name), err)
		}
		sched, err := t.ParseSchedule()
		if err != nil {
			return nil, problem("preview task", err)
		}
		out := Preview{Next: []time.Time{}, TimeZone: t.TimeZone}
		if t.Paused {
			return &struct{ Body Preview }{out}, nil
		}
		after := time.Now()
		if !t.StartAt.IsZero() && after.Before(t.StartAt) {
			after = t.StartAt.Add(-time.Nanosecond)
		}
		for _, at := range sched.Preview(after, in.Count) {
			if !t.EndAt.IsZero() && at.After(t.EndAt) {
				break
			}
			out.Next = append(out.Next, at)
		}
		return &struct{ Body Preview }{out}, nil
	})
}

// aliased points the field errors of a problem at the names the client
// used: "cron" for schedule and "type" for executor.
func (in *TaskInput) aliased(err error) error {
	var m *huma.ErrorModel
	if !errors.As(err, &m) {
		return err
	}
	for _, d := range m.Errors {
		switch {
		case in.Cron != "" && in.Schedule == "" && (d.Location == "body.schedule" || strings.HasPrefix(d.Location, "body.schedule.")):
			d.Location = "body.cron" + strings.TrimPrefix(d.Location, "body.schedule")
		case in.Type != "" && in.Executor == "" && (d.Location == "body.executor" || strings.HasPrefix(d.Location, "body.executor.")):
			d.Location = "body.type" + strings.TrimPrefix(d.Location, "body.executor")
		}
	}
	return err
}

// addState fills the read-only state of outs (the task outputs of ts, in
// order): the next fire instant and the latest execution.
func (s *server) addState(ctx context.Context, ts []core.Task, outs []Task) error {
	now := time.Now()
	ids := make([]string, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
		if sched, err := ts[i].ParseSchedule(); err == nil {
			if next := ts[i].NextFire(sched, now); !next.IsZero() {
				outs[i].NextFireAt = &next
			}
		}
	}
	latest, err := s.cfg.Store.ExecutionLatest(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ts {
		if x, ok := latest[ts[i].ID]; ok {
			outs[i].LastExecution = executionSummary(x)
		}
	}
	return nil
}

// TaskList is one page of tasks.
type TaskList struct {
	Tasks      []Task `json:"tasks"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Fetches the next page; absent on the last."`
}

// TriggerInput optionally replaces the task's config for one run.
type TriggerInput struct {
	Config json.RawMessage `json:"config,omitempty" doc:"Replaces the task's config for this run only."`
}

// Preview is a list of coming fire times.
type Preview struct {
	Next     []time.Time `json:"next" doc:"The instants, in the schedule's time zone."`
	TimeZone string      `json:"timezone,omitempty"`
}

// update stores a changed task and tells the engine.
func (s *server) update(ctx context.Context, t core.Task) (*TaskOutput, error) {
	ns, err := s.namespace(ctx, t.Namespace)
	if err != nil {
		return nil, err
	}
	if err := s.validate(ctx, &t); err != nil {
		return nil, err
	}
	updated, err := s.cfg.Store.TaskUpdate(ctx, t)
	if err != nil {
		return nil, problem(fmt.Sprintf("update task %q", t.Name), err)
	}
	s.cfg.Scheduler.Upsert(updated, ns.Settings)
	return taskOutput(updated), nil
}

// validate checks a task as the store will, then its config against the
// executor's schema, so that every problem is reported before anything is
// stored.
func (s *server) validate(ctx context.Context, t *core.Task) error {
	t.Normalize()
	if err := t.Validate(); err != nil {
		return problem("task", err)
	}
	if s.cfg.Validator != nil {
		if err := s.cfg.Validator.ValidateConfig(ctx, *t); err != nil {
			return problem(fmt.Sprintf("task %q", t.Name), err)
		}
	}
	if err := s.checkSecretRefs(ctx, t); err != nil {
		return err
	}
	return s.checkMQConnection(ctx, t)
}

// checkMQConnection refuses an mq task whose config names a connection the
// namespace does not have, so that the mistake shows when the task is
// written, not at its first fire (delete-mq-connection keeps it so).
func (s *server) checkMQConnection(ctx context.Context, t *core.Task) error {
	if t.Executor != MQExecutor {
		return nil
	}
	// A missing or malformed name has been reported by the plugin's own
	// validation: only a well-formed one is looked up.
	name := configConnection(t.Config)
	if core.ValidateName("connection", name) == nil {
		return s.checkMQConnectionExists(ctx, t, name)
	}
	return nil
}

func (s *server) checkMQConnectionExists(ctx context.Context, t *core.Task, name string) error {
	_, err := s.cfg.Store.MQConnectionGet(ctx, t.Namespace, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return huma.Error422UnprocessableEntity(fmt.Sprintf("task %q is invalid", t.Name), &huma.ErrorDetail{
			Location: "body.config.connection",
			Message: fmt.Sprintf("namespace %q has no MQ connection %q: create it first (kronos mq create %s --url …, or PUT /api/v1/mq-connections/%s)",
				t.Namespace, name, name, name),
			Value: name,
		})
	case err != nil:
		return problem("task", err)
	}
	return nil
}

// checkSecretRefs refuses a config whose secret references are malformed
// or name secrets the namespace does not have, so that the mistake shows
// when the task is written, not at its first fire.
func (s *server) checkSecretRefs(ctx context.Context, t *core.Task) error {
	names, err := auth.SecretRefs(t.Config)
	if err != nil {
		return huma.Error422UnprocessableEntity(fmt.Sprintf("task %q is invalid", t.Name),
			&huma.ErrorDetail{Location: "body.config", Message: err.Error()})
	}
	var details []error
	for _, name := range names {
		_, err := s.cfg.Store.SecretGet(ctx, t.Namespace, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			details = append(details, &huma.ErrorDetail{
				Location: "body.config",
				Message:  fmt.Sprintf("refers to secret %q, which namespace %q does not have: set it first (PUT /api/v1/secrets/%s)", name, t.Namespace, name),
			})
		case err != nil:
			return problem("task", err)
		}
	}
	if len(details) > 0 {
		return huma.Error422UnprocessableEntity(fmt.Sprintf("task %q is invalid", t.Name), details...)
	}
	return nil
}

// checkTaskQuota refuses a new task with 429 when the namespace holds
// settings.quotas.max_tasks already. The store has no count, so the tasks
// are listed a page at a time, stopping at the quota: a few queries at a
// quota of thousands. Two creates at once may both pass; the quota is a
// bound on a tenant's growth, not a hard limit under a race.
func (s *server) checkTaskQuota(ctx context.Context, ns core.Namespace) error {
	limit := ns.Settings.Quotas.MaxTasks
	if limit <= 0 {
		return nil
	}
	u, err := s.cfg.Store.NamespaceUsage(ctx, ns.Name, time.Now())
	if err != nil {
		return problem(fmt.Sprintf("count the tasks of namespace %q", ns.Name), err)
	}
	if u.Tasks < limit {
		return nil
	}
	return huma.Error429TooManyRequests(fmt.Sprintf(
		"namespace %q holds %d tasks and its quota settings.quotas.max_tasks is %d: delete tasks or raise the quota", ns.Name, u.Tasks, limit))
}

// namespace reads a namespace; 404 names it.
func (s *server) namespace(ctx context.Context, name string) (core.Namespace, error) {
	ns, err := s.cfg.Store.NamespaceGet(ctx, name)
	if err != nil {
		return core.Namespace{}, problem(fmt.Sprintf("namespace %q", name), err)
	}
	return ns, nil
}

// schedulePreview is shared by the schedule preview operation.
func schedulePreview(expr, tz string, count int) (Preview, error) {
	sched, err := schedule.Parse(expr, tz)
	if err != nil {
		loc, value := "query.expr", expr
		if se, ok := errors.AsType[*schedule.Error](err); ok && se.Field == schedule.FieldTimezone {
			loc, value = "query.timezone", tz
		}
		return Preview{}, huma.Error422UnprocessableEntity("invalid schedule",
			&huma.ErrorDetail{Location: loc, Message: err.Error(), Value: value})
	}
	out := Preview{Next: sched.Preview(time.Now(), count), TimeZone: tz}
	if out.Next == nil {
		out.Next = []time.Time{}
	}
	return out, nil
}
