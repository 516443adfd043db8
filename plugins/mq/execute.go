package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/sdk"
	"github.com/shiyu-coder/kronos/sdk/abi"
)

// now is the clock of ${now}; tests replace it.
var now = time.Now

// result is the execution's result: where the message went and the
// broker's receipt, or, on a failed execution, Error.
type result struct {
	// Connection is the connection's name, as configured.
	Connection string `json:"connection"`
	// Broker is "redis", "nats", "jetstream", "rabbitmq" or "mqtt". A
	// failed publish has it only when the SDK passes it on with the error
	// (the host's message names the broker either way).
	Broker string `json:"broker,omitempty"`
	// Topic is the expanded topic.
	Topic string `json:"topic"`
	// Exchange is the configured AMQP exchange.
	Exchange string `json:"exchange,omitempty"`
	// ID is the Redis entry ID or the JetStream "<stream>:<sequence>".
	ID string `json:"id,omitempty"`
	// Bytes is the payload's size.
	Bytes int `json:"bytes"`
	// DurationMS is how long the publish took, connecting included.
	DurationMS int64 `json:"duration_ms"`
	// Error says why the message was not published.
	Error *publishError `json:"error,omitempty"`
}

// publishError is the result's account of a failed publish.
type publishError struct {
	// Kind is the sdk.MQErrorKind: not_found, refused, auth, connect,
	// no_ack, nack, invalid_request, timeout, canceled or other.
	Kind sdk.MQErrorKind `json:"kind"`
	// Message is the host's explanation.
	Message string `json:"message"`
}

// handle runs one execution: one message, published through the host's
// mq_publish (sdk.Context.PublishMQ).
func handle(ctx *sdk.Context) (sdk.Result, error) {
	cfg, err := decodeConfig(ctx.RawConfig())
	if err != nil {
		return sdk.Result{}, err
	}
	msg, err := cfg.message(vars{exec: ctx.Execution, now: now()})
	if err != nil {
		return sdk.Result{}, err
	}
	out := result{Connection: msg.Connection, Topic: msg.Topic, Exchange: msg.Exchange, Bytes: len(msg.Payload)}
	ctx.Log.Debug("publishing", "connection", msg.Connection, "topic", msg.Topic, "bytes", out.Bytes, "attempt", ctx.Execution.Attempt)

	// The receipt is read on failure too: a host that knows the broker of
	// a failed publish can say so there.
	receipt, err := ctx.PublishMQ(msg)
	out.Broker, out.ID, out.DurationMS = receipt.Broker, receipt.ID, receipt.Duration.Milliseconds()
	if err != nil {
		var me *sdk.MQError
		if !errors.As(err, &me) {
			me = &sdk.MQError{Kind: sdk.MQErrorOther, Message: err.Error()}
		}
		out.Error = &publishError{Kind: me.Kind, Message: me.Message}
		if out.Error.Kind == "" {
			out.Error.Kind = sdk.MQErrorOther
		}
		ctx.Log.Error("publish failed", "connection", msg.Connection, "broker", out.Broker, "kind", string(out.Error.Kind), "error", me.Message)
		line := fmt.Sprintf("%s: %s: %s", target(out), out.Error.Kind, strings.TrimPrefix(me.Message, abi.FuncMQPublish+": "))
		return sdk.Failed(line, out), nil
	}
	ctx.Log.Info("published", "connection", msg.Connection, "broker", out.Broker, "id", out.ID, "bytes", out.Bytes, "duration_ms", out.DurationMS)
	return sdk.Succeeded(out), nil
}

// message builds the message of one execution, expanding the
// placeholders.
func (c config) message(v vars) (sdk.MQMessage, error) {
	m := sdk.MQMessage{
		Connection: c.Connection,
		Topic:      c.Topic.expand(v),
		Exchange:   c.Exchange,
		Key:        c.Key.expand(v),
		QoS:        c.QoS,
		Retain:     c.Retain,
	}
	if strings.TrimSpace(m.Topic) == "" {
		return sdk.MQMessage{}, errors.New("config.topic: is empty once its placeholders are expanded (is a label it names missing from the task?)")
	}
	if len(m.Topic) > maxTopicBytes {
		return sdk.MQMessage{}, fmt.Errorf("config.topic: is %d bytes once its placeholders are expanded; the limit is %d", len(m.Topic), maxTopicBytes)
	}
	switch {
	case c.Payload != nil:
		m.Payload = []byte(c.Payload.expand(v))
	case c.PayloadJSON != nil:
		b, err := c.PayloadJSON.expand(v)
		if err != nil {
			return sdk.MQMessage{}, err
		}
		m.Payload = b
	}
	if len(m.Payload) > maxPayloadBytes {
		return sdk.MQMessage{}, fmt.Errorf("config.payload: the message is %d bytes once its placeholders are expanded; the limit is %d (1 MiB)", len(m.Payload), maxPayloadBytes)
	}
	if len(c.Headers) > 0 {
		m.Headers = make(map[string]string, len(c.Headers))
		for name, t := range c.Headers {
			m.Headers[name] = t.expand(v)
		}
	}
	return m, nil
}

// target names where a message went, for messages: `publish to connection
// "orders" (rabbitmq) exchange "x" routing key "y"`, in the broker's words.
func target(r result) string {
	var dest string
	switch r.Broker {
	case "redis":
		dest = fmt.Sprintf("stream %q", r.Topic)
	case "nats", "jetstream":
		dest = fmt.Sprintf("subject %q", r.Topic)
	case "rabbitmq":
		dest = fmt.Sprintf("routing key %q", r.Topic)
		if r.Exchange != "" {
			dest = fmt.Sprintf("exchange %q %s", r.Exchange, dest)
		}
	default:
		dest = fmt.Sprintf("topic %q", r.Topic)
		if r.Exchange != "" {
			dest = fmt.Sprintf("exchange %q %s", r.Exchange, dest)
		}
	}
	s := fmt.Sprintf("publish to connection %q", r.Connection)
	if r.Broker != "" {
		s += " (" + r.Broker + ")"
	}
	return s + " " + dest
}
