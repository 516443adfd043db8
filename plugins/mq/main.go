// Command mq is Kronos's built-in MQ executor: one message per execution,
// published through the host's mq_publish function to a broker connection
// of the task's namespace (Redis Streams, NATS core or JetStream, RabbitMQ,
// MQTT). The host resolves the connection by name, keeps it open between
// executions and applies the namespace's network policy; the plugin only
// names the connection and builds the message.
//
// The topic, the payload (text, or JSON whose strings are templated), the
// header values and the Redis key may hold ${...} placeholders that take
// the execution's details: ${execution.id}, ${execution.attempt},
// ${execution.scheduled_at}, ${execution.trigger}, ${execution.namespace},
// ${execution.task}, ${execution.labels.<key>} and ${now}; $${ writes a
// literal ${. (Task configs reserve {{ … }} for secret references.)
//
// Build it with `just plugins`, or:
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o mq.wasm ./plugins/mq
//
// The exports live in exports_wasip1.go;
// everything else is plain Go, tested on any platform with a fake
// publisher.
package main

// main is empty: a c-shared Wasm module is a library whose exports
// Kronos calls.
func main() {}
