package mq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Redis stream field names.
const (
	redisPayloadField = "payload"
	redisKeyField     = "key"
	redisHeaderPrefix = "h:"
)

type redisConn struct {
	c    *redis.Client
	cfg  ConnConfig
	safe string
}

func openRedis(ctx context.Context, cfg ConnConfig, u *url.URL) (Conn, error) {
	full, safe := userURL(cfg, u)
	fail := func(err error) error { return &Error{Op: "connect", Broker: "redis", URL: safe, Err: err} }
	opt, err := redis.ParseURL(full.String())
	if err != nil {
		return nil, fail(fmt.Errorf("%w URL: %w", ErrInvalid, err))
	}
	tc, err := tlsConfig(cfg, u.Scheme == "rediss", u.Hostname())
	if err != nil {
		return nil, fail(err)
	}
	opt.TLSConfig = tc
	if cfg.Dial != nil {
		// go-redis does TLS in its own dialer only: do it here too.
		opt.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return cfg.dialTLS(ctx, network, addr, tc)
		}
	}
	d := cfg.timeout()
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = d, d, d
	opt.MaxRetries = -1   // one XADD is one entry; retries could add two
	opt.DialerRetries = 1 // a broker that is down fails the publish at once; the executor has its retry policy
	c := redis.NewClient(opt)
	ctx, cancel := withTimeout(ctx, d)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fail(redisErr(err))
	}
	return &redisConn{c: c, cfg: cfg, safe: safe}, nil
}

func redisErr(err error) error {
	s := err.Error()
	if strings.HasPrefix(s, "WRONGPASS") || strings.HasPrefix(s, "NOAUTH") || strings.Contains(s, "invalid password") {
		return kindError{"authentication failed: " + s, ErrAuth}
	}
	return err
}

func (r *redisConn) Publish(ctx context.Context, m Message) (Receipt, error) {
	fail := func(err error) (Receipt, error) {
		return Receipt{}, &Error{Op: "publish", Broker: "redis", URL: r.safe, Target: fmt.Sprintf("stream %q", m.Topic), Err: err}
	}
	if m.Topic == "" {
		return fail(fmt.Errorf("%w message: empty Topic (the stream name)", ErrInvalid))
	}
	vals := make([]any, 0, 4+2*len(m.Headers))
	vals = append(vals, redisPayloadField, m.Payload)
	if m.Key != "" {
		vals = append(vals, redisKeyField, m.Key)
	}
	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		vals = append(vals, redisHeaderPrefix+k, m.Headers[k])
	}
	args := &redis.XAddArgs{Stream: m.Topic, Values: vals}
	if r.cfg.MaxLen > 0 {
		args.MaxLen, args.Approx = r.cfg.MaxLen, true
	}
	ctx, cancel := withTimeout(ctx, r.cfg.timeout())
	defer cancel()
	id, err := r.c.XAdd(ctx, args).Result()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fail(noAck("XADD reply", r.cfg.timeout()))
		}
		return fail(redisErr(err))
	}
	return Receipt{ID: id}, nil
}

// broken is false: go-redis redials by itself.
func (r *redisConn) broken() bool { return false }

func (r *redisConn) Close() error { return r.c.Close() }
