package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// ExecutionList is one page of executions.
type ExecutionList struct {
	Executions []Execution `json:"executions"`
	NextCursor string      `json:"next_cursor,omitempty" doc:"Fetches the next page; absent on the last."`
}

// ExecutionFilter filters and pages an execution listing.
type ExecutionFilter struct {
	Status []string  `query:"status,explode" enum:"pending,running,succeeded,failed,timed_out,canceled,skipped,interrupted" doc:"Keeps executions in any of these statuses."`
	From   time.Time `query:"from" doc:"Keeps executions scheduled at or after this time (RFC 3339)."`
	To     time.Time `query:"to" doc:"Keeps executions scheduled before this time (RFC 3339)."`
	Cursor string    `query:"cursor" doc:"Continues from next_cursor of the previous page."`
	Limit  int       `query:"limit" minimum:"0" maximum:"1000" doc:"Page size; 50 when 0."`
}

func (f ExecutionFilter) params(namespace, taskID string) store.ExecutionListParams {
	p := store.ExecutionListParams{Namespace: namespace, TaskID: taskID, From: f.From, To: f.To, Cursor: f.Cursor, Limit: f.Limit}
	for _, st := range f.Status {
		p.Statuses = append(p.Statuses, core.ExecutionStatus(st))
	}
	return p
}

// LogPage is a page of log lines.
type LogPage struct {
	Lines []LogLine `json:"lines"`
}

func (s *server) listExecutions(ctx context.Context, p store.ExecutionListParams) (*struct{ Body ExecutionList }, error) {
	page, err := s.cfg.Store.ExecutionList(ctx, p)
	if err != nil {
		return nil, problem("list executions", err)
	}
	out := ExecutionList{Executions: make([]Execution, len(page.Executions)), NextCursor: page.NextCursor}
	for i, x := range page.Executions {
		out.Executions[i] = executionOut(x)
	}
	return &struct{ Body ExecutionList }{out}, nil
}

func (s *server) registerExecutions(g huma.API) {
	huma.Register(g, huma.Operation{
		OperationID: "list-executions", Method: http.MethodGet, Path: "/executions", Tags: []string{"Executions"},
		Summary:     "List a namespace's executions",
		Description: "Newest instant first, filtered by status and time range.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		ExecutionFilter
	},
	) (*struct{ Body ExecutionList }, error) {
		return s.listExecutions(ctx, in.params(in.Namespace, ""))
	})

	huma.Register(g, huma.Operation{
		OperationID: "list-task-executions", Method: http.MethodGet, Path: "/tasks/{name}/executions", Tags: []string{"Executions"},
		Summary:     "List a task's executions",
		Description: "Newest instant first, filtered by status and time range.",
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		TaskPath
		ExecutionFilter
	},
	) (*struct{ Body ExecutionList }, error) {
		t, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("list executions of task %q", in.Name), err)
		}
		return s.listExecutions(ctx, in.params(in.Namespace, t.ID))
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-execution", Method: http.MethodGet, Path: "/executions/{id}", Tags: []string{"Executions"},
		Summary:     "Get an execution",
		Description: "Returns one run of a task: its status, attempt, times, output and error. An execution of another namespace is not found.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		ID string `path:"id" doc:"The execution's ID, as trigger-task and list-executions return it." example:"0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60"`
	},
	) (*struct{ Body Execution }, error) {
		x, err := s.execution(ctx, in.Namespace, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Execution }{executionOut(x)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "cancel-execution", Method: http.MethodPost, Path: "/executions/{id}/cancel", Tags: []string{"Executions"},
		Summary: "Cancel an execution",
		Description: "Cancels a running execution (recorded canceled) or a pending one (recorded canceled before it starts). " +
			"An execution that already ended is refused with 409.",
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		ID string `path:"id" doc:"The execution's ID, as trigger-task and list-executions return it." example:"0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60"`
	},
	) (*struct{ Body Execution }, error) {
		x, err := s.execution(ctx, in.Namespace, in.ID)
		if err != nil {
			return nil, err
		}
		if s.cfg.Scheduler.Cancel(x.ID) {
			return &struct{ Body Execution }{executionOut(x)}, nil
		}
		if x.Status.Final() {
			return nil, huma.Error409Conflict(fmt.Sprintf("execution %s already ended: %s", x.ID, x.Status))
		}
		// Pending, or running on a node that is not this one: record it
		// canceled unless it started meanwhile.
		updated, err := s.cfg.Store.ExecutionUpdate(ctx, store.ExecutionUpdateParams{
			ID: x.ID, From: []core.ExecutionStatus{core.StatusPending}, Status: core.StatusCanceled,
			FinishedAt: time.Now(), Error: "canceled on request before it started",
		})
		if err != nil {
			return nil, problem("cancel execution "+x.ID, err)
		}
		return &struct{ Body Execution }{executionOut(updated)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "retry-execution", Method: http.MethodPost, Path: "/executions/{id}/retry", Tags: []string{"Executions"},
		Summary: "Run an ended execution's task again",
		Description: "Runs the execution's task once now, as trigger-task does: a new manual execution with the task's " +
			"current config (an override given to the original trigger is not kept). Answers at once with the new " +
			"execution. An execution still pending or running is refused with 409 (cancel it first); one whose task " +
			"was deleted with 404. A namespace at its settings.quotas.max_executions_per_minute refuses it with 429.",
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		ID string `path:"id" doc:"The execution's ID, as trigger-task and list-executions return it." example:"0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60"`
	},
	) (*struct{ Body Execution }, error) {
		x, err := s.execution(ctx, in.Namespace, in.ID)
		if err != nil {
			return nil, err
		}
		if !x.Status.Final() {
			return nil, huma.Error409Conflict(fmt.Sprintf("execution %s is still %s: wait for it to end, or cancel it, before running it again", x.ID, x.Status))
		}
		t, err := s.cfg.Store.TaskGetByID(ctx, x.TaskID)
		if err != nil {
			return nil, problem(fmt.Sprintf("retry execution %s: its task %q", x.ID, x.TaskName), err)
		}
		ns, err := s.namespace(ctx, in.Namespace)
		if err != nil {
			return nil, err
		}
		next, err := s.cfg.Scheduler.Trigger(ctx, t, ns.Settings, nil)
		if err != nil {
			if next.ID != "" {
				return nil, huma.Error503ServiceUnavailable(err.Error())
			}
			return nil, problem("retry execution "+x.ID, err)
		}
		return &struct{ Body Execution }{executionOut(next)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-execution-logs", Method: http.MethodGet, Path: "/executions/{id}/logs", Tags: []string{"Executions"},
		Summary: "Get an execution's log lines", Description: "In order, after the sequence number given.",
		Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		NamespaceParam
		ID    string `path:"id" doc:"The execution's ID, as trigger-task and list-executions return it." example:"0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60"`
		After int64  `query:"after" minimum:"0" doc:"Returns lines after this sequence number."`
		Limit int    `query:"limit" minimum:"0" maximum:"1000" doc:"Page size; 50 when 0."`
	},
	) (*struct{ Body LogPage }, error) {
		if _, err := s.execution(ctx, in.Namespace, in.ID); err != nil {
			return nil, err
		}
		lines, err := s.cfg.Store.LogList(ctx, store.LogListParams{ExecutionID: in.ID, AfterSeq: in.After, Limit: in.Limit})
		if err != nil {
			return nil, problem("get log lines", err)
		}
		out := LogPage{Lines: make([]LogLine, len(lines))}
		for i, l := range lines {
			out.Lines[i] = logOut(l)
		}
		return &struct{ Body LogPage }{out}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-task-logs", Method: http.MethodGet, Path: "/tasks/{name}/logs", Tags: []string{"Executions"},
		Summary: "Get a task's latest log lines",
		Description: "The log lines of the task's latest executions, newest execution first and each execution's lines in order, " +
			"up to limit lines in all. Executions that logged nothing are passed over.",
		Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		TaskPath
		Limit int `query:"limit" default:"50" minimum:"1" maximum:"1000" doc:"Most lines returned."`
	},
	) (*struct{ Body LogPage }, error) {
		t, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("get logs of task %q", in.Name), err)
		}
		out := LogPage{Lines: []LogLine{}}
		cursor := ""
		for len(out.Lines) < in.Limit {
			page, err := s.cfg.Store.ExecutionList(ctx, store.ExecutionListParams{Namespace: in.Namespace, TaskID: t.ID, Cursor: cursor, Limit: 20})
			if err != nil {
				return nil, problem("get task logs", err)
			}
			for _, x := range page.Executions {
				lines, err := s.cfg.Store.LogList(ctx, store.LogListParams{ExecutionID: x.ID, Limit: in.Limit - len(out.Lines)})
				if err != nil {
					return nil, problem("get task logs", err)
				}
				for _, l := range lines {
					out.Lines = append(out.Lines, logOut(l))
				}
				if len(out.Lines) >= in.Limit {
					break
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		return &struct{ Body LogPage }{out}, nil
	})
}

// execution reads an execution of the namespace; one of another namespace
// is not found, as if it did not exist.
func (s *server) execution(ctx context.Context, namespace, id string) (core.Execution, error) {
	x, err := s.cfg.Store.ExecutionGet(ctx, id)
	if err == nil && x.Namespace != namespace {
		err = fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return core.Execution{}, problem("execution "+id, err)
	}
	return x, nil
}
