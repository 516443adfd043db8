package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/shiyu-coder/kronos/sdk"
)

// Config bounds and defaults. The JSON Schema in schema.go states the same
// numbers; TestSchemaDefaults keeps them in step.
const (
	// defaultQoS is the MQTT QoS when the config gives none (the host's
	// default too).
	defaultQoS = 1
	maxQoS     = 2
	// maxConnectionName is core.MaxNameLength: connections are named like
	// tasks.
	maxConnectionName = 128
	maxTopicBytes     = 1024
	// maxExchangeBytes is an AMQP short string's limit.
	maxExchangeBytes = 255
	maxKeyBytes      = 1024
	maxHeaders       = 64
	maxHeaderName    = 256
	maxHeaderValue   = 4096
	// maxPayloadBytes bounds a message after its placeholders are
	// expanded: the host's limit (1 MiB).
	maxPayloadBytes = sdk.MaxMQPayloadBytes
)

// connectionPattern is core's name pattern: lower-case letters, digits,
// '_', '.' and '-', starting and ending with a letter or digit.
var connectionPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$`)

// rawConfig is the task config as written.
type rawConfig struct {
	Connection  string            `json:"connection"`
	Topic       string            `json:"topic"`
	Exchange    string            `json:"exchange"`
	Payload     *string           `json:"payload"`
	PayloadJSON json.RawMessage   `json:"payload_json"`
	Headers     map[string]string `json:"headers"`
	Key         string            `json:"key"`
	QoS         *int              `json:"qos"`
	Retain      bool              `json:"retain"`
}

// config is a validated config, its templates parsed.
type config struct {
	Connection string
	Topic      template
	Exchange   string
	// Payload is set for a text payload, PayloadJSON for a JSON one.
	Payload     *template
	PayloadJSON *jsonTemplate
	Headers     map[string]template
	Key         template
	// QoS is nil when the config gives none (the host then uses 1).
	QoS    *int
	Retain bool
}

// decodeConfig decodes and validates a task config, reporting every
// problem at once as lines "config.field: message".
func decodeConfig(raw json.RawMessage) (config, error) {
	var rc rawConfig
	if err := sdk.DecodeConfig(raw, &rc); err != nil {
		return config{}, err
	}
	return rc.validate()
}

// validateConfig is the validate export: it reports, when the task is
// saved, what the JSON Schema cannot say (an unknown placeholder, both
// payloads or neither).
func validateConfig(raw json.RawMessage) []sdk.FieldError {
	_, err := decodeConfig(raw)
	return sdk.FieldErrors(err)
}

func (rc rawConfig) validate() (config, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config."+field+": "+format, args...))
	}
	tpl := func(field, s string) template {
		t, err := parseTemplate(s)
		if err != nil {
			bad(field, "%v", err)
		}
		return t
	}
	cfg := config{Connection: rc.Connection, Exchange: rc.Exchange, QoS: rc.QoS, Retain: rc.Retain}

	switch {
	case rc.Connection == "":
		bad("connection", "is required: the name of an MQ connection of the task's namespace (kronos mq list shows them)")
	case len(rc.Connection) > maxConnectionName:
		bad("connection", "is %d characters long; the limit is %d", len(rc.Connection), maxConnectionName)
	case !connectionPattern.MatchString(rc.Connection):
		bad("connection", "%q is not a connection name: names use lower-case letters, digits, '_', '.' and '-', starting and ending with a letter or digit", rc.Connection)
	}

	switch {
	case strings.TrimSpace(rc.Topic) == "":
		bad("topic", "is required: the Redis stream, NATS subject, AMQP routing key or MQTT topic, such as \"orders.created\"")
	case len(rc.Topic) > maxTopicBytes:
		bad("topic", "is %d bytes; the limit is %d", len(rc.Topic), maxTopicBytes)
	case strings.ContainsAny(rc.Topic, "\x00\r\n"):
		bad("topic", "holds a line break or NUL byte")
	default:
		cfg.Topic = tpl("topic", rc.Topic)
	}

	switch {
	case len(rc.Exchange) > maxExchangeBytes:
		bad("exchange", "is %d bytes; AMQP allows %d", len(rc.Exchange), maxExchangeBytes)
	case strings.ContainsAny(rc.Exchange, "\x00\r\n"):
		bad("exchange", "holds a line break or NUL byte")
	}

	hasJSON := len(bytes.TrimSpace(rc.PayloadJSON)) > 0
	switch {
	case rc.Payload != nil && hasJSON:
		bad("payload", "and payload_json are both set: keep payload for text or payload_json for a JSON value")
	case rc.Payload == nil && !hasJSON:
		bad("payload", "is required: set payload to the message text (\"\" for an empty message) or payload_json to a JSON value")
	case rc.Payload != nil:
		if len(*rc.Payload) > maxPayloadBytes {
			bad("payload", "is %d bytes; the limit is %d (1 MiB)", len(*rc.Payload), maxPayloadBytes)
			break
		}
		t := tpl("payload", *rc.Payload)
		cfg.Payload = &t
	default:
		if len(rc.PayloadJSON) > maxPayloadBytes {
			bad("payload_json", "is %d bytes; the limit is %d (1 MiB)", len(rc.PayloadJSON), maxPayloadBytes)
			break
		}
		t, err := parseJSONTemplate(rc.PayloadJSON)
		if err != nil {
			errs = append(errs, err)
			break
		}
		cfg.PayloadJSON = &t
	}

	if len(rc.Headers) > maxHeaders {
		bad("headers", "has %d headers; the limit is %d", len(rc.Headers), maxHeaders)
	}
	cfg.Headers = make(map[string]template, len(rc.Headers))
	for _, name := range slices.Sorted(maps.Keys(rc.Headers)) {
		value := rc.Headers[name]
		if err := checkHeaderName(name); err != nil {
			bad("headers", "%q %v", name, err)
			continue
		}
		switch {
		case len(value) > maxHeaderValue:
			bad("headers."+name, "is %d bytes; the limit is %d", len(value), maxHeaderValue)
		case strings.ContainsAny(value, "\x00\r\n"):
			bad("headers."+name, "the value holds a line break or NUL byte")
		default:
			cfg.Headers[name] = tpl("headers."+name, value)
		}
	}

	switch {
	case len(rc.Key) > maxKeyBytes:
		bad("key", "is %d bytes; the limit is %d", len(rc.Key), maxKeyBytes)
	default:
		cfg.Key = tpl("key", rc.Key)
	}

	if rc.QoS != nil && (*rc.QoS < 0 || *rc.QoS > maxQoS) {
		bad("qos", "%d is not an MQTT QoS: use 0 (at most once), 1 (at least once, the default) or 2 (exactly once)", *rc.QoS)
	}

	if len(errs) > 0 {
		return config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// checkHeaderName refuses a name that no broker carries: empty, too long,
// or holding blanks, ':' or control characters (NATS headers are
// MIME-style lines).
func checkHeaderName(name string) error {
	switch {
	case name == "":
		return errors.New("is not a header name: it is empty")
	case len(name) > maxHeaderName:
		return fmt.Errorf("is not a header name: it is %d bytes; the limit is %d", len(name), maxHeaderName)
	}
	for _, r := range name {
		if r <= ' ' || r == ':' || r == 0x7f {
			return errors.New("is not a header name: use no blanks, ':' or control characters (such as Trace-Id)")
		}
	}
	return nil
}
