package engine

import "context"

// Rebalance lets tests run what Run does when the Leaser signals a change.
func (e *Engine) Rebalance(ctx context.Context) error { return e.rebalance(ctx) }
