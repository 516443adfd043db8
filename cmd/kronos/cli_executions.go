package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/openapi/client"
)

// executionStatuses are the values of executions list --status.
var executionStatuses = []string{"pending", "running", "succeeded", "failed", "timed_out", "canceled", "skipped", "interrupted"}

// logTimeFormat is the time of a printed log line.
const logTimeFormat = "2006-01-02T15:04:05.000Z07:00"

func newExecutionsCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := newClientGroup("executions", "List executions, read and follow their log lines, cancel them",
		`Executions reads the runs of the namespace's tasks on a running server: their
status, attempt and times, and their log lines, live while they run.`, o, true)
	cmd.Example = `  kronos executions list --task daily_backup --status failed,timed_out
  kronos executions logs 0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60 --follow
  kronos executions cancel 0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60`
	cmd.AddCommand(newExecutionsListCmd(o), newExecutionsGetCmd(o), newExecutionsCancelCmd(o), newExecutionsLogsCmd(o))
	return cmd
}

func newExecutionsListCmd(o *clientOptions) *cobra.Command {
	var task string
	var statuses []string
	var limit int64
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List executions, newest instant first",
		Long: `List prints the namespace's executions (or one task's, with --task), newest
instant first, one page (--limit, 50 by default) unless --all walks every page.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range statuses {
				if !slices.Contains(executionStatuses, s) {
					return &usageError{err: fmtUsage(cmd, fmt.Errorf("--status %q: use %s", s, strings.Join(executionStatuses, ", ")))}
				}
			}
			if limit < 0 || limit > 1000 {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--limit is %d: give a page size from 1 to 1000, or 0 for the server's", limit))}
			}
			if limit == 0 && all {
				limit = clientPageSize
			}
			var xs []client.Execution
			var raw []json.RawMessage
			var next string
			for {
				page, body, err := o.listExecutions(cmd, task, statuses, limit, next)
				if err != nil {
					return err
				}
				xs = append(xs, deref(page.Executions)...)
				var rawPage struct {
					Executions []json.RawMessage `json:"executions"`
				}
				_ = json.Unmarshal(body, &rawPage)
				raw = append(raw, rawPage.Executions...)
				next = deref(page.NextCursor)
				if !all || next == "" {
					break
				}
			}
			list := struct {
				Executions []json.RawMessage `json:"executions"`
				NextCursor string            `json:"next_cursor,omitempty"`
			}{raw, next}
			err := o.print(cmd.OutOrStdout(), list, func(w io.Writer) { executionTable(w, xs) })
			if err == nil && next != "" && o.output == "table" {
				fmt.Fprintln(cmd.ErrOrStderr(), "more executions follow: add --all, or a larger --limit")
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&task, "task", "", "only this task's executions")
	f.StringSliceVar(&statuses, "status", nil, "keep these statuses, comma-separated: "+strings.Join(executionStatuses, ", "))
	f.Int64Var(&limit, "limit", 0, "page size, up to 1000 (default: the server's, 50)")
	f.BoolVar(&all, "all", false, "fetch every page")
	return cmd
}

// listExecutions fetches one page of the namespace's or a task's
// executions.
func (o *clientOptions) listExecutions(cmd *cobra.Command, task string, statuses []string, limit int64, cursor string) (*client.ExecutionList, []byte, error) {
	var lim *int64
	if limit > 0 {
		lim = &limit
	}
	var cursorP *string
	if cursor != "" {
		cursorP = &cursor
	}
	if task == "" {
		p := &client.ListExecutionsParams{Namespace: o.ns(), Limit: lim, Cursor: cursorP}
		if len(statuses) > 0 {
			st := make([]client.ListExecutionsParamsStatus, len(statuses))
			for i, s := range statuses {
				st[i] = client.ListExecutionsParamsStatus(s)
			}
			p.Status = &st
		}
		r, err := o.api.ListExecutionsWithResponse(cmd.Context(), p)
		if err := o.check("list executions", r, err); err != nil {
			return nil, nil, err
		}
		if r.JSON200 == nil {
			return nil, nil, noBody("list executions", r)
		}
		return r.JSON200, r.Body, nil
	}
	what := fmt.Sprintf("list executions of task %q", task)
	p := &client.ListTaskExecutionsParams{Namespace: o.ns(), Limit: lim, Cursor: cursorP}
	if len(statuses) > 0 {
		st := make([]client.ListTaskExecutionsParamsStatus, len(statuses))
		for i, s := range statuses {
			st[i] = client.ListTaskExecutionsParamsStatus(s)
		}
		p.Status = &st
	}
	r, err := o.api.ListTaskExecutionsWithResponse(cmd.Context(), task, p)
	if err := o.check(what, r, err); err != nil {
		return nil, nil, err
	}
	if r.JSON200 == nil {
		return nil, nil, noBody(what, r)
	}
	return r.JSON200, r.Body, nil
}

func newExecutionsGetCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Print an execution",
		Long:  "Get prints one execution; in table form its reason, error and output follow the row.",
		Args:  exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := "get execution " + args[0]
			r, err := o.api.GetExecutionWithResponse(cmd.Context(), args[0], &client.GetExecutionParams{Namespace: o.ns()})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			x := r.JSON200
			if x == nil {
				return noBody(what, r)
			}
			if err := o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { executionTable(w, []client.Execution{*x}) }); err != nil {
				return err
			}
			if o.output == "table" {
				for _, kv := range []struct{ k, v string }{{"Reason", deref(x.Reason)}, {"Error", deref(x.Error)}, {"Output", deref(x.Output)}} {
					if kv.v != "" {
						fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", kv.k, kv.v)
					}
				}
			}
			return nil
		},
	}
}

func newExecutionsCancelCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a pending or running execution",
		Long:  "Cancel cancels a running execution, or a pending one before it starts. One that already ended is a conflict (exit code 4).",
		Args:  exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := "cancel execution " + args[0]
			r, err := o.api.CancelExecutionWithResponse(cmd.Context(), args[0], &client.CancelExecutionParams{Namespace: o.ns()})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			x := r.JSON202
			if x == nil {
				return noBody(what, r)
			}
			if o.output != "table" {
				return o.print(cmd.OutOrStdout(), apiObject(r.Body), nil)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "execution %s of task %q canceled\n", x.Id, x.TaskName)
			return err
		},
	}
}

func newExecutionsLogsCmd(o *clientOptions) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print an execution's log lines, or follow them live",
		Long: `Logs prints the execution's log lines in order, as TIME LEVEL MESSAGE.

--follow prints them live while the execution runs (Server-Sent Events from
/api/v1/executions/{id}/logs/follow) and stops when it ends, with its final
status on stderr. It exits 0 if the execution succeeded and 1 otherwise
(failed, timed out, canceled, skipped, interrupted), so that a script can
wait on a run. With -o json (or yaml) each line is printed as one JSON
object (YAML document) as it comes, then the ended execution as
{"execution": ...}.`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if follow {
				return o.follow(cmd, args[0])
			}
			what := "get logs of execution " + args[0]
			var lines []client.LogLine
			limit := int64(clientPageSize)
			after := int64(0)
			for {
				r, err := o.api.GetExecutionLogsWithResponse(cmd.Context(), args[0],
					&client.GetExecutionLogsParams{Namespace: o.ns(), After: &after, Limit: &limit})
				if err := o.check(what, r, err); err != nil {
					return err
				}
				if r.JSON200 == nil {
					return noBody(what, r)
				}
				page := deref(r.JSON200.Lines)
				lines = append(lines, page...)
				if int64(len(page)) < limit {
					break
				}
				after = page[len(page)-1].Seq
			}
			return o.print(cmd.OutOrStdout(), client.LogPage{Lines: &lines}, func(w io.Writer) {
				for _, l := range lines {
					writeLogLine(w, l)
				}
			})
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "print the lines live until the execution ends")
	return cmd
}

// writeLogLine writes a log line as TIME LEVEL MESSAGE.
func writeLogLine(w io.Writer, l client.LogLine) {
	fmt.Fprintf(w, "%s %-5s %s\n", l.Time.Format(logTimeFormat), l.Level, l.Message)
}

// executionFailedError is the error of a followed execution that ended
// without succeeding (exit code 1).
type executionFailedError struct {
	x client.Execution
}

func (e *executionFailedError) Error() string {
	msg := fmt.Sprintf("execution %s of task %q %s", e.x.Id, e.x.TaskName, e.x.Status)
	if why := cmp.Or(deref(e.x.Error), deref(e.x.Reason)); why != "" {
		msg += ": " + why
	}
	return msg
}

// follow prints an execution's log lines live until it ends, from the
// follow-execution-logs stream (Server-Sent Events, which the generated
// client does not read: its request builder makes the request and the
// events are read here).
func (o *clientOptions) follow(cmd *cobra.Command, id string) error {
	what := "follow the logs of execution " + id
	req, err := client.NewFollowExecutionLogsRequest(o.server, id, &client.FollowExecutionLogsParams{Namespace: o.ns()})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	req = req.WithContext(cmd.Context())
	req.Header.Set("Accept", "text/event-stream")
	resp, err := o.http.Do(req)
	if err != nil {
		return o.transportError(what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return o.problem(what, resp.StatusCode, body)
	}
	out := cmd.OutOrStdout()
	var end *client.Execution
	err = readEvents(resp.Body, func(event string, data []byte) (bool, error) {
		switch event {
		case "line":
			var l client.LogLine
			if err := json.Unmarshal(data, &l); err != nil {
				return false, fmt.Errorf("%s: a line event: %w", what, err)
			}
			return true, o.printEvent(out, l, func() { writeLogLine(out, l) })
		case "end":
			var ev client.EndEvent
			if err := json.Unmarshal(data, &ev); err != nil {
				return false, fmt.Errorf("%s: the end event: %w", what, err)
			}
			end = &ev.Execution
			return false, nil
		case "error":
			var ev client.ErrorEvent
			if err := json.Unmarshal(data, &ev); err != nil {
				return false, fmt.Errorf("%s: an error event: %w", what, err)
			}
			title := http.StatusText(int(ev.Status))
			return false, &problemError{status: int(ev.Status), title: title, detail: ev.Detail}
		}
		return true, nil // keepalive, and events of later versions
	})
	if pe := (*problemError)(nil); errors.As(err, &pe) {
		return pe
	}
	if err != nil {
		return o.transportError(what, err)
	}
	if end == nil {
		return fmt.Errorf("%s: the stream closed before the execution ended (the server stopped?): run the command again", what)
	}
	if o.output == "table" {
		fmt.Fprintf(cmd.ErrOrStderr(), "execution %s %s%s\n", end.Id, end.Status, durationNote(end))
	} else if err := o.printEvent(out, map[string]any{"execution": end}, nil); err != nil {
		return err
	}
	if end.Status != "succeeded" {
		return &executionFailedError{x: *end}
	}
	return nil
}

// durationNote is " in 12ms" for an execution that ran, or "".
func durationNote(x *client.Execution) string {
	if x.DurationMs == nil {
		return ""
	}
	return " in " + (time.Duration(*x.DurationMs) * time.Millisecond).String()
}

// printEvent prints one item of a stream: table calls table, json a
// compact line, yaml a document.
func (o *clientOptions) printEvent(out io.Writer, v any, table func()) error {
	switch o.output {
	case "json":
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode as JSON: %w", err)
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	case "yaml":
		b, err := toYAML(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "---\n%s", b)
		return err
	}
	table()
	return nil
}

// readEvents reads Server-Sent Events from r and calls on with each
// event's name and data until on says stop, on fails, or r ends.
func readEvents(r io.Reader, on func(event string, data []byte) (more bool, err error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	event, data := "", []byte(nil)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data == nil {
				event = ""
				continue
			}
			more, err := on(cmp.Or(event, "message"), data)
			if err != nil || !more {
				return err
			}
			event, data = "", nil
		case strings.HasPrefix(line, ":"): // a comment
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				event = value
			case "data":
				if data != nil {
					data = append(data, '\n')
				}
				data = append(data, value...)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if data != nil {
		if _, err := on(cmp.Or(event, "message"), data); err != nil {
			return err
		}
	}
	return nil
}

// executionTable writes executions as a table.
func executionTable(w io.Writer, xs []client.Execution) {
	fmt.Fprintln(w, "ID\tTASK\tSCHEDULED\tTRIGGER\tATTEMPT\tSTATUS\tDURATION")
	for _, x := range xs {
		dur := "-"
		if x.DurationMs != nil {
			dur = (time.Duration(*x.DurationMs) * time.Millisecond).String()
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", x.Id, x.TaskName, x.ScheduledAt.Format(time.RFC3339), x.Trigger, x.Attempt, x.Status, dur)
	}
}
