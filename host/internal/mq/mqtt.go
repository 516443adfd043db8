package mq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

type mqttConn struct {
	c    paho.Client
	cfg  ConnConfig
	safe string
}

func openMQTT(ctx context.Context, cfg ConnConfig, u *url.URL) (Conn, error) {
	full, safe := userURL(cfg, u)
	fail := func(err error) error { return &Error{Op: "connect", Broker: "mqtt", URL: safe, Err: err} }
	tc, err := tlsConfig(cfg, u.Scheme == "mqtts" || u.Scheme == "ssl", u.Hostname())
	if err != nil {
		return nil, fail(err)
	}
	broker := *full
	broker.User = nil
	id := cfg.ClientID
	if id == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = "kronos-" + hex.EncodeToString(b)
	}
	d := cfg.timeout()
	opts := paho.NewClientOptions().
		AddBroker(broker.String()).
		SetClientID(id).
		SetConnectTimeout(d).
		SetWriteTimeout(d).
		SetAutoReconnect(false). // the Pool reopens
		SetConnectRetry(false).
		SetCleanSession(true).
		SetOrderMatters(false)
	if full.User != nil {
		p, _ := full.User.Password()
		opts.SetUsername(full.User.Username()).SetPassword(p)
	}
	if tc != nil {
		opts.SetTLSConfig(tc)
	}
	if cfg.Dial != nil {
		// Replaces paho's own opener, which would also take a proxy from
		// the environment past Dial.
		opts.SetCustomOpenConnectionFn(func(uri *url.URL, _ paho.ClientOptions) (net.Conn, error) {
			dctx, cancel := withTimeout(ctx, d)
			defer cancel()
			addr := uri.Host
			if uri.Port() == "" {
				port := "1883"
				if tc != nil {
					port = "8883"
				}
				addr = net.JoinHostPort(uri.Hostname(), port)
			}
			return cfg.dialTLS(dctx, "tcp", addr, tc)
		})
	}
	c := paho.NewClient(opts)
	tok := c.Connect()
	if err := waitToken(ctx, tok, d, "CONNACK"); err != nil {
		c.Disconnect(0)
		if errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword) || errors.Is(err, packets.ErrorRefusedNotAuthorised) {
			err = kindError{"authentication failed: " + err.Error(), ErrAuth}
		}
		return nil, fail(err)
	}
	return &mqttConn{c: c, cfg: cfg, safe: safe}, nil
}

// waitToken waits for tok until ctx ends or d passes.
func waitToken(ctx context.Context, tok paho.Token, d time.Duration, what string) error {
	ctx, cancel := withTimeout(ctx, d)
	defer cancel()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return noAck(what, d)
	}
}

func (c *mqttConn) Publish(ctx context.Context, m Message) (Receipt, error) {
	fail := func(err error) (Receipt, error) {
		return Receipt{}, &Error{Op: "publish", Broker: "mqtt", URL: c.safe, Target: fmt.Sprintf("topic %q", m.Topic), Err: err}
	}
	switch {
	case m.Topic == "":
		return fail(fmt.Errorf("%w message: empty Topic", ErrInvalid))
	case m.QoS < 0 || m.QoS > 2:
		return fail(fmt.Errorf("%w message: QoS %d (use 0, 1 or 2)", ErrInvalid, m.QoS))
	case len(m.Headers) > 0:
		return fail(fmt.Errorf("%w message: MQTT 3.1.1 has no headers (drop them or put them in the payload)", ErrInvalid))
	case m.Key != "":
		return fail(fmt.Errorf("%w message: MQTT has no message key", ErrInvalid))
	case m.Exchange != "":
		return fail(fmt.Errorf("%w message: MQTT has no exchange", ErrInvalid))
	}
	what := "PUBACK"
	switch m.QoS {
	case 0:
		what = "write of the PUBLISH"
	case 2:
		what = "PUBCOMP"
	}
	tok := c.c.Publish(m.Topic, byte(m.QoS), m.Retain, m.Payload)
	if err := waitToken(ctx, tok, c.cfg.timeout(), what); err != nil {
		return fail(err)
	}
	return Receipt{}, nil
}

func (c *mqttConn) broken() bool { return !c.c.IsConnectionOpen() }

func (c *mqttConn) Close() error {
	c.c.Disconnect(250)
	return nil
}
