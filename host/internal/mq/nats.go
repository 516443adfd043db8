package mq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type natsConn struct {
	nc   *nats.Conn
	js   jetstream.JetStream // nil for core NATS
	cfg  ConnConfig
	safe string
}

// recordingDialer keeps the last dial error, which nats.Connect replaces by
// "no servers available".
type recordingDialer struct {
	ctx context.Context //nolint:containedctx // nats.CustomDialer takes none
	cfg ConnConfig
	mu  sync.Mutex
	err error
}

func (r *recordingDialer) Dial(network, address string) (net.Conn, error) {
	ctx, cancel := withTimeout(r.ctx, r.cfg.timeout())
	defer cancel()
	c, err := r.cfg.dial(ctx, network, address)
	if err != nil {
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
	}
	return c, err
}

func openNATS(ctx context.Context, cfg ConnConfig, u *url.URL) (Conn, error) {
	broker := "nats"
	if cfg.JetStream {
		broker = "jetstream"
	}
	full, safe := userURL(cfg, u)
	fail := func(err error) error { return &Error{Op: "connect", Broker: broker, URL: safe, Err: err} }
	d := cfg.timeout()
	dialer := &recordingDialer{ctx: ctx, cfg: cfg}
	opts := []nats.Option{
		nats.Timeout(d),
		nats.SetCustomDialer(dialer),
		// The Pool reopens a closed connection; a reconnecting one would
		// buffer core publishes and report them sent.
		nats.NoReconnect(),
		nats.Name("kronos-mq"),
	}
	if full.User != nil {
		p, _ := full.User.Password()
		opts = append(opts, nats.UserInfo(full.User.Username(), p))
		full.User = nil
	}
	tc, err := tlsConfig(cfg, u.Scheme == "tls", u.Hostname())
	if err != nil {
		return nil, fail(err)
	}
	if tc != nil {
		opts = append(opts, nats.Secure(tc))
	}
	nc, err := nats.Connect(full.String(), opts...)
	if err != nil {
		if errors.Is(err, nats.ErrNoServers) {
			dialer.mu.Lock()
			if dialer.err != nil {
				err = dialer.err
			}
			dialer.mu.Unlock()
		}
		if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) {
			err = kindError{"authentication failed: " + err.Error(), ErrAuth}
		}
		return nil, fail(err)
	}
	c := &natsConn{nc: nc, cfg: cfg, safe: safe}
	if cfg.JetStream {
		js, err := jetstream.New(nc)
		if err != nil {
			nc.Close()
			return nil, fail(err)
		}
		c.js = js
	}
	return c, nil
}

func (c *natsConn) Publish(ctx context.Context, m Message) (Receipt, error) {
	broker := "nats"
	if c.js != nil {
		broker = "jetstream"
	}
	fail := func(err error) (Receipt, error) {
		return Receipt{}, &Error{Op: "publish", Broker: broker, URL: c.safe, Target: fmt.Sprintf("subject %q", m.Topic), Err: err}
	}
	if m.Topic == "" {
		return fail(fmt.Errorf("%w message: empty Topic (the subject)", ErrInvalid))
	}
	msg := &nats.Msg{Subject: m.Topic, Data: m.Payload}
	if len(m.Headers) > 0 {
		msg.Header = nats.Header{}
		for k, v := range m.Headers {
			msg.Header.Set(k, v)
		}
	}
	d := c.cfg.timeout()
	ctx, cancel := withTimeout(ctx, d)
	defer cancel()
	if c.js == nil {
		if err := c.nc.PublishMsg(msg); err != nil {
			return fail(err)
		}
		if err := c.nc.FlushWithContext(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return fail(noAck("flush reply", d))
			}
			return fail(err)
		}
		return Receipt{}, nil
	}
	ack, err := c.js.PublishMsg(ctx, msg)
	switch {
	case errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders):
		return fail(kindError{"no stream covers the subject (no PubAck): " + err.Error(), ErrNoAck})
	case errors.Is(err, context.DeadlineExceeded):
		return fail(noAck("PubAck", d))
	case err != nil:
		return fail(err)
	}
	return Receipt{ID: fmt.Sprintf("%s:%d", ack.Stream, ack.Sequence)}, nil
}

func (c *natsConn) broken() bool { return c.nc.IsClosed() }

func (c *natsConn) Close() error {
	c.nc.Close()
	return nil
}
