// Package abi holds the JSON documents that plugins and the Kronos host
// exchange through the host functions of the "kronos:host/v1" module. The
// host (package host) and the Go SDK (package sdk) both use these types, so
// the two sides of the wire cannot drift apart; sdk/CONTRACT.md documents
// the same shapes for authors in other languages.
package abi

// HostModule is the wasm import module name of the Kronos host functions.
const HostModule = "kronos:host/v1"

// Host function names in HostModule.
const (
	FuncLog         = "log"
	FuncHTTPRequest = "http_request"
	FuncKVGet       = "kv_get"
	FuncKVSet       = "kv_set"
	FuncKVDelete    = "kv_delete"
	FuncMQPublish   = "mq_publish"
)

// HTTPRequest is what a plugin passes to http_request.
type HTTPRequest struct {
	// Method defaults to GET.
	Method string `json:"method"`
	// URL is http or https.
	URL string `json:"url"`
	// Headers are sent as they are.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is a UTF-8 body; BodyBase64 carries any other.
	Body       string `json:"body,omitempty"`
	BodyBase64 string `json:"body_base64,omitempty"`
	// TimeoutMS can only shorten the namespace's timeout.
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
	// FollowRedirects can only turn redirects off.
	FollowRedirects *bool `json:"follow_redirects,omitempty"`
	// MaxResponseBytes can only lower the namespace's response cap.
	MaxResponseBytes int64 `json:"max_response_bytes,omitempty"`
}

// HTTPResponse is what http_request returns: a response, or Error.
type HTTPResponse struct {
	Status int `json:"status"`
	// Headers are the response headers, canonical names.
	Headers map[string][]string `json:"headers,omitempty"`
	// Body is set when the body is valid UTF-8; BodyBase64 otherwise.
	Body       string `json:"body,omitempty"`
	BodyBase64 string `json:"body_base64,omitempty"`
	// Truncated reports a body cut at the response cap.
	Truncated bool `json:"truncated,omitempty"`
	// URL is the final URL, after redirects.
	URL        string `json:"url,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	// Error is set, and Status 0, when no response came.
	Error *HTTPError `json:"error,omitempty"`
}

// HTTPError says why no response came. Kind is one of refused,
// invalid_request, dns, connect, timeout, tls, too_many_redirects,
// canceled or other.
type HTTPError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// KV is the request and the response of kv_get, kv_set and kv_delete.
type KV struct {
	// Key names the pair (requests).
	Key string `json:"key,omitempty"`
	// ValueBase64 is the value (kv_set requests, kv_get responses).
	ValueBase64 string `json:"value_base64,omitempty"`
	// TTLMS makes a kv_set pair expire; 0 keeps it.
	TTLMS int64 `json:"ttl_ms,omitempty"`
	// Found reports whether kv_get found the key.
	Found bool `json:"found,omitempty"`
	// Error is set when the call failed, e.g. a quota.
	Error string `json:"error,omitempty"`
}

// MQPublish is what a plugin passes to mq_publish: one message to publish
// on a connection of the execution's namespace.
type MQPublish struct {
	// Connection names the namespace's MQ connection.
	Connection string `json:"connection"`
	// Topic is the Redis stream, NATS subject, AMQP routing key or MQTT
	// topic.
	Topic string `json:"topic"`
	// Exchange is the AMQP exchange; empty means the connection's.
	Exchange string `json:"exchange,omitempty"`
	// Payload is a UTF-8 payload; PayloadBase64 carries any other.
	Payload       string `json:"payload,omitempty"`
	PayloadBase64 string `json:"payload_base64,omitempty"`
	// Headers are Redis "h:<name>" fields, NATS or AMQP headers; MQTT
	// refuses them.
	Headers map[string]string `json:"headers,omitempty"`
	// Key is the Redis field "key".
	Key string `json:"key,omitempty"`
	// QoS is the MQTT QoS, 0 to 2; nil means 1.
	QoS *int `json:"qos,omitempty"`
	// Retain is the MQTT retained flag.
	Retain bool `json:"retain,omitempty"`
}

// MQPublishResponse is what mq_publish returns: the broker's receipt, or
// Error.
type MQPublishResponse struct {
	// Broker is "redis", "nats", "jetstream", "rabbitmq" or "mqtt".
	Broker string `json:"broker,omitempty"`
	// ID is the Redis entry ID or the JetStream "<stream>:<sequence>";
	// empty where the broker gives none.
	ID string `json:"id,omitempty"`
	// DurationMS is how long the publish took, connecting included.
	DurationMS int64 `json:"duration_ms"`
	// Error is set when the message was not published (or not
	// acknowledged).
	Error *MQError `json:"error,omitempty"`
}

// MQError says why a message was not published. Kind is one of
// not_found (no such connection), refused (the network policy), auth,
// connect, no_ack, nack, invalid_request, timeout, canceled or other.
type MQError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}
