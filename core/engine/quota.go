package engine

import (
	"fmt"
	"time"

	"github.com/shiyu-coder/kronos/core"
)

// Quota names, as the metric kronos_quota_rejections_total labels them
// and as settings.quotas spells them.
const (
	quotaExecutionsPerMinute = "max_executions_per_minute"
)

// nsQuota is what the engine enforces of one namespace's quotas: the
// quotas as it last heard them, and the executions started in the last
// minute when a per-minute quota is set.
type nsQuota struct {
	quotas core.QuotaSettings
	window *rateWindow // nil without a per-minute quota
}

// UpdateNamespace tells the engine a namespace's settings changed: the
// executions of its tasks that start from now on use them, and its quotas
// apply at once (a lower concurrency quota lets running executions end).
func (e *Engine) UpdateNamespace(namespace string, settings core.NamespaceSettings) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setQuotasLocked(namespace, settings.Quotas)
	for _, en := range e.tasks {
		if en.task.Namespace == namespace {
			en.settings = settings
		}
	}
}

// setQuotasLocked records a namespace's quotas, as Upsert, Trigger and
// UpdateNamespace hear them, and hands the concurrency quota to the pool.
// e.mu must be held.
func (e *Engine) setQuotasLocked(namespace string, q core.QuotaSettings) {
	cur := e.quotas[namespace]
	if cur == nil && q == (core.QuotaSettings{}) || cur != nil && cur.quotas == q {
		return
	}
	if cur == nil || cur.quotas.MaxConcurrentExecutions != q.MaxConcurrentExecutions {
		e.pool.setLimit(namespace, q.MaxConcurrentExecutions)
	}
	if q == (core.QuotaSettings{}) {
		delete(e.quotas, namespace)
		return
	}
	if cur == nil {
		cur = &nsQuota{}
		e.quotas[namespace] = cur
	}
	cur.quotas = q
	switch {
	case q.MaxExecutionsPerMinute <= 0:
		cur.window = nil
	case cur.window == nil:
		cur.window = &rateWindow{}
	}
}

// takeRateLocked counts an execution of namespace starting at now against
// its per-minute quota; over the quota, it counts nothing and returns the
// reason, which names the quota and the fix. e.mu must be held.
func (e *Engine) takeRateLocked(namespace string, now time.Time) (refused string) {
	q := e.quotas[namespace]
	if q == nil || q.window == nil {
		return ""
	}
	if limit := q.quotas.MaxExecutionsPerMinute; q.window.count(now) >= limit {
		e.metrics.quotaRejected(namespace, quotaExecutionsPerMinute)
		return fmt.Sprintf("namespace %q quota %s (%d) reached; raise settings.quotas.%s",
			namespace, quotaExecutionsPerMinute, limit, quotaExecutionsPerMinute)
	}
	q.window.add(now)
	return ""
}

// rateWindow counts the executions started in the last minute, in
// one-second buckets: a start is refused when the current second and the
// 60 before it hold the quota already, so that no 60 seconds, wherever
// they begin, hold more than the quota. Its memory is fixed, whatever the
// quota.
type rateWindow struct {
	counts [61]int
	secs   [61]int64 // the Unix second each bucket counts
}

// count returns the executions started in the current second and the 60
// before it.
func (w *rateWindow) count(now time.Time) int {
	sec, n := now.Unix(), 0
	for i, s := range w.secs {
		if s <= sec && sec-s < int64(len(w.secs)) {
			n += w.counts[i]
		}
	}
	return n
}

// add counts one execution started at now.
func (w *rateWindow) add(now time.Time) {
	sec := now.Unix()
	n := int64(len(w.secs))
	i := int(((sec % n) + n) % n)
	if w.secs[i] != sec {
		w.secs[i], w.counts[i] = sec, 0
	}
	w.counts[i]++
}
