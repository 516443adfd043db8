package sdk

import (
	"encoding/base64"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/shiyu-coder/kronos/sdk/abi"
)

// MaxMQPayloadBytes is the largest payload the host publishes (1 MiB).
const MaxMQPayloadBytes = 1 << 20

// MQMessage is one message to publish with Context.PublishMQ on an MQ
// connection of the execution's namespace (created with `kronos mq create`).
// The host resolves the connection and its password, keeps the broker
// connection open across executions, and dials the broker under the
// namespace's network policy.
type MQMessage struct {
	// Connection names the namespace's MQ connection. Required.
	Connection string
	// Topic is the Redis stream, NATS subject, AMQP routing key or MQTT
	// topic. Required.
	Topic string
	// Exchange is the AMQP exchange. Defaults to the connection's.
	Exchange string
	// Payload is the message body, at most MaxMQPayloadBytes. Text is sent
	// as the "payload" field, other bytes as "payload_base64".
	Payload []byte
	// Headers are Redis fields "h:<name>", NATS headers or AMQP headers.
	// MQTT 3.1.1 has none and refuses a message with headers.
	Headers map[string]string
	// Key is the Redis field "key".
	Key string
	// QoS is the MQTT QoS, 0, 1 or 2. Nil means 1 (at least once); use
	// MQQoS to set one.
	QoS *int
	// Retain is the MQTT retained flag.
	Retain bool
}

// MQQoS returns a pointer to qos, for MQMessage.QoS.
func MQQoS(qos int) *int { return &qos }

// MQReceipt is what the broker said about a published message.
type MQReceipt struct {
	// Broker is "redis", "nats", "jetstream", "rabbitmq" or "mqtt".
	Broker string
	// ID is the Redis entry ID or the JetStream "<stream>:<sequence>";
	// empty where the broker gives none (core NATS, AMQP, MQTT).
	ID string
	// Duration is how long the publish took, connecting included.
	Duration time.Duration
}

// MQErrorKind classifies a failed publish.
type MQErrorKind string

// The kinds of publish failure the host reports.
const (
	// MQErrorNotFound: the namespace has no such connection.
	MQErrorNotFound MQErrorKind = "not_found"
	// MQErrorRefused: the network policy refused the broker's address or
	// host.
	MQErrorRefused MQErrorKind = "refused"
	// MQErrorAuth: the broker refused the login.
	MQErrorAuth MQErrorKind = "auth"
	// MQErrorConnect: the broker could not be reached.
	MQErrorConnect MQErrorKind = "connect"
	// MQErrorNoAck: the broker did not acknowledge the message in time
	// (or, on JetStream, no stream took it). It may still have it.
	MQErrorNoAck MQErrorKind = "no_ack"
	// MQErrorNack: the broker refused the message (an AMQP nack).
	MQErrorNack MQErrorKind = "nack"
	// MQErrorInvalidRequest: the message itself is wrong (no topic, a
	// payload over the cap, headers on MQTT, a QoS out of range).
	MQErrorInvalidRequest MQErrorKind = "invalid_request"
	// MQErrorTimeout: the execution's time ran out.
	MQErrorTimeout MQErrorKind = "timeout"
	// MQErrorCanceled: the execution was canceled.
	MQErrorCanceled MQErrorKind = "canceled"
	// MQErrorOther: any other failure.
	MQErrorOther MQErrorKind = "other"
)

// MQError is a message that was not published (or not acknowledged).
type MQError struct {
	// Kind classifies the failure.
	Kind MQErrorKind
	// Message is the host's explanation.
	Message string
}

// Error returns "kind: message".
func (e *MQError) Error() string {
	return string(e.Kind) + ": " + e.Message
}

// Retryable reports whether publishing the same message again may
// succeed: the broker was unreachable or did not answer.
func (e *MQError) Retryable() bool {
	switch e.Kind {
	case MQErrorConnect, MQErrorNoAck, MQErrorTimeout:
		return true
	}
	return false
}

func encodeMQPublish(m MQMessage) ([]byte, error) {
	doc := abi.MQPublish{
		Connection: m.Connection,
		Topic:      m.Topic,
		Exchange:   m.Exchange,
		Headers:    m.Headers,
		Key:        m.Key,
		QoS:        m.QoS,
		Retain:     m.Retain,
	}
	if utf8.Valid(m.Payload) {
		doc.Payload = string(m.Payload)
	} else {
		doc.PayloadBase64 = base64.StdEncoding.EncodeToString(m.Payload)
	}
	return json.Marshal(doc)
}

func decodeMQPublishResponse(data []byte) (MQReceipt, error) {
	var doc abi.MQPublishResponse
	if err := json.Unmarshal(data, &doc); err != nil {
		return MQReceipt{}, &MQError{Kind: MQErrorOther, Message: "the host's mq_publish response is not valid JSON: " + err.Error()}
	}
	receipt := MQReceipt{Broker: doc.Broker, ID: doc.ID, Duration: time.Duration(doc.DurationMS) * time.Millisecond}
	if doc.Error != nil {
		kind := MQErrorKind(doc.Error.Kind)
		if kind == "" {
			kind = MQErrorOther
		}
		// The receipt still says which broker it was and how long the
		// attempt took, when the host got that far.
		return receipt, &MQError{Kind: kind, Message: doc.Error.Message}
	}
	return receipt, nil
}
