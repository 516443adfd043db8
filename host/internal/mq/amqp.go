package mq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

type amqpConn struct {
	conn   *amqp.Connection
	ch     *amqp.Channel
	mu     sync.Mutex
	reason *amqp.Error   // why the channel closed
	done   chan struct{} // closed once reason is known
	cfg    ConnConfig
	safe   string
}

func openAMQP(ctx context.Context, cfg ConnConfig, u *url.URL) (Conn, error) {
	full, safe := userURL(cfg, u)
	fail := func(err error) error { return &Error{Op: "connect", Broker: "rabbitmq", URL: safe, Err: err} }
	tc, err := tlsConfig(cfg, u.Scheme == "amqps", u.Hostname())
	if err != nil {
		return nil, fail(err)
	}
	d := cfg.timeout()
	dial := amqp.DefaultDial(d)
	if cfg.Dial != nil {
		dial = func(network, addr string) (net.Conn, error) {
			dctx, cancel := withTimeout(ctx, d)
			defer cancel()
			conn, err := cfg.Dial(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			// As amqp.DefaultDial: a deadline for the TLS and AMQP
			// handshakes, which the client clears once connected.
			if err := conn.SetDeadline(time.Now().Add(d)); err != nil {
				_ = conn.Close()
				return nil, err
			}
			return conn, nil
		}
	}
	conn, err := amqp.DialConfig(full.String(), amqp.Config{
		TLSClientConfig: tc,
		Dial:            dial,
		Properties:      amqp.Table{"connection_name": "kronos-mq"},
	})
	if err != nil {
		return nil, fail(amqpErr(err))
	}
	ch, err := conn.Channel()
	if err != nil {
		_ = conn.Close()
		return nil, fail(amqpErr(err))
	}
	if err := ch.Confirm(false); err != nil {
		_ = conn.Close()
		return nil, fail(fmt.Errorf("enable publisher confirms: %w", amqpErr(err)))
	}
	c := &amqpConn{conn: conn, ch: ch, done: make(chan struct{}), cfg: cfg, safe: safe}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	go func() {
		ae := <-closed
		c.mu.Lock()
		c.reason = ae
		c.mu.Unlock()
		close(c.done)
	}()
	return c, nil
}

// amqpErr marks a refused login. It is used while connecting only, where
// every 403 ACCESS_REFUSED is a refused login.
func amqpErr(err error) error {
	var ae *amqp.Error
	if errors.Is(err, amqp.ErrCredentials) || (errors.As(err, &ae) && ae.Code == amqp.AccessRefused) {
		return kindError{"authentication failed: " + err.Error(), ErrAuth}
	}
	return err
}

func (c *amqpConn) Publish(ctx context.Context, m Message) (Receipt, error) {
	exchange := m.Exchange
	if exchange == "" {
		exchange = c.cfg.Exchange
	}
	fail := func(err error) (Receipt, error) {
		return Receipt{}, &Error{
			Op: "publish", Broker: "rabbitmq", URL: c.safe,
			Target: fmt.Sprintf("exchange %q routing key %q", exchange, m.Topic), Err: err,
		}
	}
	p := amqp.Publishing{Body: m.Payload, DeliveryMode: amqp.Transient}
	if c.cfg.Persistent {
		p.DeliveryMode = amqp.Persistent
	}
	if len(m.Headers) > 0 {
		p.Headers = amqp.Table{}
		for k, v := range m.Headers {
			p.Headers[k] = v
		}
	}
	d := c.cfg.timeout()
	ctx, cancel := withTimeout(ctx, d)
	defer cancel()
	dc, err := c.ch.PublishWithDeferredConfirmWithContext(ctx, exchange, m.Topic, false, false, p)
	if err != nil {
		return fail(c.closeReason(err))
	}
	ack, err := dc.WaitContext(ctx)
	switch {
	case err != nil:
		return fail(noAck("publisher confirm", d))
	case !ack && c.ch.IsClosed():
		return fail(c.closeReason(ErrClosed))
	case !ack:
		return fail(ErrNack)
	}
	return Receipt{}, nil
}

// closeReason returns why the channel closed (a missing exchange is a 404
// that closes the channel), or err.
func (c *amqpConn) closeReason(err error) error {
	select {
	case <-c.done:
	case <-time.After(100 * time.Millisecond): // the close frame is on its way
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason != nil {
		if c.reason.Code == amqp.NotFound {
			// The message named an exchange the broker lacks: the task's
			// config (or the connection's exchange) is wrong, not the broker.
			return fmt.Errorf("%w exchange: channel closed: %w (declare the exchange on the broker, or fix the name)", ErrInvalid, c.reason)
		}
		return fmt.Errorf("channel closed: %w", c.reason)
	}
	return err
}

func (c *amqpConn) broken() bool { return c.conn.IsClosed() || c.ch.IsClosed() }

func (c *amqpConn) Close() error { return c.conn.Close() }
