// Package changes carries what the API changes to the nodes that act on
// it, in cluster mode: a task created, changed, paused or deleted reaches
// the owner of its partition, a namespace's new settings reach every node,
// and a cancel reaches the node that runs the execution.
//
// A Bus stands between the API and the local engine. Each change is
// applied to the local engine at once (it ignores tasks of partitions it
// does not hold) and published on one Redis pub/sub channel; every other
// node applies it on receipt, reading the task or namespace from the
// store so that a notice carries IDs only and a late notice cannot apply
// stale data. Pub/sub delivers at most once: a node that was disconnected
// misses notices, so the Bus also runs the engine's Reconcile every
// ReconcileEvery (and once as soon as it has subscribed), which compares the tasks
// of the partitions held with the store. A change thus reaches its owner
// within milliseconds, and within ReconcileEvery when a notice is lost.
package changes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// Engine is what the Bus drives on its node (core/engine.Engine).
type Engine interface {
	Upsert(t core.Task, settings core.NamespaceSettings)
	Remove(taskID string)
	UpdateNamespace(name string, settings core.NamespaceSettings)
	Cancel(executionID string) bool
	Trigger(ctx context.Context, t core.Task, settings core.NamespaceSettings, config json.RawMessage) (core.Execution, error)
	Reconcile(ctx context.Context) (int, error)
}

// DefaultReconcileEvery is how often a node compares its tasks with the
// store, the bound on how late a change whose notice was lost arrives.
const DefaultReconcileEvery = 30 * time.Second

// Config configures a Bus.
type Config struct {
	// Client is the Redis the notices go through. Required.
	Client redis.UniversalClient
	// Channel is the pub/sub channel, e.g. "kronos:changes". Required.
	Channel string
	// NodeID names this node; its own notices are not applied twice.
	NodeID string
	// Store reads what a notice names. Required.
	Store store.Store
	// Engine is this node's engine. Required.
	Engine Engine
	// ReconcileEvery defaults to DefaultReconcileEvery.
	ReconcileEvery time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// notice is one change, as published.
type notice struct {
	Op        string `json:"op"` // upsert, remove, namespace, cancel
	ID        string `json:"id"` // task, namespace or execution
	Namespace string `json:"ns,omitempty"`
	From      string `json:"from"` // the publishing node
}

const (
	opUpsert    = "upsert"
	opRemove    = "remove"
	opNamespace = "namespace"
	opCancel    = "cancel"
)

// Bus publishes the API's changes and applies other nodes'. It implements
// the API's Scheduler.
type Bus struct {
	cfg       Config
	log       *slog.Logger
	published atomic.Int64
	applied   atomic.Int64
}

// New returns a Bus; Run subscribes.
func New(cfg Config) (*Bus, error) {
	if cfg.Client == nil || cfg.Channel == "" || cfg.Store == nil || cfg.Engine == nil {
		return nil, errors.New("changes: a Bus needs a Redis client, a channel, a store and an engine")
	}
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = DefaultReconcileEvery
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Bus{cfg: cfg, log: cfg.Logger}, nil
}

// Upsert applies a task's change here and tells the other nodes.
func (b *Bus) Upsert(t core.Task, settings core.NamespaceSettings) {
	b.cfg.Engine.Upsert(t, settings)
	b.publish(notice{Op: opUpsert, ID: t.ID, Namespace: t.Namespace})
}

// Remove applies a task's deletion here and tells the other nodes.
func (b *Bus) Remove(taskID string) {
	b.cfg.Engine.Remove(taskID)
	b.publish(notice{Op: opRemove, ID: taskID})
}

// UpdateNamespace applies a namespace's settings here and tells the
// other nodes.
func (b *Bus) UpdateNamespace(name string, settings core.NamespaceSettings) {
	b.cfg.Engine.UpdateNamespace(name, settings)
	b.publish(notice{Op: opNamespace, ID: name})
}

// Trigger runs a task now on this node.
func (b *Bus) Trigger(ctx context.Context, t core.Task, settings core.NamespaceSettings, config json.RawMessage) (core.Execution, error) {
	return b.cfg.Engine.Trigger(ctx, t, settings, config)
}

// Cancel cancels an execution running here; one running on another node
// is asked to stop through the channel (true: the request is on its way).
func (b *Bus) Cancel(executionID string) bool {
	if b.cfg.Engine.Cancel(executionID) {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	x, err := b.cfg.Store.ExecutionGet(ctx, executionID)
	if err != nil || x.Status != core.StatusRunning || x.Node == b.cfg.NodeID {
		return false
	}
	return b.publish(notice{Op: opCancel, ID: executionID})
}

// publish sends a notice; a failure is logged, and the periodic
// reconciliation delivers the change later.
func (b *Bus) publish(n notice) bool {
	n.From = b.cfg.NodeID
	msg, err := json.Marshal(n)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := b.cfg.Client.Publish(ctx, b.cfg.Channel, msg).Err(); err != nil {
		b.log.Warn("publish a change; other nodes get it at their next reconciliation", "op", n.Op, "id", n.ID, "err", err)
		return false
	}
	b.published.Add(1)
	return true
}

// Counts are the notices published and applied by this node.
func (b *Bus) Counts() (published, applied int64) { return b.published.Load(), b.applied.Load() }

// Run subscribes to the channel and applies other nodes' notices, and
// reconciles every ReconcileEvery, until ctx ends.
func (b *Bus) Run(ctx context.Context) error {
	sub := b.cfg.Client.Subscribe(ctx, b.cfg.Channel)
	defer sub.Close()
	msgs := sub.Channel(redis.WithChannelHealthCheckInterval(10 * time.Second))
	ticker := time.NewTicker(b.cfg.ReconcileEvery)
	defer ticker.Stop()
	subscribed := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			b.reconcile(ctx)
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			b.apply(ctx, m.Payload)
		}
		if !subscribed {
			// The first pass after subscribing covers what happened before.
			subscribed = true
			b.reconcile(ctx)
		}
	}
}

func (b *Bus) reconcile(ctx context.Context) {
	n, err := b.cfg.Engine.Reconcile(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		b.log.Warn("reconcile tasks with the store", "err", err)
	case n > 0:
		b.log.Info("reconciled tasks with the store: changes whose notice was lost", "corrected", n)
	}
}

// apply acts on one notice of another node.
func (b *Bus) apply(ctx context.Context, payload string) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		b.log.Warn("ignore a malformed change notice", "err", err)
		return
	}
	if n.From == b.cfg.NodeID {
		return // applied when published
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.applyNotice(ctx, n); err != nil {
		b.log.Warn("apply a change notice; the next reconciliation retries", "op", n.Op, "id", n.ID, "err", err)
		return
	}
	b.applied.Add(1)
}

func (b *Bus) applyNotice(ctx context.Context, n notice) error {
	switch n.Op {
	case opUpsert:
		t, err := b.cfg.Store.TaskGetByID(ctx, n.ID)
		if errors.Is(err, store.ErrNotFound) {
			b.cfg.Engine.Remove(n.ID) // deleted since
			return nil
		}
		if err != nil {
			return err
		}
		ns, err := b.cfg.Store.NamespaceGet(ctx, t.Namespace)
		if err != nil {
			return err
		}
		b.cfg.Engine.Upsert(t, ns.Settings)
	case opRemove:
		b.cfg.Engine.Remove(n.ID)
	case opNamespace:
		ns, err := b.cfg.Store.NamespaceGet(ctx, n.ID)
		if err != nil {
			return err
		}
		b.cfg.Engine.UpdateNamespace(ns.Name, ns.Settings)
	case opCancel:
		b.cfg.Engine.Cancel(n.ID)
	default:
		return fmt.Errorf("unknown op %q", n.Op)
	}
	return nil
}
