package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/shiyu-coder/kronos/core/clock"
	"github.com/shiyu-coder/kronos/core/store"
)

// Service defaults.
const (
	// DefaultMaxAge is how long a final execution is kept after it
	// finished: 30 days.
	DefaultMaxAge = 30 * 24 * time.Hour
	// DefaultKeepPerTask is how many of its newest executions each task
	// keeps.
	DefaultKeepPerTask = 1000
	// DefaultInterval is the time between two passes.
	DefaultInterval = time.Minute
	// DefaultBatchSize is how many executions one transaction deletes.
	DefaultBatchSize = 500
	// DefaultAuditMaxAge is how long audit events are kept where the
	// operator asks for no other age: 90 days. Config.AuditMaxAge itself
	// defaults to 0, which keeps them forever, so that audit history is
	// never deleted unless the node is configured to.
	DefaultAuditMaxAge = 90 * 24 * time.Hour
)

// Config configures a Service.
type Config struct {
	// Store is pruned. Required.
	Store store.Store
	// Clock is the time source. Defaults to clock.Real().
	Clock clock.Clock
	// MaxAge is how long a final execution is kept after it finished. A
	// negative MaxAge disables the age rule. Defaults to DefaultMaxAge.
	MaxAge time.Duration
	// KeepPerTask is how many of its newest executions each task keeps. A
	// negative KeepPerTask disables the count rule. Defaults to
	// DefaultKeepPerTask.
	KeepPerTask int
	// Interval is the time from the end of one pass to the start of the
	// next. Defaults to DefaultInterval.
	Interval time.Duration
	// AuditMaxAge is how long an audit event is kept. Zero or negative
	// keeps audit events forever. Defaults to 0 (cmd/kronos passes
	// DefaultAuditMaxAge unless told otherwise).
	AuditMaxAge time.Duration
	// BatchSize is how many executions, or audit events, one transaction
	// deletes. Defaults to DefaultBatchSize.
	BatchSize int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Result counts what one pass deleted.
type Result struct {
	// Aged is how many executions the age rule deleted.
	Aged int64
	// Trimmed is how many executions the count rule deleted.
	Trimmed int64
	// Tasks is how many tasks the count rule visited.
	Tasks int
	// KVExpired is how many expired key-value pairs were deleted.
	KVExpired int64
	// AuditTrimmed is how many audit events the audit age rule deleted.
	AuditTrimmed int64
}

// Service prunes execution history, expired key-value pairs and old audit
// events; see the package documentation.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New returns a Service; Run starts it.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("retention: Store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.KeepPerTask == 0 {
		cfg.KeepPerTask = DefaultKeepPerTask
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// Run prunes every Interval until ctx ends, then returns nil. The first
// pass starts one Interval after Run. A failed pass is logged and the next
// one tries again; Run itself never fails.
func (s *Service) Run(ctx context.Context) error {
	s.log.Info("retention started", "max_age", s.ruleAge(), "keep_per_task", s.ruleCount(), "audit_max_age", s.ruleAudit(), "interval", s.cfg.Interval)
	timer := s.cfg.Clock.NewTimer(s.cfg.Interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C():
		}
		start := s.cfg.Clock.Now()
		res, err := s.PruneOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		attrs := []any{
			"aged", res.Aged, "trimmed", res.Trimmed, "tasks", res.Tasks, "kv_expired", res.KVExpired, "audit_trimmed", res.AuditTrimmed,
			"took", s.cfg.Clock.Now().Sub(start),
		}
		switch {
		case err != nil:
			s.log.Error("retention pass failed; the next one retries", append(attrs, "err", err, "next_in", s.cfg.Interval)...)
		case res.Aged+res.Trimmed+res.KVExpired+res.AuditTrimmed > 0:
			s.log.Info("retention pass", attrs...)
		default:
			s.log.Debug("retention pass", attrs...)
		}
		timer.Reset(s.cfg.Interval)
	}
}

// PruneOnce runs one pass: the age rule, the count rule, expired key-value
// pairs, then the audit age rule. A step that fails does not stop the others; the error
// joins the failures, and Result counts what was deleted all the same.
func (s *Service) PruneOnce(ctx context.Context) (Result, error) {
	var res Result
	var errs []error
	now := s.cfg.Clock.Now()
	if s.cfg.MaxAge > 0 {
		before := now.Add(-s.cfg.MaxAge)
		n, err := s.cfg.Store.ExecutionDeleteBefore(ctx, store.ExecutionDeleteBeforeParams{Before: before, BatchSize: s.cfg.BatchSize})
		res.Aged = n
		if err != nil {
			errs = append(errs, fmt.Errorf("retention by age (executions finished before %s): %w", before.UTC().Format(time.RFC3339), err))
		}
	}
	if s.cfg.KeepPerTask > 0 {
		if err := s.trimTasks(ctx, &res); err != nil {
			errs = append(errs, fmt.Errorf("retention by count (%d per task): %w", s.cfg.KeepPerTask, err))
		}
	}
	n, err := s.cfg.Store.KVDeleteExpired(ctx, now)
	res.KVExpired = n
	if err != nil {
		errs = append(errs, fmt.Errorf("retention of expired key-value pairs: %w", err))
	}
	if s.cfg.AuditMaxAge > 0 {
		before := now.Add(-s.cfg.AuditMaxAge)
		n, err := s.cfg.Store.AuditTrim(ctx, before, s.cfg.BatchSize)
		res.AuditTrimmed = n
		if err != nil {
			errs = append(errs, fmt.Errorf("retention of audit events (before %s): %w", before.UTC().Format(time.RFC3339), err))
		}
	}
	return res, errors.Join(errs...)
}

// trimTasks trims every task of every namespace to KeepPerTask executions,
// a page of tasks at a time, stopping at the first error.
func (s *Service) trimTasks(ctx context.Context, res *Result) error {
	namespaces, err := s.cfg.Store.NamespaceList(ctx)
	if err != nil {
		return err
	}
	for _, ns := range namespaces {
		p := store.TaskListParams{Namespace: ns.Name, Limit: store.MaxPageSize}
		for {
			page, err := s.cfg.Store.TaskList(ctx, p)
			if err != nil {
				return fmt.Errorf("list tasks of namespace %q: %w", ns.Name, err)
			}
			for _, t := range page.Tasks {
				n, err := s.cfg.Store.ExecutionTrim(ctx, store.ExecutionTrimParams{TaskID: t.ID, Keep: s.cfg.KeepPerTask, BatchSize: s.cfg.BatchSize})
				res.Trimmed += n
				if err != nil {
					return fmt.Errorf("task %s/%s: %w", ns.Name, t.Name, err)
				}
				res.Tasks++
			}
			if page.NextCursor == "" {
				break
			}
			p.Cursor = page.NextCursor
		}
	}
	return nil
}

// ruleAge and ruleCount describe the rules for the start-up log line.
func (s *Service) ruleAge() string {
	if s.cfg.MaxAge < 0 {
		return "off"
	}
	return s.cfg.MaxAge.String()
}

func (s *Service) ruleAudit() string {
	if s.cfg.AuditMaxAge <= 0 {
		return "off"
	}
	return s.cfg.AuditMaxAge.String()
}

func (s *Service) ruleCount() string {
	if s.cfg.KeepPerTask < 0 {
		return "off"
	}
	return strconv.Itoa(s.cfg.KeepPerTask)
}
