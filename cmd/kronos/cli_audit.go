package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/openapi/client"
)

// auditKinds are the kinds of object an audit event may change.
var auditKinds = []string{"namespace", "task", "execution", "plugin", "secret", "token"}

func newAuditCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := newClientGroup("audit", "Read the audit log: every change made through the API",
		`Audit reads the namespace's audit log: every change made through the API that
succeeded, with who made it (the token or certificate), the operation, the
object, the client's address, and the object before and after (-o json or
-o yaml shows them; never a secret's value or a token). Reading it takes the
admin role.`, o, true)
	cmd.Example = `  kronos audit list --since 24h
  kronos audit list --kind task --target daily_backup -o json
  kronos audit list --action revoke-token --all`
	cmd.AddCommand(newAuditListCmd(o))
	return cmd
}

func newAuditListCmd(o *clientOptions) *cobra.Command {
	var actor, action, kind, target, since, until string
	var limit int64
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Long: `List prints the namespace's audit events, newest first, one page (--limit,
100 by default) unless --all walks every page. --since and --until take an
RFC 3339 instant (2025-06-01T00:00:00Z) or a duration back from now (24h).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			p := &client.ListAuditEventsParams{Namespace: o.ns()}
			if actor != "" {
				p.Actor = &actor
			}
			if action != "" {
				p.Action = &action
			}
			if target != "" {
				p.Target = &target
			}
			if kind != "" {
				if !slices.Contains(auditKinds, kind) {
					return &usageError{err: fmtUsage(cmd, fmt.Errorf("--kind %q: use %s", kind, strings.Join(auditKinds, ", ")))}
				}
				p.Kind = ptr(client.ListAuditEventsParamsKind(kind))
			}
			var err error
			if p.Since, err = auditInstant("since", since, now); err != nil {
				return &usageError{err: fmtUsage(cmd, err)}
			}
			if p.Until, err = auditInstant("until", until, now); err != nil {
				return &usageError{err: fmtUsage(cmd, err)}
			}
			if limit < 0 || limit > 1000 {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--limit is %d: give a page size from 1 to 1000, or 0 for the server's", limit))}
			}
			if limit > 0 {
				p.Limit = &limit
			} else if all {
				p.Limit = ptr(int64(clientPageSize))
			}
			var events []client.AuditEvent
			raw := []json.RawMessage{}
			var next *int64
			for {
				r, err := o.api.ListAuditEventsWithResponse(cmd.Context(), p)
				if err := o.check("list audit events", r, err); err != nil {
					return err
				}
				if r.JSON200 == nil {
					return noBody("list audit events", r)
				}
				events = append(events, deref(r.JSON200.Events)...)
				var page struct {
					Events []json.RawMessage `json:"events"`
				}
				_ = json.Unmarshal(r.Body, &page)
				raw = append(raw, page.Events...)
				next = r.JSON200.NextBeforeId
				if !all || next == nil {
					break
				}
				p.BeforeId = next
			}
			list := struct {
				Events       []json.RawMessage `json:"events"`
				NextBeforeID *int64            `json:"next_before_id,omitempty"`
			}{raw, next}
			err = o.print(cmd.OutOrStdout(), list, func(w io.Writer) { auditTable(w, events) })
			if err == nil && next != nil && o.output == "table" {
				fmt.Fprintln(cmd.ErrOrStderr(), "more events follow: add --all, or a larger --limit")
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&actor, "actor", "", `only this actor, exactly as events show it ("token:ID (NAME)")`)
	f.StringVar(&action, "action", "", "only this operation, such as delete-task or create-token")
	f.StringVar(&kind, "kind", "", "only changes to this kind of object: "+strings.Join(auditKinds, ", "))
	f.StringVar(&target, "target", "", "only changes to this object (name or ID)")
	f.StringVar(&since, "since", "", "only events at or after this instant: RFC 3339, or a duration back from now such as 24h")
	f.StringVar(&until, "until", "", "only events before this instant: RFC 3339, or a duration back from now")
	f.Int64Var(&limit, "limit", 0, "page size, up to 1000 (default: the server's, 100)")
	f.BoolVar(&all, "all", false, "fetch every page")
	return cmd
}

// auditInstant reads --since or --until: an RFC 3339 instant, or a
// duration back from now. Empty is nil.
func auditInstant(flag, v string, now time.Time) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return ptr(now.Add(-d)), nil
	}
	return nil, fmt.Errorf("--%s %q: give an RFC 3339 instant such as %s, or a duration back from now such as 24h",
		flag, v, now.UTC().Truncate(time.Hour).Format(time.RFC3339))
}

// auditTable writes audit events as a table.
func auditTable(w io.Writer, es []client.AuditEvent) {
	fmt.Fprintln(w, "TIME\tACTOR\tACTION\tKIND\tTARGET\tSTATUS\tREMOTE")
	for _, e := range es {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Actor, e.Action, e.Kind,
			orDash(deref(e.Target)), strconv.FormatInt(e.Status, 10), orDash(deref(e.Remote)))
	}
}
