package host

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/host/internal/egress"
	"github.com/shiyu-coder/kronos/host/internal/mq"
	"github.com/shiyu-coder/kronos/sdk/abi"
)

// MaxMQPayloadBytes caps the payload of one mq_publish message (1 MiB).
const MaxMQPayloadBytes = 1 << 20

// The kinds of abi.MQError that mq_publish and TestMQ report.
const (
	// MQErrNotFound: the namespace has no such connection.
	MQErrNotFound = "not_found"
	// MQErrRefused: the network policy refused the broker's host or
	// address.
	MQErrRefused = "refused"
	// MQErrAuth: the broker refused the login.
	MQErrAuth = "auth"
	// MQErrConnect: the broker could not be reached.
	MQErrConnect = "connect"
	// MQErrNoAck: the broker did not acknowledge the message in time, or
	// no JetStream stream took it.
	MQErrNoAck = "no_ack"
	// MQErrNack: the broker refused the message.
	MQErrNack = "nack"
	// MQErrInvalidRequest: the request or the message is not valid.
	MQErrInvalidRequest = "invalid_request"
	// MQErrTimeout: the call's deadline passed, or a connect timed out.
	MQErrTimeout = "timeout"
	// MQErrCanceled: the call was canceled.
	MQErrCanceled = "canceled"
	// MQErrOther: anything else.
	MQErrOther = "other"
)

// MQConnections resolves the MQ connections of a namespace for the
// mq_publish host function (secrets.MQConnections is the server's).
type MQConnections interface {
	// MQConnection returns the namespace's connection name and its
	// password (empty when it has none), or an error wrapping
	// store.ErrNotFound when the namespace has no such connection. Any
	// other error, such as a missing password secret, names what failed.
	MQConnection(ctx context.Context, namespace, name string) (conn core.MQConnection, password string, err error)
}

// MissingMQConnectionError is an error an MQConnections may return for a
// connection it lacks, with its own hint of how to supply it in place of
// the server's ("create it with: kronos mq create …"). It counts as
// store.ErrNotFound: the plugin is told not_found.
type MissingMQConnectionError struct {
	Namespace, Name string
	// Hint says how to supply the connection.
	Hint string
}

func (e *MissingMQConnectionError) Error() string {
	return fmt.Sprintf("namespace %q has no MQ connection %q: %s", e.Namespace, e.Name, e.Hint)
}

// Is makes errors.Is(err, store.ErrNotFound) hold.
func (e *MissingMQConnectionError) Is(target error) bool { return target == store.ErrNotFound }

// hostMQPublish is the mq_publish host function: it publishes one message
// on a pooled connection of the call's namespace, under the call's network
// policy, and answers with the receipt or an error value.
func (rt *Runtime) hostMQPublish(ctx context.Context, st *callState, raw []byte) any {
	start := time.Now()
	resp := rt.mqPublish(ctx, st, raw)
	resp.DurationMS = time.Since(start).Milliseconds()
	return resp
}

func (rt *Runtime) mqPublish(ctx context.Context, st *callState, raw []byte) abi.MQPublishResponse {
	fail := func(kind, format string, args ...any) abi.MQPublishResponse {
		return abi.MQPublishResponse{Error: &abi.MQError{Kind: kind, Message: "mq_publish: " + fmt.Sprintf(format, args...)}}
	}
	if rt.cfg.MQ == nil {
		return fail(MQErrOther, "mq is not available on this host")
	}
	if st.namespace == "" {
		return fail(MQErrInvalidRequest, "the call has no namespace")
	}
	var req abi.MQPublish
	if err := json.Unmarshal(raw, &req); err != nil {
		return fail(MQErrInvalidRequest, "request is not valid JSON: %v", err)
	}
	if fe := core.ValidateName("connection", req.Connection); fe != nil {
		return fail(MQErrInvalidRequest, "%s (name an MQ connection of the namespace)", fe.Error())
	}
	msg, bad := mqMessage(req)
	if bad != nil {
		return abi.MQPublishResponse{Error: bad}
	}
	conn, cfg, bad := rt.mqConnConfig(ctx, st.namespace, req.Connection, st.limits.Network)
	if bad != nil {
		return abi.MQPublishResponse{Error: bad}
	}
	resp := abi.MQPublishResponse{Broker: mqBroker(conn)}
	// The Pool opens a connection without the caller's context (others may
	// wait for it), bounded by the connection's timeout; the call must not
	// wait past its own deadline, so the publish runs aside and the call
	// returns when its context ends. A message published after that is
	// still published: the plugin is told only that no answer came in time.
	type result struct {
		r   mq.Receipt
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := rt.mq.Publish(ctx, st.namespace, req.Connection, cfg, msg)
		done <- result{r, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	if res.err != nil {
		resp.Error = mqErrorOf(ctx, res.err, conn, cfg.Password)
		return resp
	}
	resp.ID = res.r.ID
	return resp
}

// mqMessage checks a request's message and returns it for package mq.
func mqMessage(req abi.MQPublish) (mq.Message, *abi.MQError) {
	invalid := func(format string, args ...any) (mq.Message, *abi.MQError) {
		return mq.Message{}, &abi.MQError{Kind: MQErrInvalidRequest, Message: "mq_publish: " + fmt.Sprintf(format, args...)}
	}
	if req.Topic == "" {
		return invalid("topic is required: the Redis stream, NATS subject, AMQP routing key or MQTT topic")
	}
	if req.Payload != "" && req.PayloadBase64 != "" {
		return invalid("payload and payload_base64 are both set: send text as payload or bytes as payload_base64, not both")
	}
	payload := []byte(req.Payload)
	if req.PayloadBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(req.PayloadBase64)
		if err != nil {
			return invalid("payload_base64 is not standard base64: %v", err)
		}
		payload = b
	}
	if len(payload) > MaxMQPayloadBytes {
		return invalid("payload is %d bytes; the limit is %d", len(payload), MaxMQPayloadBytes)
	}
	qos := mq.DefaultQoS
	if req.QoS != nil {
		qos = *req.QoS
	}
	if qos < 0 || qos > 2 {
		return invalid("qos %d is out of range: use 0 (at most once), 1 (at least once) or 2 (exactly once)", qos)
	}
	return mq.Message{
		Topic:    req.Topic,
		Exchange: req.Exchange,
		Payload:  payload,
		Headers:  req.Headers,
		Key:      req.Key,
		QoS:      qos,
		Retain:   req.Retain,
	}, nil
}

// mqConnConfig resolves a namespace's connection and returns it with its
// broker configuration, whose dialer enforces policy.
func (rt *Runtime) mqConnConfig(ctx context.Context, namespace, name string, policy NetworkPolicy) (core.MQConnection, mq.ConnConfig, *abi.MQError) {
	if rt.cfg.MQ == nil {
		return core.MQConnection{}, mq.ConnConfig{}, &abi.MQError{Kind: MQErrOther, Message: "mq_publish: mq is not available on this host"}
	}
	conn, password, err := rt.cfg.MQ.MQConnection(ctx, namespace, name)
	var missing *MissingMQConnectionError
	switch {
	case errors.As(err, &missing):
		return conn, mq.ConnConfig{}, &abi.MQError{Kind: MQErrNotFound, Message: "mq_publish: " + missing.Error()}
	case errors.Is(err, store.ErrNotFound):
		return conn, mq.ConnConfig{}, &abi.MQError{Kind: MQErrNotFound, Message: fmt.Sprintf(
			"mq_publish: namespace %q has no MQ connection %q: create it with: kronos mq create %s --url … (add --namespace %s)",
			namespace, name, name, namespace)}
	case err != nil:
		return conn, mq.ConnConfig{}, &abi.MQError{Kind: MQErrOther, Message: redactSecret(fmt.Sprintf("mq_publish: resolve MQ connection %q of namespace %q: %v", name, namespace, err), password)}
	}
	key, err := json.Marshal(policy)
	if err != nil { // cannot happen: the policy is plain data
		return conn, mq.ConnConfig{}, &abi.MQError{Kind: MQErrOther, Message: "mq_publish: encode the network policy: " + err.Error()}
	}
	sum := sha256.Sum256(key)
	return conn, mq.ConnConfig{
		URL:                conn.URL,
		Username:           conn.Username,
		Password:           password,
		CAPEM:              []byte(conn.CAPEM),
		InsecureSkipVerify: conn.InsecureSkipVerify,
		Timeout:            conn.Timeout,
		JetStream:          conn.JetStream,
		MaxLen:             conn.MaxLen,
		Exchange:           conn.Exchange,
		Persistent:         conn.Persistent,
		ClientID:           mqClientID(conn.ClientID, rt.cfg.NodeID),
		Dial:               rt.httpClient(policy).Dial,
		DialKey:            hex.EncodeToString(sum[:]),
	}, nil
}

// MQNodePlaceholder in an MQTT client_id stands for the node's ID.
const MQNodePlaceholder = "${node}"

// mqClientID returns the MQTT client ID of a connection on this node: its
// client_id with MQNodePlaceholder replaced. A broker disconnects a client
// when another connects with its ID, and every node keeps a connection of
// its own, so a fixed ID makes the nodes of a cluster take turns
// disconnecting each other; "kronos-${node}" does not.
func mqClientID(clientID, nodeID string) string {
	if nodeID == "" {
		nodeID = "kronos"
	}
	return strings.ReplaceAll(clientID, MQNodePlaceholder, nodeID)
}

// mqBroker names a connection's broker as abi.MQPublishResponse does.
func mqBroker(c core.MQConnection) string {
	b := c.Broker()
	if b == "nats" && c.JetStream {
		return "jetstream"
	}
	return b
}

// mqErrorOf classifies an error of package mq (or of ctx) for the plugin.
// The message never carries password.
func mqErrorOf(ctx context.Context, err error, conn core.MQConnection, password string) *abi.MQError {
	kind := MQErrOther
	msg := err.Error()
	var (
		ee     *egress.Error
		me     *mq.Error
		netErr net.Error
	)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		kind = MQErrTimeout
		msg = "the call's deadline passed before the broker answered (raise the task's timeout): " + msg
	case ctx.Err() != nil:
		kind = MQErrCanceled
		msg = "the call was canceled before the broker answered: " + msg
	case errors.As(err, &ee) && ee.Kind == egress.KindRefused:
		kind = MQErrRefused
	case errors.As(err, &ee) && ee.Kind == egress.KindInvalidRequest:
		kind = MQErrInvalidRequest
	case errors.Is(err, mq.ErrAuth):
		kind = MQErrAuth
	case errors.Is(err, mq.ErrNoAck):
		kind = MQErrNoAck
	case errors.Is(err, mq.ErrNack):
		kind = MQErrNack
	case errors.Is(err, mq.ErrInvalid):
		kind = MQErrInvalidRequest
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		kind = MQErrTimeout
	case errors.As(err, &me) && me.Op == "connect":
		kind = MQErrConnect
	}
	switch {
	case kind == MQErrConnect || (errors.As(err, &me) && me.Op == "connect" && kind == MQErrTimeout):
		msg += " (is the broker running and reachable from the Kronos node? check the connection's url)"
	case kind == MQErrAuth && conn.PasswordSecret != "":
		msg += fmt.Sprintf(" (check the username of MQ connection %q and the password in its secret %q)", conn.Name, conn.PasswordSecret)
	case kind == MQErrAuth:
		msg += fmt.Sprintf(" (MQ connection %q has no password_secret: store the password as a secret and name it there)", conn.Name)
	}
	return &abi.MQError{Kind: kind, Message: "mq_publish: " + redactSecret(msg, password)}
}

// redactSecret replaces every occurrence of secret in s.
func redactSecret(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "xxxxx")
}

// TestMQ checks an MQ connection of a namespace the way a task would use
// it: it resolves the connection, opens a fresh connection (never a pooled
// one, so that it tests the broker now) under the namespace's network
// policy, publishes msg when it is not nil (its Connection is ignored),
// and closes. The response reports the broker, the receipt's ID, the time
// taken and, on failure, the error kind and message mq_publish would give.
func (e *Executor) TestMQ(ctx context.Context, settings core.NamespaceSettings, namespace, name string, msg *abi.MQPublish) abi.MQPublishResponse {
	start := time.Now()
	resp := e.testMQ(ctx, settings, namespace, name, msg)
	resp.DurationMS = time.Since(start).Milliseconds()
	return resp
}

func (e *Executor) testMQ(ctx context.Context, settings core.NamespaceSettings, namespace, name string, msg *abi.MQPublish) abi.MQPublishResponse {
	var m mq.Message
	if msg != nil {
		var bad *abi.MQError
		if m, bad = mqMessage(*msg); bad != nil {
			return abi.MQPublishResponse{Error: bad}
		}
	}
	lim := e.limitsFor(settings, core.Task{Namespace: namespace})
	conn, cfg, bad := e.cfg.Runtime.mqConnConfig(ctx, namespace, name, lim.Network)
	if bad != nil {
		return abi.MQPublishResponse{Error: bad}
	}
	resp := abi.MQPublishResponse{Broker: mqBroker(conn)}
	c, err := mq.Open(ctx, cfg)
	if err != nil {
		resp.Error = mqErrorOf(ctx, err, conn, cfg.Password)
		return resp
	}
	defer func() { _ = c.Close() }()
	if msg == nil {
		return resp
	}
	r, err := c.Publish(ctx, m)
	if err != nil {
		resp.Error = mqErrorOf(ctx, err, conn, cfg.Password)
		return resp
	}
	resp.ID = r.ID
	return resp
}
