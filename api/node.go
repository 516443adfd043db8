package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core/engine"
)

// NodeInfo describes the node serving the API; the server fills it in.
type NodeInfo struct {
	ID        string    `json:"id" doc:"The node's stable ID."`
	Version   string    `json:"version" doc:"The kronos build."`
	StartedAt time.Time `json:"started_at"`
	Store     string    `json:"store" enum:"sqlite,mysql" doc:"The store's driver."`
	Mode      string    `json:"mode" enum:"embedded,cluster"`
}

// Node is a node and what its engine is doing.
type Node struct {
	NodeInfo
	Partitions int `json:"partitions_held" doc:"Partitions whose tasks this node fires."`
	Tasks      int `json:"tasks_queued" doc:"Tasks queued for their next instant."`
	Claimed    int `json:"executions_claimed" doc:"Executions claimed ahead (or retries in backoff) waiting for their time."`
	Running    int `json:"executions_running" doc:"Executions holding a worker."`
	Waiting    int `json:"executions_waiting" doc:"Executions due and waiting for a worker."`
}

// StatsSource is the engine's view of its own work (Engine.Stats).
type StatsSource interface {
	Stats() engine.Stats
}

func (s *server) registerNode(g huma.API) {
	huma.Register(g, huma.Operation{
		OperationID: "get-node", Method: http.MethodGet, Path: "/node", Tags: []string{"Nodes"},
		Summary:     "Describe the node serving the request",
		Description: "Its ID, build, start time and store, and what its engine is doing now.",
	}, func(context.Context, *struct{}) (*struct{ Body Node }, error) {
		out := Node{NodeInfo: s.cfg.Node}
		if src, ok := s.cfg.Scheduler.(StatsSource); ok {
			st := src.Stats()
			out.Partitions, out.Tasks, out.Claimed, out.Running, out.Waiting = st.Partitions, st.Tasks, st.Claimed, st.Running, st.Waiting
		}
		return &struct{ Body Node }{out}, nil
	})
}
