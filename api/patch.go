package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
)

// inputOf is the TaskInput that replace-task would need to leave t as it
// is: the base a merge patch applies to.
func inputOf(t core.Task) TaskInput {
	out := taskOut(t)
	in := TaskInput{
		Name: t.Name, Description: t.Description, Labels: t.Labels, Schedule: t.Schedule, TimeZone: t.TimeZone,
		Executor: t.Executor, Config: t.Config, Timeout: out.Timeout, Concurrency: out.Concurrency, Misfire: out.Misfire,
		CatchUpLim: t.CatchUpLimit, Paused: t.Paused, StartAt: out.StartAt, EndAt: out.EndAt,
	}
	r := out.Retry
	in.Retry = &r
	return in
}

// mergePatch applies an RFC 7396 JSON merge patch to doc.
func mergePatch(doc, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, ok := doc.(map[string]any)
	if !ok {
		d = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(d, k)
			continue
		}
		d[k] = mergePatch(d[k], v)
	}
	return d
}

func (s *server) registerPatch(g huma.API) {
	huma.Register(g, huma.Operation{
		OperationID: "patch-task", Method: http.MethodPatch, Path: "/tasks/{name}", Tags: []string{"Tasks"},
		Summary: "Change some fields of a task",
		Description: "Applies a JSON merge patch (RFC 7396) to the task as replace-task would write it: fields given replace theirs, " +
			"null resets a field to its default, objects (labels, config, retry) merge. With If-Match (the ETag as read), " +
			"a task changed since is refused with 409. The engine follows the new schedule at once.",
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		TaskPath
		IfMatch string         `header:"If-Match" doc:"The task's ETag as read; the change is refused if it changed since."`
		Body    map[string]any `contentType:"application/merge-patch+json" doc:"The fields to change, as in replace-task; null resets one."`
	},
	) (*TaskOutput, error) {
		version, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		cur, err := s.cfg.Store.TaskGetByName(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("patch task %q", in.Name), err)
		}
		if version != 0 && version != cur.Version {
			return nil, huma.Error409Conflict(fmt.Sprintf("patch task %q: it is at version %d, not %d: read it again", in.Name, cur.Version, version))
		}
		base, err := json.Marshal(inputOf(cur))
		if err != nil {
			return nil, problem("patch task", err)
		}
		var doc any
		if err := json.Unmarshal(base, &doc); err != nil {
			return nil, problem("patch task", err)
		}
		// A patch may use the seed's aliases: cron for schedule, type for
		// executor. The alias then replaces the field.
		if m, ok := doc.(map[string]any); ok {
			for alias, field := range map[string]string{"cron": "schedule", "type": "executor"} {
				if _, ok := in.Body[alias]; ok {
					delete(m, field)
				}
			}
		}
		merged, err := json.Marshal(mergePatch(doc, in.Body))
		if err != nil {
			return nil, problem("patch task", err)
		}
		var next TaskInput
		dec := json.NewDecoder(bytes.NewReader(merged))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&next); err != nil {
			return nil, huma.Error422UnprocessableEntity("patch task: the patched task is not a task",
				&huma.ErrorDetail{Location: "body", Message: err.Error()})
		}
		if next.Name == "" {
			next.Name = in.Name
		}
		t, err := next.task(in.Namespace)
		if err != nil {
			return nil, next.aliased(problem("patch task", err))
		}
		t.ID, t.Version = cur.ID, cur.Version
		out, err := s.update(ctx, t)
		return out, next.aliased(err)
	})
}
