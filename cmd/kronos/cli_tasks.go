package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/openapi/client"
)

// readOnlyTaskFields are the fields of a task as get prints it that a
// client does not write: create and apply drop them, so that the output of
// `kronos tasks get NAME -o yaml` can be edited and applied.
var readOnlyTaskFields = []string{"$schema", "id", "version", "created_at", "updated_at", "next_fire_at", "last_execution"}

func newTasksCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := newClientGroup("tasks", "List, create, apply, trigger, pause and delete tasks on a server",
		`Tasks manages the tasks of a namespace on a running server: what runs when,
with which executor and config.

A task file is JSON or YAML (by its extension, or its content), with the
fields of the API's TaskInput: name, schedule (or cron), timezone, executor
(or type), config, timeout, retry, concurrency, misfire, catch_up_limit,
paused, start_at, end_at, description, labels. The output of
"kronos tasks get NAME -o yaml" is one too: id, version, created_at and
updated_at are ignored, and its namespace is used unless --namespace (or
KRONOS_NAMESPACE) names another, which is an error.`, o, true)
	cmd.Example = `  kronos tasks create -f task.yaml
  kronos tasks apply -f task.yaml          # create, or replace if it exists
  kronos tasks list --selector team=ops -o json
  kronos tasks trigger daily_backup --follow
  kronos tasks logs daily_backup --limit 20`
	cmd.AddCommand(
		newTasksListCmd(o), newTasksGetCmd(o), newTasksCreateCmd(o), newTasksApplyCmd(o), newTasksDeleteCmd(o),
		newTasksTriggerCmd(o), newTasksPauseCmd(o, true), newTasksPauseCmd(o, false), newTasksPreviewCmd(o), newTasksLogsCmd(o),
	)
	return cmd
}

func newTasksListCmd(o *clientOptions) *cobra.Command {
	var selector, q, executor, paused string
	var limit int64
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the namespace's tasks by name",
		Long: `List prints the namespace's tasks by name, one page (--limit, 50 by default)
unless --all walks every page. In table form a note on stderr says when more
pages follow; in json and yaml, next_cursor does.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := &client.ListTasksParams{Namespace: o.ns()}
			if selector != "" {
				p.Selector = &selector
			}
			if q != "" {
				p.Q = &q
			}
			if executor != "" {
				p.Executor = &executor
			}
			switch paused {
			case "":
			case "true", "false":
				p.Paused = ptr(client.ListTasksParamsPaused(paused))
			default:
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--paused %q: use true or false", paused))}
			}
			if limit < 0 {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--limit is %d: give a page size from 1 to 1000, or 0 for the server's", limit))}
			}
			if limit > 0 {
				p.Limit = &limit
			} else if all {
				p.Limit = ptr(int64(clientPageSize))
			}
			var tasks []client.Task
			var raw []json.RawMessage
			var next string
			for {
				r, err := o.api.ListTasksWithResponse(cmd.Context(), p)
				if err := o.check("list tasks", r, err); err != nil {
					return err
				}
				if r.JSON200 == nil {
					return noBody("list tasks", r)
				}
				tasks = append(tasks, deref(r.JSON200.Tasks)...)
				var page struct {
					Tasks []json.RawMessage `json:"tasks"`
				}
				_ = json.Unmarshal(r.Body, &page)
				raw = append(raw, page.Tasks...)
				next = deref(r.JSON200.NextCursor)
				if !all || next == "" {
					break
				}
				p.Cursor = &next
			}
			list := struct {
				Tasks      []json.RawMessage `json:"tasks"`
				NextCursor string            `json:"next_cursor,omitempty"`
			}{raw, next}
			err := o.print(cmd.OutOrStdout(), list, func(w io.Writer) { taskTable(w, tasks) })
			if err == nil && next != "" && o.output == "table" {
				fmt.Fprintln(cmd.ErrOrStderr(), "more tasks follow: add --all, or a larger --limit")
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&selector, "selector", "", "label selector: key=value, key!=value, key, !key, comma-separated (all must match)")
	f.StringVar(&q, "q", "", "keep tasks whose name or description contains this text")
	f.StringVar(&executor, "executor", "", "keep tasks of this executor")
	f.StringVar(&paused, "paused", "", "keep only paused (true) or active (false) tasks")
	f.Int64Var(&limit, "limit", 0, "page size, up to 1000 (default: the server's, 50)")
	f.BoolVar(&all, "all", false, "fetch every page")
	return cmd
}

func newTasksGetCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Print a task",
		Long:  `Get prints one task; -o yaml or -o json shows every field, and the result can be edited and given to "kronos tasks apply -f".`,
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, body, err := o.getTask(cmd, args[0])
			if err != nil {
				return err
			}
			return o.print(cmd.OutOrStdout(), apiObject(body), func(w io.Writer) { taskTable(w, []client.Task{*t}) })
		},
	}
}

// getTask reads a task of the namespace.
func (o *clientOptions) getTask(cmd *cobra.Command, name string) (*client.Task, []byte, error) {
	what := fmt.Sprintf("get task %q", name)
	r, err := o.api.GetTaskWithResponse(cmd.Context(), name, &client.GetTaskParams{Namespace: o.ns()})
	if err := o.check(what, r, err); err != nil {
		return nil, nil, err
	}
	if r.JSON200 == nil {
		return nil, nil, noBody(what, r)
	}
	return r.JSON200, r.Body, nil
}

func newTasksCreateCmd(o *clientOptions) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "create -f FILE",
		Short: "Create a task from a JSON or YAML file",
		Long: `Create creates the task a JSON or YAML file describes ("-f -" reads stdin).
A task of that name already in the namespace is a conflict (exit code 4): use
"kronos tasks apply" to create or replace.`,
		Example: `  kronos tasks create -f task.yaml
  echo '{"name":"ping","schedule":"@every 1m","executor":"http","config":{"url":"https://example.com"}}' | kronos tasks create -f -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, name, err := o.taskFile(cmd, file)
			if err != nil {
				return err
			}
			t, raw, err := o.createTask(cmd, name, body)
			if err != nil {
				return err
			}
			return o.printTaskChange(cmd, t, raw, "created")
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "the task file, JSON or YAML; - for stdin")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func newTasksApplyCmd(o *clientOptions) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Create a task from a file, or replace it if it exists",
		Long: `Apply makes the namespace's task what a JSON or YAML file describes: it
creates the task, or replaces every field of the one of that name (fields
left out take their defaults), and prints "created", "updated" or
"unchanged" (nothing is written when the task already matches the file).

The replace carries the version read (If-Match): a task changed by someone
else in between is a conflict (exit code 4); run apply again. A file that
does not say "paused" keeps the task paused or active as it is.`,
		Example: `  kronos tasks apply -f task.yaml
  kronos tasks get daily_backup -o yaml > t.yaml && $EDITOR t.yaml && kronos tasks apply -f t.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, name, err := o.taskFile(cmd, file)
			if err != nil {
				return err
			}
			if name == "" {
				return &usageError{err: fmt.Errorf("%s names no task: add a name field", displayName(file))}
			}
			what := fmt.Sprintf("apply task %q", name)
			r, err := o.api.GetTaskWithResponse(cmd.Context(), name, &client.GetTaskParams{Namespace: o.ns()})
			if err != nil {
				return o.transportError(what, err)
			}
			if r.StatusCode() == http.StatusNotFound {
				t, raw, err := o.createTask(cmd, name, body)
				if err != nil {
					return err
				}
				return o.printTaskChange(cmd, t, raw, "created")
			}
			if err := o.check(what, r, nil); err != nil {
				return err
			}
			cur := r.JSON200
			if cur == nil {
				return noBody(what, r)
			}
			if _, ok := body["paused"]; !ok {
				body["paused"] = json.RawMessage(strconv.FormatBool(cur.Paused))
			}
			if taskMatches(*cur, body) {
				return o.printTaskChange(cmd, cur, r.Body, "unchanged")
			}
			b, err := json.Marshal(body)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			ifMatch := strconv.Quote(strconv.FormatInt(cur.Version, 10))
			rr, err := o.api.ReplaceTaskWithBodyWithResponse(cmd.Context(), name,
				&client.ReplaceTaskParams{Namespace: o.ns(), IfMatch: &ifMatch}, "application/json", bytes.NewReader(b))
			if err := o.check(what, rr, err); err != nil {
				return err
			}
			if rr.JSON200 == nil {
				return noBody(what, rr)
			}
			return o.printTaskChange(cmd, rr.JSON200, rr.Body, "updated")
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "the task file, JSON or YAML; - for stdin")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// taskFile reads a task file, drops its read-only fields, and settles
// the namespace: the file's, unless --namespace names another (a usage
// error). It returns the body to send and the task's name.
func (o *clientOptions) taskFile(cmd *cobra.Command, file string) (map[string]json.RawMessage, string, error) {
	body, err := readObject(file, cmd.InOrStdin())
	if err != nil {
		return nil, "", err
	}
	for _, k := range readOnlyTaskFields {
		delete(body, k)
	}
	if raw, ok := body["namespace"]; ok {
		var ns string
		if err := json.Unmarshal(raw, &ns); err != nil {
			return nil, "", &usageError{err: fmt.Errorf("%s: namespace must be a string", displayName(file))}
		}
		delete(body, "namespace")
		switch {
		case ns == "" || ns == o.namespace:
		case o.namespaceSet:
			return nil, "", &usageError{err: fmt.Errorf("%s is in namespace %q but --namespace (or %s) says %q: drop one of them",
				displayName(file), ns, envNamespace, o.namespace)}
		default:
			o.namespace = ns
		}
	}
	var name string
	if raw, ok := body["name"]; ok {
		_ = json.Unmarshal(raw, &name)
	}
	return body, name, nil
}

// displayName names a file in messages.
func displayName(file string) string {
	if file == "-" {
		return "stdin"
	}
	return file
}

// createTask creates a task from a request body.
func (o *clientOptions) createTask(cmd *cobra.Command, name string, body map[string]json.RawMessage) (*client.Task, []byte, error) {
	what := "create task"
	if name != "" {
		what = fmt.Sprintf("create task %q", name)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	r, err := o.api.CreateTaskWithBodyWithResponse(cmd.Context(), &client.CreateTaskParams{Namespace: o.ns()}, "application/json", bytes.NewReader(b))
	if err := o.check(what, r, err); err != nil {
		return nil, nil, err
	}
	if r.JSON201 == nil {
		return nil, nil, noBody(what, r)
	}
	return r.JSON201, r.Body, nil
}

// printTaskChange prints a task a command changed: a sentence in table
// form, the task (body, as the server wrote it) in json and yaml.
func (o *clientOptions) printTaskChange(cmd *cobra.Command, t *client.Task, body []byte, verb string) error {
	if o.output != "table" {
		return o.print(cmd.OutOrStdout(), apiObject(body), nil)
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "task %q %s (namespace %s, version %d)\n", t.Name, verb, t.Namespace, t.Version)
	return err
}

func newTasksDeleteCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a task",
		Long:  "Delete deletes the task: it fires no more. Its executions and logs stay until retention removes them.",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("delete task %q", args[0])
			r, err := o.api.DeleteTaskWithResponse(cmd.Context(), args[0], &client.DeleteTaskParams{Namespace: o.ns()})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if o.output == "table" {
				fmt.Fprintf(cmd.OutOrStdout(), "task %q deleted (%s)\n", args[0], o.nsLabel())
			}
			return nil
		},
	}
}

func newTasksPauseCmd(o *clientOptions, pause bool) *cobra.Command {
	verb, done, long := "pause", "paused", "Pause stops the task from firing until it is resumed; manual triggers still run. Pausing a paused task changes nothing."
	if !pause {
		verb, done, long = "resume", "resumed", "Resume lets a paused task fire again from its next instant; the instants it was paused for are not run."
	}
	return &cobra.Command{
		Use:   verb + " NAME",
		Short: map[bool]string{true: "Stop a task from firing", false: "Let a paused task fire again"}[pause],
		Long:  long,
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("%s task %q", verb, args[0])
			var t *client.Task
			var body []byte
			if pause {
				r, err := o.api.PauseTaskWithResponse(cmd.Context(), args[0], &client.PauseTaskParams{Namespace: o.ns()})
				if err := o.check(what, r, err); err != nil {
					return err
				}
				t, body = r.JSON200, r.Body
			} else {
				r, err := o.api.ResumeTaskWithResponse(cmd.Context(), args[0], &client.ResumeTaskParams{Namespace: o.ns()})
				if err := o.check(what, r, err); err != nil {
					return err
				}
				t, body = r.JSON200, r.Body
			}
			if t == nil {
				return fmt.Errorf("%s: the server answered without the task", what)
			}
			return o.printTaskChange(cmd, t, body, done)
		},
	}
}

func newTasksTriggerCmd(o *clientOptions) *cobra.Command {
	var config string
	var follow bool
	cmd := &cobra.Command{
		Use:   "trigger NAME",
		Short: "Run a task now",
		Long: `Trigger runs the task once now, outside its schedule (paused or not), and
prints the execution. --config replaces the task's config for this run only:
inline JSON or YAML, or @FILE (@- for stdin). --follow then prints the
execution's log lines until it ends, and exits 1 unless it succeeded.`,
		Example: `  kronos tasks trigger daily_backup
  kronos tasks trigger daily_backup --config '{"method":"POST","url":"https://example.com/dry-run"}' --follow
  kronos tasks trigger daily_backup --config @override.yaml`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := client.TriggerInput{}
			if cmd.Flags().Changed("config") {
				v, err := readValue("--config", config, cmd.InOrStdin())
				if err != nil {
					return err
				}
				in.Config = v
			}
			what := fmt.Sprintf("trigger task %q", args[0])
			r, err := o.api.TriggerTaskWithResponse(cmd.Context(), args[0], &client.TriggerTaskParams{Namespace: o.ns()}, in)
			if err := o.check(what, r, err); err != nil {
				return err
			}
			x := r.JSON202
			if x == nil {
				return noBody(what, r)
			}
			if follow {
				if o.output == "table" {
					fmt.Fprintf(cmd.ErrOrStderr(), "execution %s started\n", x.Id)
				}
				return o.follow(cmd, x.Id)
			}
			if err := o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { executionTable(w, []client.Execution{*x}) }); err != nil {
				return err
			}
			if o.output == "table" {
				fmt.Fprintf(cmd.ErrOrStderr(), "follow it with: kronos executions logs %s --follow\n", x.Id)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "config for this run only: JSON or YAML, or @FILE")
	cmd.Flags().BoolVarP(&follow, "follow", "F", false, "print the execution's log lines until it ends")
	return cmd
}

func newTasksPreviewCmd(o *clientOptions) *cobra.Command {
	var count int64
	cmd := &cobra.Command{
		Use:   "preview NAME",
		Short: "Print a task's next fire times",
		Long:  "Preview prints the next instants the task fires at, in its time zone, within its start and end window; none while it is paused.",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 1 || count > 100 {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--count is %d: give 1 to 100", count))}
			}
			what := fmt.Sprintf("preview task %q", args[0])
			r, err := o.api.PreviewTaskWithResponse(cmd.Context(), args[0], &client.PreviewTaskParams{Namespace: o.ns(), Count: &count})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			p := r.JSON200
			if p == nil {
				return noBody(what, r)
			}
			if len(deref(p.Next)) == 0 && o.output == "table" {
				fmt.Fprintln(cmd.ErrOrStderr(), "no coming instants: the task is paused, manual, or past its end")
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) {
				fmt.Fprintln(w, "NEXT")
				for _, at := range deref(p.Next) {
					fmt.Fprintln(w, at.Format(time.RFC3339))
				}
			})
		},
	}
	cmd.Flags().Int64Var(&count, "count", 5, "how many instants, 1 to 100")
	return cmd
}

func newTasksLogsCmd(o *clientOptions) *cobra.Command {
	var limit int64
	cmd := &cobra.Command{
		Use:   "logs NAME",
		Short: "Print a task's latest log lines",
		Long: `Logs prints the log lines of the task's latest executions, newest execution
first and each execution's lines in order, up to --limit lines in all, as
TIME EXECUTION LEVEL MESSAGE.`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > 1000 {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--limit is %d: give 1 to 1000", limit))}
			}
			what := fmt.Sprintf("get logs of task %q", args[0])
			r, err := o.api.GetTaskLogsWithResponse(cmd.Context(), args[0], &client.GetTaskLogsParams{Namespace: o.ns(), Limit: &limit})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			page := r.JSON200
			if page == nil {
				return noBody(what, r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) {
				for _, l := range deref(page.Lines) {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", l.Time.Format(logTimeFormat), l.ExecutionId, l.Level, l.Message)
				}
			})
		},
	}
	cmd.Flags().Int64Var(&limit, "limit", 50, "most lines, 1 to 1000")
	return cmd
}

// taskTable writes tasks as a table.
func taskTable(w io.Writer, tasks []client.Task) {
	fmt.Fprintln(w, "NAME\tSCHEDULE\tEXECUTOR\tPAUSED\tVERSION")
	for _, t := range tasks {
		sched := t.Schedule
		if sched == "" {
			sched = "(manual)"
		} else if t.Timezone != "" && t.Timezone != "UTC" {
			sched += " (" + t.Timezone + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%d\n", t.Name, sched, t.Executor, t.Paused, t.Version)
	}
}

// taskMatches reports whether replacing cur with body would change
// nothing: every field body gives equals cur's, and every field it leaves
// out is at its default in cur. When in doubt it says no (apply then
// writes, which is harmless).
func taskMatches(cur client.Task, body map[string]json.RawMessage) bool {
	want := taskDefaults()
	for k, raw := range body {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return false
		}
		switch k {
		case "name":
			continue
		case "cron", "type":
			alias := map[string]string{"cron": "schedule", "type": "executor"}[k]
			if other, ok := body[alias]; ok && !bytes.Equal(bytes.TrimSpace(other), bytes.TrimSpace(raw)) {
				return false // the server refuses the contradiction
			}
			k = alias
		case "retry":
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			retry, _ := want["retry"].(map[string]any)
			for rk, rv := range m {
				if !isZero(rv) {
					retry[rk] = rv
				}
			}
			continue
		}
		if _, known := want[k]; !known {
			return false // a field this client does not know: let the server judge
		}
		if !isZero(v) {
			want[k] = v
		}
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return false
	}
	var have map[string]any
	if json.Unmarshal(b, &have) != nil {
		return false
	}
	for k, w := range want {
		if !sameValue(k, w, have[k]) {
			return false
		}
	}
	return true
}

// taskDefaults is every writable field of a task at the value the server
// gives it when a replace leaves it out (core.Task.Normalize).
func taskDefaults() map[string]any {
	var d core.Task
	d.Normalize()
	return map[string]any{
		"description": nil, "labels": nil, "schedule": nil, "executor": nil, "config": map[string]any{},
		"timezone": d.TimeZone, "timeout": d.Timeout.String(),
		"retry": map[string]any{
			"max_attempts": float64(d.Retry.MaxAttempts), "initial_backoff": d.Retry.InitialBackoff.String(),
			"max_backoff": d.Retry.MaxBackoff.String(), "multiplier": d.Retry.Multiplier, "jitter": d.Retry.Jitter,
		},
		"concurrency": string(d.Concurrency), "misfire": string(d.Misfire), "catch_up_limit": float64(d.CatchUpLimit),
		"paused": false, "start_at": nil, "end_at": nil,
	}
}

// sameValue compares a field's wanted and current values as the server
// reads them: durations and times parsed, absent and zero alike.
func sameValue(key string, want, have any) bool {
	if isZero(want) && isZero(have) {
		return true
	}
	switch key {
	case "timeout", "initial_backoff", "max_backoff":
		ws, _ := want.(string)
		hs, _ := have.(string)
		wd, err1 := time.ParseDuration(ws)
		hd, err2 := time.ParseDuration(hs)
		return err1 == nil && err2 == nil && wd == hd
	case "start_at", "end_at":
		ws, _ := want.(string)
		hs, _ := have.(string)
		wt, err1 := time.Parse(time.RFC3339Nano, ws)
		ht, err2 := time.Parse(time.RFC3339Nano, hs)
		return err1 == nil && err2 == nil && wt.Equal(ht)
	case "retry":
		wm, ok1 := want.(map[string]any)
		hm, ok2 := have.(map[string]any)
		if !ok1 || !ok2 {
			return false
		}
		for k, v := range wm {
			if !sameValue(k, v, hm[k]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, have)
}

// isZero is whether a decoded JSON value is absent or zero: the server
// treats those alike.
func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case float64:
		return v == 0
	case bool:
		return !v
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}
