package mq

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds a connect and a publish when ConnConfig.Timeout is
// zero.
const DefaultTimeout = 5 * time.Second

// DefaultQoS is the MQTT QoS the executor should use when the plugin gives
// none. Message.QoS itself is taken literally, so its zero value is QoS 0.
const DefaultQoS = 1

// Sentinel errors, wrapped by [*Error].
var (
	// ErrAuth is a login the broker refused.
	ErrAuth = errors.New("authentication failed")
	// ErrNoAck is a publish the broker did not acknowledge in time (or, on
	// JetStream, one no stream took).
	ErrNoAck = errors.New("no acknowledgement")
	// ErrNack is a publish the broker refused (an AMQP basic.nack).
	ErrNack = errors.New("broker refused the message (nack)")
	// ErrInvalid is a configuration or message this package cannot use.
	ErrInvalid = errors.New("invalid")
	// ErrClosed is a publish on a closed Conn or Pool.
	ErrClosed = errors.New("closed")
)

// Message is one message to publish.
type Message struct {
	// Topic is the Redis stream, NATS subject, AMQP routing key or MQTT topic.
	Topic string
	// Exchange is the AMQP exchange; empty means ConnConfig.Exchange.
	Exchange string
	// Payload is the message body.
	Payload []byte
	// Headers are sent as Redis fields "h:<name>", NATS headers or AMQP
	// headers. MQTT 3.1.1 refuses them.
	Headers map[string]string
	// Key is the Redis field "key" (and a future Kafka key).
	Key string
	// QoS is the MQTT QoS, 0, 1 or 2, taken literally (see DefaultQoS).
	QoS int
	// Retain is the MQTT retained flag.
	Retain bool
}

// Receipt is what the broker said about a published message.
type Receipt struct {
	// ID is the Redis entry ID, the JetStream "<stream>:<sequence>", or empty
	// where the broker gives none (core NATS, AMQP, MQTT).
	ID string
}

// Conn is an open connection to one broker.
type Conn interface {
	// Publish sends m and returns once the broker has it (see the package
	// documentation for what "has" means per broker).
	Publish(ctx context.Context, m Message) (Receipt, error)
	// Close closes the connection.
	Close() error
}

// ConnConfig describes one broker connection.
type ConnConfig struct {
	// URL is the broker's URL; its scheme chooses the broker.
	URL string
	// Username overrides the URL's user. Defaults to the URL's.
	Username string
	// Password overrides the URL's password. Defaults to the URL's.
	Password string
	// CAPEM is extra PEM certificates trusted for TLS. Defaults to none.
	CAPEM []byte
	// InsecureSkipVerify turns TLS verification off. Defaults to false.
	InsecureSkipVerify bool
	// Timeout bounds connecting and each publish. Defaults to 5s.
	Timeout time.Duration
	// JetStream makes NATS publishes JetStream publishes. Defaults to false.
	JetStream bool
	// MaxLen caps a Redis stream with MAXLEN ~ MaxLen. Defaults to 0 (no cap).
	MaxLen int64
	// Exchange is the AMQP exchange for messages without one. Defaults to ""
	// (the default exchange).
	Exchange string
	// Persistent makes AMQP messages persistent. Defaults to false.
	Persistent bool
	// ClientID is the MQTT client ID. Defaults to "kronos-" and random hex.
	ClientID string
	// Dial opens the TCP connections to the broker, for instance under a
	// network policy that checks every address dialled; TLS, when the
	// scheme asks for it, runs on top. It must not depend on one call: a
	// pooled Conn may redial with it later. It is not part of the Pool's
	// key (functions do not compare): set DialKey. Defaults to a
	// net.Dialer bounded by Timeout.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error) `json:"-"`
	// DialKey names what Dial enforces, such as a hash of the network
	// policy; the Pool keys Conns by it, so a changed policy opens a new
	// Conn. Defaults to "".
	DialKey string
}

// dial opens a TCP connection with Dial, or a plain net.Dialer.
func (c ConnConfig) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if c.Dial != nil {
		return c.Dial(ctx, network, addr)
	}
	d := net.Dialer{Timeout: c.timeout()}
	return d.DialContext(ctx, network, addr)
}

// dialTLS dials with c.dial and, when tc is not nil, runs a TLS handshake
// on the connection within ctx.
func (c ConnConfig) dialTLS(ctx context.Context, network, addr string, tc *tls.Config) (net.Conn, error) {
	conn, err := c.dial(ctx, network, addr)
	if err != nil || tc == nil {
		return conn, err
	}
	tconn := tls.Client(conn, tc)
	if err := tconn.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tconn, nil
}

func (c ConnConfig) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Open connects to the broker cfg.URL names.
func Open(ctx context.Context, cfg ConnConfig) (Conn, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, &Error{Op: "connect", Broker: "broker", URL: redactRaw(cfg.URL), Err: fmt.Errorf("%w URL: %w", ErrInvalid, err)}
	}
	switch strings.ToLower(u.Scheme) {
	case "redis", "rediss":
		return openRedis(ctx, cfg, u)
	case "nats", "tls":
		return openNATS(ctx, cfg, u)
	case "amqp", "amqps":
		return openAMQP(ctx, cfg, u)
	case "mqtt", "mqtts", "tcp", "ssl":
		return openMQTT(ctx, cfg, u)
	}
	return nil, &Error{
		Op: "connect", Broker: "broker", URL: u.Redacted(),
		Err: fmt.Errorf("%w scheme %q (use redis, rediss, nats, tls, amqp, amqps, mqtt, mqtts or tcp)", ErrInvalid, u.Scheme),
	}
}

// Error is a failed connect or publish.
type Error struct {
	// Op is "connect" or "publish".
	Op string
	// Broker is "redis", "nats", "jetstream", "rabbitmq" or "mqtt".
	Broker string
	// URL is the broker URL with its password redacted.
	URL string
	// Target names the destination, as `stream "s"`; empty for connects.
	Target string
	// Err is the cause.
	Err error
}

func (e *Error) Error() string {
	s := e.Op + " to " + e.Broker + " " + e.URL
	if e.Target != "" {
		s += " " + e.Target
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// userURL returns u with cfg's credentials applied, and the redacted form.
func userURL(cfg ConnConfig, u *url.URL) (*url.URL, string) {
	v := *u
	user, pass, hasPass := "", "", false
	if u.User != nil {
		user = u.User.Username()
		pass, hasPass = u.User.Password()
	}
	if cfg.Username != "" {
		user = cfg.Username
	}
	if cfg.Password != "" {
		pass, hasPass = cfg.Password, true
	}
	switch {
	case hasPass:
		v.User = url.UserPassword(user, pass)
	case user != "":
		v.User = url.User(user)
	default:
		v.User = nil
	}
	return &v, v.Redacted()
}

func redactRaw(s string) string {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "xxxxx" + s[i:]
		}
	}
	return s
}

// tlsConfig returns the TLS configuration for host, or nil without TLS.
func tlsConfig(cfg ConnConfig, useTLS bool, host string) (*tls.Config, error) {
	if !useTLS {
		return nil, nil
	}
	tc := &tls.Config{ServerName: host, InsecureSkipVerify: cfg.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // opt-in, documented
	if len(cfg.CAPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(cfg.CAPEM) {
			return nil, fmt.Errorf("%w CAPEM: no PEM certificate in it", ErrInvalid)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// withTimeout bounds ctx by d.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// noAck is the error for a missing acknowledgement after d.
func noAck(what string, d time.Duration) error {
	return kindError{fmt.Sprintf("no %s within %s", what, d), ErrNoAck}
}

// kindError is a message of its own that still matches a sentinel with
// errors.Is.
type kindError struct {
	msg  string
	kind error
}

func (e kindError) Error() string { return e.msg }
func (e kindError) Unwrap() error { return e.kind }

// breaker is a Conn that can tell that it is no longer usable; the Pool then
// opens a new one.
type breaker interface {
	broken() bool
}
