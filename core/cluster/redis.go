package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// NewRedisClients returns one client per URL (redis:// or rediss://), each
// for an independent Redis server: pass them as the Clients of a
// MembershipConfig and a LeaserConfig. The clients respect their calls'
// context deadlines (ContextTimeoutEnabled), so that a hung server cannot
// hold a call beyond its timeout. Nothing is dialled until first use. Close
// the clients after the Leaser's Release.
func NewRedisClients(urls []string) ([]redis.UniversalClient, error) {
	if len(urls) == 0 {
		return nil, fmt.Errorf("cluster: no Redis URL given (pass --redis redis://host:6379, once per independent server)")
	}
	clients := make([]redis.UniversalClient, 0, len(urls))
	for i, u := range urls {
		opt, err := redis.ParseURL(u)
		if err != nil {
			for _, c := range clients {
				_ = c.Close()
			}
			// The URL may hold a password: name it by position only.
			return nil, fmt.Errorf("cluster: Redis URL #%d: %w (want redis://[user:password@]host:port[/db])", i+1, redactErr(err, u))
		}
		opt.ContextTimeoutEnabled = true
		if opt.MaxRetries == 0 {
			// No retries inside the client: a call to a server that is down
			// fails at once instead of backing off for up to a second, and
			// the Leaser retries at its next tick with the other servers'
			// answers in hand. (A dead server made every extension wait,
			// and 256 of them behind a few workers outlasted the TTL.)
			opt.MaxRetries = -1
		}
		clients = append(clients, redis.NewClient(opt))
	}
	return clients, nil
}

// redactErr returns err, or a plain error without its text when that text
// repeats the URL (which may hold a password).
func redactErr(err error, url string) error {
	if url != "" && strings.Contains(err.Error(), url) {
		return fmt.Errorf("invalid URL")
	}
	return err
}

// quorumOf is the number of servers out of n that make a majority, as
// Redlock counts it.
func quorumOf(n int) int { return n/2 + 1 }

// eachClient calls fn for every client at once and returns their errors,
// indexed like clients. Each call gets ctx, so one slow server delays the
// round by no more than ctx allows.
func eachClient(ctx context.Context, clients []redis.UniversalClient, fn func(ctx context.Context, i int, c redis.UniversalClient) error) []error {
	errs := make([]error, len(clients))
	if len(clients) == 1 {
		errs[0] = fn(ctx, 0, clients[0])
		return errs
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { errs[i] = fn(ctx, i, c) })
	}
	wg.Wait()
	return errs
}

// succeeded counts the nil errors.
func succeeded(errs []error) int {
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		}
	}
	return n
}
