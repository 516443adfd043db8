// Package mq publishes messages to message brokers for the host's
// mq_publish function: it is the broker side of the MQ executor.
//
// [Open] dials one broker from a [ConnConfig] and returns a [Conn] whose
// Publish sends one [Message] and waits until the broker has it. A [Pool]
// keeps one Conn per (namespace, connection name, configuration) so that the
// executor dials once and reuses the connection.
//
// # Brokers and URL forms
//
//   - redis://, rediss:// — Redis Streams. XADD to the stream m.Topic with
//     the fields "payload", "key" (only when m.Key is set) and one field
//     "h:<name>" per header, headers in name order. MaxLen > 0 adds
//     MAXLEN ~ MaxLen. The receipt is the entry ID ("1718000000000-0").
//   - nats://, tls:// — NATS. Core publish to the subject m.Topic with the
//     headers as NATS headers, followed by a flush, so a publish returns
//     once the server has read it; the receipt ID is empty (core NATS has
//     none). With JetStream set the publish waits for the stream's PubAck and
//     the receipt is "<stream>:<sequence>"; a subject no stream covers is an
//     error wrapping [ErrNoAck]. JetStream is a flag, not a scheme: the same
//     server serves both, and the URL stays one nats:// accepts.
//   - amqp://, amqps:// — RabbitMQ (AMQP 0.9.1). Publish to m.Exchange (or
//     ConnConfig.Exchange when the message has none; "" is the default
//     exchange) with routing key m.Topic and the headers as AMQP headers
//     (string values). The channel is in confirm mode and Publish waits for
//     the confirm: a nack wraps [ErrNack], no confirm in time wraps
//     [ErrNoAck]. Persistent sets delivery mode 2.
//   - mqtt://, mqtts://, tcp://, ssl:// — MQTT 3.1.1. Publish to the topic
//     m.Topic with QoS m.QoS (0, 1 or 2, taken literally: [DefaultQoS] is
//     for the caller to fill in) and m.Retain, waiting for the token. MQTT
//     3.1.1 has no headers, so a message with headers is refused rather
//     than sent without them; m.Key and m.Exchange are refused likewise.
//
// Credentials come from the URL's user info or from ConnConfig.Username and
// ConnConfig.Password, which win; the caller resolves secrets. TLS follows
// the scheme (rediss, tls, amqps, mqtts, ssl) and verifies the server
// against the system roots plus ConnConfig.CAPEM.
//
// # Errors
//
// Every error is an [*Error] that names the operation, the broker, the URL
// with its password replaced by "xxxxx", and the destination:
//
//	publish to rabbitmq amqp://guest:xxxxx@127.0.0.1:5672/ exchange "x" routing key "y": no publisher confirm within 5s
//
// Refused logins wrap [ErrAuth]; missing acknowledgements wrap [ErrNoAck].
package mq
