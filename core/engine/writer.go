package engine

import (
	"context"
	"log/slog"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// maxWriteBatch bounds the writes one commit carries.
const maxWriteBatch = 1000

// write is one status change of an execution, with the log lines to store
// before it. done, if set, is closed once the write is committed.
type write struct {
	update store.ExecutionUpdateParams
	lines  []core.LogLine
	done   chan struct{}
}

// writer records execution status changes and log lines with group
// commit: it takes what has queued up while the previous commit ran and
// writes it in one transaction, so that under load a commit carries many
// fires, and under light load a write waits for no timer.
type writer struct {
	st  store.Store
	log *slog.Logger
	in  chan write
}

// newWriter starts a writer. ctx must never be canceled: results are
// recorded during shutdown too.
func newWriter(ctx context.Context, st store.Store, log *slog.Logger) *writer {
	w := &writer{st: st, log: log, in: make(chan write, 4*maxWriteBatch)}
	go w.loop(ctx)
	return w
}

func (w *writer) loop(ctx context.Context) {
	batch := make([]write, 0, maxWriteBatch)
	for first := range w.in {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxWriteBatch {
			select {
			case x := <-w.in:
				batch = append(batch, x)
			default:
				break drain
			}
		}
		w.flush(ctx, batch)
	}
}

func (w *writer) flush(ctx context.Context, batch []write) {
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	var lines []core.LogLine
	updates := make([]store.ExecutionUpdateParams, len(batch))
	for i, x := range batch {
		lines = append(lines, x.lines...)
		updates[i] = x.update
	}
	if len(lines) > 0 {
		if err := w.st.LogAppend(ctx, lines); err != nil {
			w.log.Error("store log lines", "lines", len(lines), "err", err)
		}
	}
	errs, err := w.st.ExecutionUpdateMany(ctx, updates)
	if err != nil {
		w.log.Error("record executions", "count", len(updates), "err", err)
	}
	for i, e := range errs {
		// A start that lost to the result (or to a cancel) is expected.
		if e != nil && updates[i].Status != core.StatusRunning {
			w.log.Warn("record execution", "execution", updates[i].ID, "status", updates[i].Status, "err", e)
		}
	}
	for _, x := range batch {
		if x.done != nil {
			close(x.done)
		}
	}
}
