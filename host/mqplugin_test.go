package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/host"
	"github.com/shiyu-coder/kronos/internal/brokertest"
	"github.com/shiyu-coder/kronos/internal/redistest"
	"github.com/shiyu-coder/kronos/internal/wasmtest"
)

// The built-in MQ executor, run for real: the plugin built from
// plugins/mq, the host's mq_publish and its connection pool, and the
// machine's brokers (KRONOS_TEST_REDIS_URL, KRONOS_TEST_NATS_URL,
// KRONOS_TEST_AMQP_URL, KRONOS_TEST_MQTT_URL), each message read back by a
// consumer of the test's own.

// mqWasm builds plugins/mq once per test binary.
var mqWasm = sync.OnceValues(func() ([]byte, error) {
	return wasmtest.Build("..", "plugins/mq", "plugins/mq", "sdk")
})

// mqNamespace is the namespace of the tests' tasks and connections.
const mqNamespace = "shop"

// mqConns is a map-backed host.MQConnections: connections by name, all in
// mqNamespace, without passwords.
type mqConns map[string]core.MQConnection

func (m mqConns) MQConnection(_ context.Context, namespace, name string) (core.MQConnection, string, error) {
	c, ok := m[name]
	if !ok || namespace != mqNamespace {
		return core.MQConnection{}, "", fmt.Errorf("mq connection %q of namespace %q: %w", name, namespace, store.ErrNotFound)
	}
	return c, "", nil
}

// mqConn returns a connection named name to url, with opts applied.
func mqConn(name, url string, opts ...func(*core.MQConnection)) core.MQConnection {
	c := core.MQConnection{Namespace: mqNamespace, Name: name, URL: url}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// mqExecutor returns an executor of the mq plugin whose runtime resolves
// conns; allowLoopback lets it reach 127.0.0.1, where the test brokers
// are.
func mqExecutor(t testing.TB, conns mqConns, allowLoopback bool) *host.Executor {
	t.Helper()
	if raceEnabled {
		// Compiling the module under the race detector takes most of a
		// minute per test and checks no host code the fixture's mq tests
		// (host/mq_test.go) do not; `just test` runs these without it.
		t.Skip("the mq plugin's tests run without -race (just test: go test -run 'ScriptPlugin|MQPlugin' ./host/)")
	}
	wasm, err := mqWasm()
	if err != nil {
		t.Fatalf("build the mq plugin: %v", err)
	}
	rt, err := host.NewRuntime(context.Background(), host.Config{CacheDir: cacheDir, MQ: conns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	lim := host.Limits{}
	if allowLoopback {
		lim.Network.AllowAddrs = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	}
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: rt, Builtins: map[string][]byte{"mq": wasm}, Limits: lim})
	if err := ex.Precompile(t.Context()); err != nil {
		t.Fatal(err)
	}
	return ex
}

func mqTask(t testing.TB, config map[string]any) core.Task {
	t.Helper()
	b, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	task := core.Task{Namespace: mqNamespace, Name: "nightly_report", Executor: "mq", Labels: map[string]string{"team": "data"}, Config: b}
	task.Normalize()
	return task
}

// mqResult is the mq plugin's result.
type mqResult struct {
	Connection string `json:"connection"`
	Broker     string `json:"broker"`
	Topic      string `json:"topic"`
	Exchange   string `json:"exchange"`
	ID         string `json:"id"`
	Bytes      int    `json:"bytes"`
	DurationMS int64  `json:"duration_ms"`
	Error      *struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"error"`
}

// mqRun runs one execution of task and decodes its result.
func mqRun(t testing.TB, ex *host.Executor, task core.Task) (core.ExecuteResult, mqResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	res := ex.Execute(ctx, core.ExecuteRequest{Task: task, Execution: execution})
	var out mqResult
	if res.Output != "" {
		if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
			t.Fatalf("output %q: %v", res.Output, err)
		}
	}
	return res, out
}

// mqMustPublish runs task and fails the test unless it succeeded.
func mqMustPublish(t testing.TB, ex *host.Executor, task core.Task) mqResult {
	t.Helper()
	res, out := mqRun(t, ex, task)
	if res.Status != core.StatusSucceeded {
		t.Fatalf("execution %s: %s (output %s)", res.Status, res.Error, res.Output)
	}
	return out
}

// mqWantFailure checks a failed execution's one-line error and result: the
// line names the connection, the broker (the plugin's "(broker)" when the
// SDK gives it the broker of a failed publish, else the host's message),
// the topic in quotes and the kind.
func mqWantFailure(t testing.TB, res core.ExecuteResult, out mqResult, conn, broker, topic, kind string) {
	t.Helper()
	if res.Status != core.StatusFailed {
		t.Fatalf("status %s, want failed (output %s)", res.Status, res.Output)
	}
	prefix := fmt.Sprintf("publish to connection %q ", conn)
	if !strings.HasPrefix(res.Error, prefix) || !strings.Contains(res.Error, ": "+kind+": ") ||
		!strings.Contains(res.Error, broker) || !strings.Contains(res.Error, strconv.Quote(topic)) {
		t.Errorf("error %q: want it to start with %q and name %s, %q and kind %s", res.Error, prefix, broker, topic, kind)
	}
	if out.Error == nil || out.Error.Kind != kind || out.Connection != conn || out.Topic != topic || (out.Broker != "" && out.Broker != broker) {
		t.Errorf("result = %+v, want connection %s, topic %s, error kind %s", out, conn, topic, kind)
	}
}

// The payload every broker test sends, and what it expands to for the
// package's execution of the task "nightly_report" labelled team=data.
const (
	mqPayload     = `run ${execution.id} attempt ${execution.attempt} at ${execution.scheduled_at} for ${execution.namespace}/${execution.task} (${execution.labels.team}, ${execution.trigger}) $${literal}`
	mqPayloadWant = "run 0193a5d2-0000-7000-8000-000000000001 attempt 2 at 2026-12-01T02:00:00Z for shop/nightly_report (data, schedule) ${literal}"
)

func TestMQPluginValidatesConfigs(t *testing.T) {
	ex := mqExecutor(t, mqConns{}, false)
	ok := mqTask(t, map[string]any{"connection": "orders", "topic": "orders.${execution.task}", "payload_json": map[string]any{"id": "${execution.id}"}})
	if err := ex.ValidateConfig(t.Context(), ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range []struct {
		name   string
		config map[string]any
		fields []string
	}{
		{"schema", map[string]any{"connection": "Orders", "topic": "t", "payload": "", "qos": 3, "colour": "red"}, []string{"config.connection", "config.qos", "config"}},
		{"validate export", map[string]any{"connection": "orders", "topic": "${execution.nope}", "headers": map[string]any{"Trace-Id": "${trace}"}}, []string{"config.topic", "config.payload", "config.headers.Trace-Id"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := ex.ValidateConfig(t.Context(), mqTask(t, tt.config))
			var ve *core.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error = %v, want a ValidationError", err)
			}
			fields := map[string]string{}
			for _, f := range ve.Fields {
				fields[f.Field] = f.Message
			}
			for _, f := range tt.fields {
				if _, ok := fields[f]; !ok {
					t.Errorf("no error on %s: %v", f, ve)
				}
			}
			if m := fields["config.topic"]; m != "" && !strings.Contains(m, "${execution.id}") {
				t.Errorf("config.topic: %q does not list the known placeholders", m)
			}
		})
	}
}

func TestMQPluginRedisStreams(t *testing.T) {
	rc := redistest.Client(t)
	stream := redistest.Prefix() + "orders"
	t.Cleanup(func() { rc.Del(context.Background(), stream) })
	ex := mqExecutor(t, mqConns{"cache": mqConn("cache", redistest.URL(t))}, true)
	task := mqTask(t, map[string]any{
		"connection": "cache", "topic": stream, "payload": mqPayload,
		"key": "${execution.task}", "headers": map[string]any{"Trace-Id": "kronos-${execution.id}"},
	})
	out := mqMustPublish(t, ex, task)
	got, err := rc.XRange(t.Context(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("stream has %d entries, want 1", len(got))
	}
	want := map[string]any{"payload": mqPayloadWant, "key": "nightly_report", "h:Trace-Id": "kronos-" + execution.ID}
	if !reflect.DeepEqual(got[0].Values, want) {
		t.Errorf("entry %v, want %v", got[0].Values, want)
	}
	if out.Connection != "cache" || out.Broker != "redis" || out.Topic != stream || out.ID != got[0].ID || out.Bytes != len(mqPayloadWant) || out.Error != nil {
		t.Errorf("result = %+v (entry ID %s)", out, got[0].ID)
	}
}

func TestMQPluginNATS(t *testing.T) {
	u := brokertest.NATS(t)
	nc, err := nats.Connect(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	subject := brokertest.ID() + ".reports"
	sub, err := nc.SubscribeSync(subject + ".>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ex := mqExecutor(t, mqConns{"bus": mqConn("bus", u)}, true)
	task := mqTask(t, map[string]any{
		"connection": "bus", "topic": subject + ".${execution.labels.team}", "payload": mqPayload,
		"headers": map[string]any{"Attempt": "${execution.attempt}"},
	})
	out := mqMustPublish(t, ex, task)
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != subject+".data" || string(msg.Data) != mqPayloadWant || msg.Header.Get("Attempt") != "2" {
		t.Errorf("got %s %q %v", msg.Subject, msg.Data, msg.Header)
	}
	if out.Broker != "nats" || out.Topic != subject+".data" || out.ID != "" || out.Error != nil {
		t.Errorf("result = %+v", out)
	}
}

func TestMQPluginJetStream(t *testing.T) {
	u := brokertest.NATS(t)
	nc, err := nats.Connect(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	id := brokertest.ID()
	name := strings.ReplaceAll(id, "-", "_")
	st, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{id + ".>"}, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })

	ex := mqExecutor(t, mqConns{"js": mqConn("js", u, func(c *core.MQConnection) { c.JetStream = true })}, true)
	task := mqTask(t, map[string]any{
		"connection": "js", "topic": id + ".reports", "payload_json": map[string]any{"run": "${execution.id}", "attempt": "${execution.attempt}"},
		"headers": map[string]any{"Nats-Msg-Id": "${execution.id}"},
	})
	out := mqMustPublish(t, ex, task)
	if out.Broker != "jetstream" || out.ID != name+":1" {
		t.Errorf("result = %+v, want id %s:1", out, name)
	}
	m, err := st.GetMsg(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	wantBody := `{"attempt":"2","run":"` + execution.ID + `"}` // json.Marshal sorted the config's keys
	if string(m.Data) != wantBody || m.Subject != id+".reports" {
		t.Errorf("stored %s %s, want %s", m.Subject, m.Data, wantBody)
	}
	// A retry of the same execution carries the same Nats-Msg-Id: the
	// stream drops it as a duplicate.
	again := mqMustPublish(t, ex, task)
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 || again.ID != name+":1" {
		t.Errorf("after a retry: %d messages, result %+v", info.State.Msgs, again)
	}

	// A subject no stream covers is not acknowledged.
	nowhere := brokertest.ID() + ".nowhere"
	res, out := mqRun(t, ex, mqTask(t, map[string]any{"connection": "js", "topic": nowhere, "payload": ""}))
	mqWantFailure(t, res, out, "js", "jetstream", nowhere, "no_ack")
}

func TestMQPluginRabbitMQ(t *testing.T) {
	u := brokertest.AMQP(t)
	exchange, _, deliveries := brokertest.AMQPQueue(t, u, "topic", "reports.#")

	ex := mqExecutor(t, mqConns{"orders": mqConn("orders", u, func(c *core.MQConnection) { c.Persistent = true })}, true)
	task := mqTask(t, map[string]any{
		"connection": "orders", "exchange": exchange, "topic": "reports.${execution.task}", "payload": mqPayload,
		"headers": map[string]any{"Trace-Id": "kronos-${execution.id}", "Trigger": "${execution.trigger}"},
	})
	out := mqMustPublish(t, ex, task)
	if d := brokertest.AMQPReceive(t, deliveries); d.Exchange != exchange || d.RoutingKey != "reports.nightly_report" || string(d.Body) != mqPayloadWant ||
		d.Headers["Trace-Id"] != "kronos-"+execution.ID || d.Headers["Trigger"] != "schedule" || d.DeliveryMode != amqp.Persistent {
		t.Errorf("delivery: exchange %s key %s body %q headers %v mode %d", d.Exchange, d.RoutingKey, d.Body, d.Headers, d.DeliveryMode)
	}
	if out.Broker != "rabbitmq" || out.Exchange != exchange || out.Topic != "reports.nightly_report" || out.Error != nil {
		t.Errorf("result = %+v", out)
	}

	// An exchange that does not exist: the broker closes the channel, and
	// the execution says where it tried to publish.
	missing := brokertest.ID()
	res, out := mqRun(t, ex, mqTask(t, map[string]any{"connection": "orders", "exchange": missing, "topic": "k", "payload": ""}))
	mqWantFailure(t, res, out, "orders", "rabbitmq", "k", "invalid_request")
	if !strings.Contains(res.Error, `exchange "`+missing+`"`) || !strings.Contains(res.Error, "NOT_FOUND") {
		t.Errorf("missing exchange: %s", res.Error)
	}
}

// mqMQTTSubscriber subscribes to topic at QoS 2 and returns the messages.
func mqMQTTSubscriber(t *testing.T, u, topic string) <-chan paho.Message {
	t.Helper()
	ch := make(chan paho.Message, 10)
	c := paho.NewClient(paho.NewClientOptions().AddBroker(u).SetClientID(brokertest.ID()).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	if tok := c.Subscribe(topic, 2, func(_ paho.Client, m paho.Message) { ch <- m }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return ch
}

func TestMQPluginMQTT(t *testing.T) {
	u := brokertest.MQTT(t)
	ex := mqExecutor(t, mqConns{"iot": mqConn("iot", u)}, true)
	for _, qos := range []any{nil, 0, 1, 2} {
		t.Run(fmt.Sprintf("qos %v", qos), func(t *testing.T) {
			topic := brokertest.ID() + "/reports"
			msgs := mqMQTTSubscriber(t, u, topic+"/#")
			config := map[string]any{"connection": "iot", "topic": topic + "/${execution.labels.team}", "payload": mqPayload}
			want := 1 // the default
			if qos != nil {
				config["qos"], want = qos, qos.(int)
			}
			out := mqMustPublish(t, ex, mqTask(t, config))
			select {
			case m := <-msgs:
				if m.Topic() != topic+"/data" || string(m.Payload()) != mqPayloadWant || int(m.Qos()) != want || m.Retained() {
					t.Errorf("got %s %q qos %d retained %v", m.Topic(), m.Payload(), m.Qos(), m.Retained())
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no message within 5s")
			}
			if out.Broker != "mqtt" || out.Error != nil {
				t.Errorf("result = %+v", out)
			}
		})
	}
	t.Run("retain", func(t *testing.T) {
		topic := brokertest.ID() + "/state"
		mqMustPublish(t, ex, mqTask(t, map[string]any{"connection": "iot", "topic": topic, "payload": "on ${execution.id}", "retain": true}))
		// An empty retained message clears it.
		t.Cleanup(func() {
			_, _ = mqRun(t, ex, mqTask(t, map[string]any{"connection": "iot", "topic": topic, "payload": "", "retain": true}))
		})
		select {
		case m := <-mqMQTTSubscriber(t, u, topic): // subscribed after the publish
			if string(m.Payload()) != "on "+execution.ID || !m.Retained() {
				t.Errorf("got %q retained %v", m.Payload(), m.Retained())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no retained message within 5s")
		}
	})
	t.Run("headers refused", func(t *testing.T) {
		topic := brokertest.ID()
		res, out := mqRun(t, ex, mqTask(t, map[string]any{"connection": "iot", "topic": topic, "payload": "", "headers": map[string]any{"A": "b"}}))
		mqWantFailure(t, res, out, "iot", "mqtt", topic, "invalid_request")
	})
}

// mqClosedPort returns a loopback address on which nothing listens.
func mqClosedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestMQPluginBrokerDown(t *testing.T) {
	for _, tt := range []struct {
		scheme, broker string
		jetstream      bool
	}{
		{"redis", "redis", false},
		{"nats", "nats", false},
		{"nats", "jetstream", true},
		{"amqp", "rabbitmq", false},
		{"mqtt", "mqtt", false},
	} {
		t.Run(tt.broker, func(t *testing.T) {
			c := mqConn("down", tt.scheme+"://"+mqClosedPort(t), func(c *core.MQConnection) { c.JetStream = tt.jetstream })
			ex := mqExecutor(t, mqConns{"down": c}, true)
			start := time.Now()
			res, out := mqRun(t, ex, mqTask(t, map[string]any{"connection": "down", "topic": "t", "payload": "x"}))
			mqWantFailure(t, res, out, "down", tt.broker, "t", "connect")
			if !strings.Contains(res.Error, "connection refused") {
				t.Errorf("error %q does not say the connection was refused", res.Error)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
			t.Logf("%s", res.Error)
		})
	}
}

func TestMQPluginPolicyAndUnknownConnection(t *testing.T) {
	u := redistest.URL(t)
	// Without allow_addrs, the loopback broker is refused before any
	// connection is made.
	ex := mqExecutor(t, mqConns{"cache": mqConn("cache", u)}, false)
	stream := redistest.Prefix() + "s"
	res, out := mqRun(t, ex, mqTask(t, map[string]any{"connection": "cache", "topic": stream, "payload": ""}))
	mqWantFailure(t, res, out, "cache", "redis", stream, "refused")
	if !strings.Contains(res.Error, "allow_addrs") {
		t.Errorf("error %q does not name the setting to change", res.Error)
	}
	t.Logf("%s", res.Error)
	res, out = mqRun(t, ex, mqTask(t, map[string]any{"connection": "nope", "topic": "t", "payload": ""}))
	if res.Status != core.StatusFailed || out.Error == nil || out.Error.Kind != "not_found" ||
		!strings.HasPrefix(res.Error, `publish to connection "nope" topic "t": not_found: `) || !strings.Contains(res.Error, "kronos mq create nope") {
		t.Errorf("unknown connection: %+v", res)
	}
	t.Logf("%s", res.Error)
}

// BenchmarkMQExecutionWarm measures one warm execution of the mq executor
// (a pooled instance, a pooled broker connection): envelope, config
// decoding and templating in Wasm, mq_publish, and the broker's answer.
func BenchmarkMQExecutionWarm(b *testing.B) {
	for _, bc := range []struct {
		name string
		conn func(b *testing.B) core.MQConnection
	}{
		{"redis", func(b *testing.B) core.MQConnection { return mqConn("bench", redistest.URL(b)) }},
		{"nats", func(b *testing.B) core.MQConnection {
			return mqConn("bench", brokertest.URL(b, "KRONOS_TEST_NATS_URL", "nats://127.0.0.1:4222"))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := bc.conn(b)
			topic := redistest.Prefix() + "bench"
			if c.Broker() == "redis" {
				c.MaxLen = 1000
				rc := redistest.Client(b)
				b.Cleanup(func() { rc.Del(context.Background(), topic) })
			} else {
				topic = brokertest.ID() + ".bench"
			}
			ex := mqExecutor(b, mqConns{"bench": c}, true)
			task := mqTask(b, map[string]any{"connection": "bench", "topic": topic, "payload_json": map[string]any{"run": "${execution.id}", "at": "${execution.scheduled_at}", "team": "${execution.labels.team}"}})
			mqMustPublish(b, ex, task) // warm: instance, compiled config, broker connection
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				res := ex.Execute(b.Context(), core.ExecuteRequest{Task: task, Execution: execution})
				if res.Status != core.StatusSucceeded {
					b.Fatalf("%s: %s", res.Status, res.Error)
				}
			}
		})
	}
}
