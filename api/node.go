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

// ClusterNode is a live node of the cluster, as its heartbeat shows it.
type ClusterNode struct {
	ID          string    `json:"id"`
	Address     string    `json:"address,omitempty" doc:"The API address the node advertises."`
	Version     string    `json:"version"`
	StartedAt   time.Time `json:"started_at"`
	HeartbeatAt time.Time `json:"heartbeat_at" doc:"Its last heartbeat; a node silent for a lease's TTL is gone."`
	Partitions  int       `json:"partitions_held"`
	Running     int       `json:"executions_running"`
	Self        bool      `json:"self,omitempty" doc:"This is the node that answered."`
}

// NodeList is the cluster's live nodes, by ID.
type NodeList struct {
	Nodes []ClusterNode `json:"nodes"`
}

// Members lists the live nodes of a cluster (core/cluster.Membership).
type Members interface {
	Nodes(ctx context.Context) ([]ClusterNode, error)
}

func (s *server) registerNode(g huma.API) {
	huma.Register(g, huma.Operation{
		OperationID: "list-nodes", Method: http.MethodGet, Path: "/nodes", Tags: []string{"Nodes"},
		Summary: "List the cluster's live nodes",
		Description: "Every node whose heartbeat is live, with the partitions it holds and the executions it runs. " +
			"An embedded server lists itself alone.",
		Errors: []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body NodeList }, error) {
		if s.cfg.Members == nil {
			n := ClusterNode{ID: s.cfg.Node.ID, Version: s.cfg.Node.Version, StartedAt: s.cfg.Node.StartedAt, HeartbeatAt: time.Now(), Self: true}
			if st, ok := s.stats(); ok {
				n.Partitions, n.Running = st.Partitions, st.Running
			}
			return &struct{ Body NodeList }{NodeList{Nodes: []ClusterNode{n}}}, nil
		}
		nodes, err := s.cfg.Members.Nodes(ctx)
		if err != nil {
			return nil, huma.Error503ServiceUnavailable("list the cluster's nodes: " + err.Error())
		}
		for i := range nodes {
			nodes[i].Self = nodes[i].ID == s.cfg.Node.ID
		}
		return &struct{ Body NodeList }{NodeList{Nodes: nodes}}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-node", Method: http.MethodGet, Path: "/node", Tags: []string{"Nodes"},
		Summary:     "Describe the node serving the request",
		Description: "Its ID, build, start time and store, and what its engine is doing now.",
	}, func(context.Context, *struct{}) (*struct{ Body Node }, error) {
		out := Node{NodeInfo: s.cfg.Node}
		if st, ok := s.stats(); ok {
			out.Partitions, out.Tasks, out.Claimed, out.Running, out.Waiting = st.Partitions, st.Tasks, st.Claimed, st.Running, st.Waiting
		}
		return &struct{ Body Node }{out}, nil
	})
}

// stats is the engine's view of its work, from Config.Stats or the
// Scheduler itself.
func (s *server) stats() (engine.Stats, bool) {
	if s.cfg.Stats != nil {
		return s.cfg.Stats.Stats(), true
	}
	if src, ok := s.cfg.Scheduler.(StatsSource); ok {
		return src.Stats(), true
	}
	return engine.Stats{}, false
}
