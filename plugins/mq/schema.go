package main

import (
	"encoding/json"

	"github.com/shiyu-coder/kronos/sdk"
)

// version is the plugin's version, reported by describe.
const version = "1.0.0"

// configSchema is the JSON Schema of the config. Its defaults and bounds
// are the constants of config.go (TestSchemaDefaults checks them). "Exactly
// one of payload and payload_json" is checked by the validate export, not
// here: a top-level oneOf would turn the UI's form into a JSON box.
const configSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "MQ publish",
  "description": "Publishes one message per execution to a broker connection of the task's namespace (Redis Streams, NATS, JetStream, RabbitMQ or MQTT). Set payload (text) or payload_json (a JSON value). The topic, the payload, header values and key may hold placeholders: ${execution.id}, ${execution.attempt}, ${execution.scheduled_at}, ${execution.trigger}, ${execution.namespace}, ${execution.task}, ${execution.labels.<key>}, ${now}; $${ writes a literal ${.",
  "type": "object",
  "required": ["connection", "topic"],
  "additionalProperties": false,
  "properties": {
    "connection": {
      "description": "The name of an MQ connection of the task's namespace (kronos mq list, or the MQ connections page). The connection holds the broker's URL, credentials and TLS settings; its URL scheme chooses the broker.",
      "type": "string",
      "minLength": 1,
      "maxLength": 128,
      "pattern": "^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$",
      "examples": ["orders"]
    },
    "topic": {
      "description": "Where the message goes: the Redis stream, the NATS subject (JetStream: a subject one of its streams covers), the AMQP routing key, or the MQTT topic. Placeholders are expanded.",
      "type": "string",
      "minLength": 1,
      "maxLength": 1024,
      "pattern": "^[^\\r\\n\\x00]*$",
      "examples": ["orders.created", "reports/${execution.task}", "kronos:ticks"]
    },
    "exchange": {
      "description": "RabbitMQ only: the exchange to publish to. Empty means the connection's exchange, or RabbitMQ's default exchange (which routes to the queue named by the routing key) when the connection has none. Redis and NATS ignore it; MQTT refuses it.",
      "type": "string",
      "maxLength": 255,
      "pattern": "^[^\\r\\n\\x00]*$",
      "default": "",
      "examples": ["orders"]
    },
    "payload": {
      "description": "The message, as text; \"\" sends an empty message. Placeholders are expanded. Set this or payload_json, not both. At most 1 MiB once expanded.",
      "type": "string",
      "examples": ["tick ${execution.scheduled_at} (attempt ${execution.attempt})"]
    },
    "payload_json": {
      "description": "The message as a JSON value (object, array, string, number, …), sent as compact JSON in the order written. Placeholders in its string values are expanded (not in keys; values stay strings). Set this or payload, not both.",
      "examples": [{"event": "report.due", "execution_id": "${execution.id}", "scheduled_at": "${execution.scheduled_at}", "team": "${execution.labels.team}"}]
    },
    "headers": {
      "description": "Message headers, values expanded: NATS and JetStream headers, AMQP headers, or Redis stream fields h:<name>. MQTT 3.1.1 has no headers, so an MQTT connection refuses a message with any. On JetStream, Nats-Msg-Id: ${execution.id} makes the stream drop a retried duplicate.",
      "type": "object",
      "maxProperties": 64,
      "propertyNames": {"minLength": 1, "maxLength": 256, "pattern": "^[^\\x00-\\x20:\\x7f]+$"},
      "additionalProperties": {"type": "string", "maxLength": 4096, "pattern": "^[^\\r\\n\\x00]*$"},
      "default": {},
      "examples": [{"Nats-Msg-Id": "${execution.id}", "Trace-Id": "kronos-${execution.id}"}]
    },
    "key": {
      "description": "Redis only: the stream entry's field \"key\" (for consumers that partition or deduplicate by it). Placeholders are expanded; empty sends no key field. NATS and RabbitMQ ignore it; MQTT refuses it.",
      "type": "string",
      "maxLength": 1024,
      "default": "",
      "examples": ["${execution.task}"]
    },
    "qos": {
      "description": "MQTT only: the quality of service: 0 at most once, 1 at least once, 2 exactly once.",
      "type": "integer",
      "minimum": 0,
      "maximum": 2,
      "default": 1
    },
    "retain": {
      "description": "MQTT only: ask the broker to keep the message as the topic's retained message, given to every new subscriber.",
      "type": "boolean",
      "default": false
    }
  }
}`

// description is what describe returns.
var description = sdk.Description{
	Name:    "mq",
	Version: version,
	Description: "Publishes one message per execution to a message broker connection of the task's namespace: a Redis stream, a NATS subject (core or JetStream), a RabbitMQ exchange or an MQTT topic. " +
		"The execution succeeds once the broker has the message (JetStream ack, RabbitMQ confirm, MQTT QoS handshake) and records the broker's receipt; it fails with the connection, the destination and the broker's error.",
	ConfigSchema: json.RawMessage(configSchema),
}
