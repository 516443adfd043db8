package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/sse"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// LogFollower is the engine's view of live log lines (Engine.LogsSince).
type LogFollower interface {
	LogsSince(executionID string, seq int64) (lines []core.LogLine, changed <-chan struct{}, ok bool)
}

// followPoll is how often a follower looks at the store for an execution
// that does not run on this node; followKeepAlive bounds the silence on an
// open stream.
const (
	followPoll      = 250 * time.Millisecond
	followKeepAlive = 15 * time.Second
)

// EndEvent closes a log stream: the execution as it ended.
type EndEvent struct {
	Execution Execution `json:"execution"`
}

// ErrorEvent ends a stream that could not start: the execution is not
// found in the namespace (a stream has no status code of its own).
type ErrorEvent struct {
	Status int    `json:"status" example:"404"`
	Detail string `json:"detail"`
}

// KeepAlive is sent on a quiet stream so that proxies keep it open.
type KeepAlive struct {
	Time time.Time `json:"time"`
}

func (s *server) registerFollow(g huma.API) {
	sse.Register(g, huma.Operation{
		OperationID: "follow-execution-logs", Method: http.MethodGet, Path: "/executions/{id}/logs/follow", Tags: []string{"Executions"},
		Summary: "Follow an execution's log lines live (Server-Sent Events)",
		Description: "Streams the execution's log lines after the sequence number given, as `line` events, live while it runs, " +
			"then one `end` event with the execution as it ended, and closes. A finished execution streams its lines and ends at once. " +
			"`keepalive` events come every 15 s on a quiet stream. An execution not found in the namespace gives one `error` event.",
		Errors: []int{http.StatusNotFound},
	}, map[string]any{"line": LogLine{}, "end": EndEvent{}, "keepalive": KeepAlive{}, "error": ErrorEvent{}}, func(ctx context.Context, in *struct {
		NamespaceParam
		ID    string `path:"id" doc:"The execution's ID, as trigger-task and list-executions return it." example:"0193a6f2-7c1e-7d4a-9b3e-5f2c8d1a4e60"`
		After int64  `query:"after" minimum:"0" doc:"Streams lines after this sequence number."`
	}, send sse.Sender,
	) {
		x, err := s.execution(ctx, in.Namespace, in.ID)
		if err != nil {
			ev := ErrorEvent{Status: http.StatusInternalServerError, Detail: err.Error()}
			var se huma.StatusError
			if errors.As(err, &se) {
				ev.Status = se.GetStatus()
			}
			_ = send.Data(ev)
			return
		}
		seq := in.After
		emit := func(lines []core.LogLine) bool {
			for _, l := range lines {
				if l.Seq <= seq {
					continue
				}
				if send(sse.Message{ID: int(l.Seq), Data: logOut(l)}) != nil {
					return false
				}
				seq = l.Seq
			}
			return true
		}
		keepAlive := time.NewTicker(followKeepAlive)
		defer keepAlive.Stop()
		// Live, while it runs on this node.
		if f, ok := s.cfg.Scheduler.(LogFollower); ok {
			for {
				lines, changed, running := f.LogsSince(x.ID, seq)
				if !emit(lines) {
					return
				}
				if !running {
					break
				}
				select {
				case <-changed:
				case <-keepAlive.C:
					if send.Data(KeepAlive{Time: time.Now()}) != nil {
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}
		// Then from the store, until the execution is final there (its
		// lines are stored before its result).
		poll := time.NewTicker(followPoll)
		defer poll.Stop()
		for {
			x, err = s.cfg.Store.ExecutionGet(ctx, x.ID)
			if err != nil {
				return
			}
			for {
				lines, err := s.cfg.Store.LogList(ctx, store.LogListParams{ExecutionID: x.ID, AfterSeq: seq, Limit: store.MaxPageSize})
				if err != nil || !emit(lines) {
					return
				}
				if len(lines) < store.MaxPageSize {
					break
				}
			}
			if x.Status.Final() {
				_ = send.Data(EndEvent{Execution: executionOut(x)})
				return
			}
			select {
			case <-poll.C:
			case <-keepAlive.C:
				if send.Data(KeepAlive{Time: time.Now()}) != nil {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	})
}
