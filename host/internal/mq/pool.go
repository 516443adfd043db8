package mq

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultIdleTimeout is how long a pooled Conn may go unused before the Pool
// closes it, when PoolConfig.IdleTimeout is zero.
const DefaultIdleTimeout = 5 * time.Minute

// PoolConfig configures a Pool.
type PoolConfig struct {
	// IdleTimeout closes a Conn unused for this long. Defaults to 5m.
	IdleTimeout time.Duration
	// Open opens a Conn. Defaults to [Open].
	Open func(ctx context.Context, cfg ConnConfig) (Conn, error)
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Pool keeps one Conn per (namespace, connection name, configuration). It
// opens a Conn on its first publish, reuses it, drops it after an error that
// broke it (the next publish opens a new one) and closes it once idle for
// IdleTimeout. A changed configuration gets a Conn of its own; the old one
// idles out. It is safe for concurrent use.
type Pool struct {
	cfg     PoolConfig
	mu      sync.Mutex
	entries map[poolKey]*poolEntry
	closed  bool
	stop    chan struct{}
	done    chan struct{}
}

type poolKey struct {
	namespace, name string
	hash            [sha256.Size]byte
}

type poolEntry struct {
	ready    chan struct{} // closed once conn or err is set
	conn     Conn
	err      error
	inUse    int
	lastUsed time.Time
	dropped  bool // out of the map: close once unused
}

// NewPool returns a Pool whose idle sweeper runs until Close.
func NewPool(cfg PoolConfig) *Pool {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Open == nil {
		cfg.Open = Open
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Pool{cfg: cfg, entries: map[poolKey]*poolEntry{}, stop: make(chan struct{}), done: make(chan struct{})}
	go p.sweep()
	return p
}

func (p *Pool) sweep() {
	defer close(p.done)
	t := time.NewTicker(p.cfg.IdleTimeout / 2)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.CloseIdle()
		}
	}
}

func configHash(cfg ConnConfig) [sha256.Size]byte {
	b, _ := json.Marshal(cfg) // a struct of plain fields: cannot fail
	return sha256.Sum256(b)
}

// Publish publishes m on the namespace's connection name, opening it with cfg
// if needed.
func (p *Pool) Publish(ctx context.Context, namespace, name string, cfg ConnConfig, m Message) (Receipt, error) {
	k := poolKey{namespace, name, configHash(cfg)}
	e, err := p.acquire(ctx, k, cfg)
	if err != nil {
		return Receipt{}, err
	}
	r, err := e.conn.Publish(ctx, m)
	p.release(k, e, err)
	return r, err
}

func (p *Pool) acquire(ctx context.Context, k poolKey, cfg ConnConfig) (*poolEntry, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, fmt.Errorf("publish on %s/%s: pool %w", k.namespace, k.name, ErrClosed)
	}
	e, ok := p.entries[k]
	if !ok {
		e = &poolEntry{ready: make(chan struct{})}
		p.entries[k] = e
		e.inUse++
		p.mu.Unlock()
		// Open without the lock; waiters block on ready. Open's own
		// timeout bounds the open for all of them, not the opener's
		// context, and the Conn must not keep the opener's context values
		// (a dialer may hold on to its context).
		e.conn, e.err = p.cfg.Open(context.Background(), cfg) //nolint:contextcheck // deliberately not the opener's context (above)
		p.mu.Lock()
		if e.err != nil && p.entries[k] == e {
			p.drop(k, e) // the next publish tries again
		}
		e.lastUsed = p.cfg.Now()
		close(e.ready)
		p.mu.Unlock()
	} else {
		e.inUse++
		p.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			p.release(k, e, nil)
			return nil, ctx.Err()
		}
	}
	if e.err != nil {
		p.release(k, e, nil)
		return nil, e.err
	}
	return e, nil
}

// release ends one use of e; a Conn that err broke is dropped and closed.
func (p *Pool) release(k poolKey, e *poolEntry, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e.inUse--
	e.lastUsed = p.cfg.Now()
	if err == nil || e.conn == nil {
		p.closeDropped(e)
		return
	}
	if b, ok := e.conn.(breaker); ok && b.broken() && p.entries[k] == e {
		p.drop(k, e)
	}
	p.closeDropped(e)
}

// drop takes e out of the map. Called with p.mu held.
func (p *Pool) drop(k poolKey, e *poolEntry) {
	delete(p.entries, k)
	e.dropped = true
}

// closeDropped closes e's Conn once it has left the map and nobody uses it.
// Called with p.mu held.
func (p *Pool) closeDropped(e *poolEntry) {
	if e.inUse > 0 || e.conn == nil {
		return
	}
	if !e.dropped {
		return
	}
	_ = e.conn.Close()
	e.conn = nil
}

// CloseIdle closes the Conns unused for IdleTimeout. The Pool calls it
// every IdleTimeout/2.
func (p *Pool) CloseIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Now()
	for k, e := range p.entries {
		select {
		case <-e.ready:
		default:
			continue // still opening
		}
		if e.inUse == 0 && now.Sub(e.lastUsed) >= p.cfg.IdleTimeout {
			p.drop(k, e)
			p.closeDropped(e)
		}
	}
}

// Len returns the number of pooled Conns, open or opening.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}

// Close closes every Conn and stops the sweeper; later publishes fail with
// ErrClosed. Conns in use are closed when their publish returns.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var errs []error
	for k, e := range p.entries {
		p.drop(k, e)
		select {
		case <-e.ready:
		default:
			continue // the opener sees the Pool closed
		}
		if e.inUse == 0 && e.conn != nil {
			errs = append(errs, e.conn.Close())
			e.conn = nil
		}
	}
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	return errors.Join(errs...)
}
