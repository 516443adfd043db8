package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// maxWriteBatch bounds the writes one commit carries.
const maxWriteBatch = 2000

// write is one status change of an execution, with the log lines to store
// before it. after, if set, runs on the writer's goroutine once the write is
// committed (or failed); it must be quick and must not call the store.
type write struct {
	update store.ExecutionUpdateParams
	lines  []core.LogLine
	after  func()
}

// writer records execution status changes and log lines with group
// commit: it takes what has queued up while the previous commit ran and
// writes it in one transaction, so that under load a commit carries many
// fires, and under light load a write waits for no timer.
//
// Sending never blocks: the queue is a slice, not a bounded channel, so
// that a burst of starts at an aligned second does not hold executors
// back behind the store. It holds at most a few writes per execution in
// flight, which the worker pool bounds. A start and the result of the same
// execution in one batch are written as the result alone (it carries the
// start time and moves the execution from pending or running).
type writer struct {
	st  store.Store
	log *slog.Logger
	// retryFirst and retryFor pace retries (writeRetryFirst and
	// writeRetryFor; tests shorten them).
	retryFirst, retryFor time.Duration

	mu      sync.Mutex
	queue   []write
	waiting chan struct{} // signaled when the queue goes from empty to not
}

// newWriter starts a writer. ctx must never be canceled: results are
// recorded during shutdown too.
func newWriter(ctx context.Context, st store.Store, log *slog.Logger) *writer {
	w := &writer{st: st, log: log, waiting: make(chan struct{}, 1), retryFirst: writeRetryFirst, retryFor: writeRetryFor}
	go w.loop(ctx)
	return w
}

// send queues a write.
func (w *writer) send(x write) {
	w.mu.Lock()
	w.queue = append(w.queue, x)
	first := len(w.queue) == 1
	w.mu.Unlock()
	if first {
		select {
		case w.waiting <- struct{}{}:
		default:
		}
	}
}

func (w *writer) loop(ctx context.Context) {
	var batch []write
	for range w.waiting {
		for {
			w.mu.Lock()
			n := min(len(w.queue), maxWriteBatch)
			batch = append(batch[:0], w.queue[:n]...)
			w.queue = w.queue[n:]
			if len(w.queue) == 0 {
				w.queue = nil // let a burst's backing array go
			}
			w.mu.Unlock()
			if n == 0 {
				break
			}
			w.flush(ctx, batch)
		}
	}
}

func (w *writer) flush(ctx context.Context, batch []write) {
	// Which executions end in this batch? Their starts need no statement.
	ending := map[string]bool{}
	for _, x := range batch {
		if x.update.Status != core.StatusRunning {
			ending[x.update.ID] = true
		}
	}
	var lines []core.LogLine
	updates := make([]store.ExecutionUpdateParams, 0, len(batch))
	for _, x := range batch {
		lines = append(lines, x.lines...)
		if x.update.Status == core.StatusRunning && ending[x.update.ID] {
			continue
		}
		updates = append(updates, x.update)
	}
	if len(lines) > 0 {
		w.retry(ctx, "store log lines", len(lines), func(ctx context.Context) error {
			err := w.st.LogAppend(ctx, lines)
			if errors.Is(err, store.ErrAlreadyExists) {
				return nil // stored by an attempt whose commit was not acknowledged
			}
			return err
		})
	}
	var errs []error
	w.retry(ctx, "record executions", len(updates), func(ctx context.Context) error {
		var err error
		errs, err = w.st.ExecutionUpdateMany(ctx, updates)
		return err
	})
	for i, e := range errs {
		// A start that lost to the result (or to a cancel) is expected.
		if e != nil && updates[i].Status != core.StatusRunning {
			w.log.Warn("record execution", "execution", updates[i].ID, "status", updates[i].Status, "err", e)
		}
	}
	for _, x := range batch {
		if x.after != nil {
			x.after()
		}
	}
}

// Retries of a write the store refused as a whole (the database down or
// unreachable): results are not dropped at the first failure. A write is
// retried with a doubling pause for writeRetryFor, then dropped with an
// error in the log. Updates are conditional on the status they move from,
// so a retry of a batch whose commit was applied but not acknowledged
// changes nothing twice.
const (
	writeRetryFor   = 2 * time.Minute
	writeRetryFirst = 250 * time.Millisecond
	writeRetryMax   = 10 * time.Second
)

// retry runs write until it succeeds, fails for a reason a retry cannot
// cure (invalid input), or writeRetryFor has passed.
func (w *writer) retry(ctx context.Context, what string, count int, write func(context.Context) error) {
	pause, first := w.retryFirst, time.Now() //nolint:forbidigo // a retry budget, not an instant of the schedule
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, recordTimeout)
		err := write(actx)
		cancel()
		if err == nil {
			if attempt > 1 {
				w.log.Info(what+": stored after the store came back", "count", count, "attempts", attempt)
			}
			return
		}
		var fe *core.FieldError
		var ve *core.ValidationError
		giveUp := errors.As(err, &fe) || errors.As(err, &ve) || time.Since(first) > w.retryFor || ctx.Err() != nil
		if giveUp {
			w.log.Error(what+": dropped", "count", count, "attempts", attempt, "err", err)
			return
		}
		if attempt == 1 {
			w.log.Warn(what+": the store refused; retrying", "count", count, "err", err)
		}
		select {
		case <-time.After(pause): //nolint:forbidigo // a retry pause, not an instant of the schedule
		case <-ctx.Done():
		}
		pause = min(2*pause, writeRetryMax)
	}
}
