package host_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"net/url"
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
	"github.com/shiyu-coder/kronos/host/internal/egress"
	"github.com/shiyu-coder/kronos/internal/brokertest"
	"github.com/shiyu-coder/kronos/internal/redistest"
	"github.com/shiyu-coder/kronos/sdk/abi"
)

// pubConns is a map-backed host.MQConnections: connection name → its
// connection and password, in namespace "a".
type pubConns struct {
	mu    sync.Mutex
	conns map[string]pubConn
}

type pubConn struct {
	conn     core.MQConnection
	password string
}

func (m *pubConns) MQConnection(_ context.Context, namespace, name string) (core.MQConnection, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.conns[namespace+"/"+name]
	if !ok {
		return core.MQConnection{}, "", fmt.Errorf("mq connection %q of namespace %q: %w", name, namespace, store.ErrNotFound)
	}
	return c.conn, c.password, nil
}

// add registers a connection of namespace "a".
func (m *pubConns) add(name, rawURL, password string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns == nil {
		m.conns = map[string]pubConn{}
	}
	m.conns["a/"+name] = pubConn{conn: core.MQConnection{Namespace: "a", Name: name, URL: rawURL}, password: password}
}

// setJetStream marks a connection as JetStream.
func (m *pubConns) setJetStream(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conns["a/"+name]
	c.conn.JetStream = true
	m.conns["a/"+name] = c
}

// pubLoopback allow 127.0.0.1, where the test brokers listen.
var pubLoopback = host.Limits{Network: egress.Policy{AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}

// pubSplitPassword splits a URL's password off, as an MQ connection keeps
// it in a secret.
func pubSplitPassword(raw string) (string, string) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw, ""
	}
	p, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	return u.String(), p
}

func newPubRuntime(t *testing.T, conns host.MQConnections) (*host.Runtime, *host.Compiled) {
	t.Helper()
	rt, err := host.NewRuntime(context.Background(), host.Config{CacheDir: cacheDir, MQ: conns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt, compileFixture(t, rt, 0)
}

// publish calls mq_publish through the fixture's mqpublish export.
func publish(t *testing.T, c *host.Compiled, lim host.Limits, req any) abi.MQPublishResponse {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "mqpublish", Input: in, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	var out abi.MQPublishResponse
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatalf("%v: %s", err, res.Output)
	}
	return out
}

// wantPubError fails unless resp is an error of kind whose message
// contains every one of parts.
func wantPubError(t *testing.T, resp abi.MQPublishResponse, kind string, parts ...string) {
	t.Helper()
	if resp.Error == nil {
		t.Fatalf("got %+v, want a %s error", resp, kind)
	}
	if resp.Error.Kind != kind {
		t.Fatalf("got kind %q (%s), want %q", resp.Error.Kind, resp.Error.Message, kind)
	}
	for _, p := range parts {
		if !strings.Contains(resp.Error.Message, p) {
			t.Errorf("message %q does not contain %q", resp.Error.Message, p)
		}
	}
}

func wantPublished(t *testing.T, resp abi.MQPublishResponse, broker string) {
	t.Helper()
	if resp.Error != nil {
		t.Fatalf("publish failed: %s: %s", resp.Error.Kind, resp.Error.Message)
	}
	if resp.Broker != broker {
		t.Fatalf("broker %q, want %q", resp.Broker, broker)
	}
}

func TestMQPublishRedis(t *testing.T) {
	rc := redistest.Client(t)
	stream := redistest.Prefix() + "stream"
	t.Cleanup(func() { rc.Del(context.Background(), stream) })
	conns := &pubConns{}
	conns.add("events", redistest.URL(t), "")
	rt, c := newPubRuntime(t, conns)

	resp := publish(t, c, pubLoopback, map[string]any{
		"connection": "events", "topic": stream, "payload": `{"n":1}`, "key": "order-7",
		"headers": map[string]string{"Trace-Id": "abc"},
	})
	wantPublished(t, resp, "redis")
	got, err := rc.XRange(t.Context(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != resp.ID || got[0].Values["payload"] != `{"n":1}` || got[0].Values["key"] != "order-7" || got[0].Values["h:Trace-Id"] != "abc" {
		t.Fatalf("stream holds %+v; the receipt is %q", got, resp.ID)
	}

	// Binary payloads go as base64; the second publish reuses the pooled
	// connection.
	resp = publish(t, c, pubLoopback, map[string]any{
		"connection": "events", "topic": stream, "payload_base64": base64.StdEncoding.EncodeToString([]byte{0xff, 0x00}),
	})
	wantPublished(t, resp, "redis")
	got, err = rc.XRange(t.Context(), stream, resp.ID, resp.ID).Result()
	if err != nil || len(got) != 1 || got[0].Values["payload"] != "\xff\x00" {
		t.Fatalf("binary entry %+v %v", got, err)
	}
	if n, l := host.MQOpens(rt), host.MQPoolLen(rt); n != 1 || l != 1 {
		t.Fatalf("two publishes opened %d connections and pool %d; want 1 and 1", n, l)
	}

	// A changed network policy gets a connection of its own.
	private := host.Limits{Network: egress.Policy{AllowPrivate: true}}
	wantPublished(t, publish(t, c, private, map[string]any{"connection": "events", "topic": stream, "payload": "x"}), "redis")
	if n, l := host.MQOpens(rt), host.MQPoolLen(rt); n != 2 || l != 2 {
		t.Fatalf("after a policy change: %d opens, pool %d; want 2 and 2", n, l)
	}
}

func TestMQPublishNATS(t *testing.T) {
	u := brokertest.NATS(t)
	nc, err := nats.Connect(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	subject := brokertest.ID() + ".orders"
	sub, err := nc.SubscribeSync(subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	conns := &pubConns{}
	conns.add("bus", u, "")
	_, c := newPubRuntime(t, conns)

	resp := publish(t, c, pubLoopback, map[string]any{
		"connection": "bus", "topic": subject, "payload": "hello", "headers": map[string]string{"Trace-Id": "abc"},
	})
	wantPublished(t, resp, "nats")
	if resp.ID != "" {
		t.Errorf("core NATS receipt %q, want none", resp.ID)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != "hello" || m.Header.Get("Trace-Id") != "abc" {
		t.Fatalf("received %q %v", m.Data, m.Header)
	}
}

func TestMQPublishJetStream(t *testing.T) {
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
	subject := id + ".orders"
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })
	conns := &pubConns{}
	conns.add("js", u, "")
	conns.setJetStream("js")
	_, c := newPubRuntime(t, conns)

	resp := publish(t, c, pubLoopback, map[string]any{"connection": "js", "topic": subject, "payload": "hello"})
	wantPublished(t, resp, "jetstream")
	if resp.ID != name+":1" {
		t.Fatalf("receipt %q, want %s:1", resp.ID, name)
	}
	// A subject no stream covers is not acknowledged.
	wantPubError(t, publish(t, c, pubLoopback, map[string]any{"connection": "js", "topic": id + ".nowhere", "payload": "x"}), host.MQErrNoAck, "no stream")
}

func TestMQPublishRabbitMQ(t *testing.T) {
	u := brokertest.AMQP(t)
	ac, err := amqp.Dial(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ac.Close() })
	ch, err := ac.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare(brokertest.ID(), false, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = ch.QueueDelete(q.Name, false, false, false) })
	conns := &pubConns{}
	plain, password := pubSplitPassword(u)
	conns.add("rabbit", plain, password)
	_, c := newPubRuntime(t, conns)

	resp := publish(t, c, pubLoopback, map[string]any{
		"connection": "rabbit", "topic": q.Name, "payload": "hello", "headers": map[string]string{"Trace-Id": "abc"},
	})
	wantPublished(t, resp, "rabbitmq")
	// The publish returned after the broker's confirm: the message is in
	// the queue.
	m, ok, err := ch.Get(q.Name, true)
	if err != nil || !ok {
		t.Fatalf("get from %s: %v %v", q.Name, ok, err)
	}
	if string(m.Body) != "hello" || m.Headers["Trace-Id"] != "abc" {
		t.Fatalf("received %q %v", m.Body, m.Headers)
	}
	// A missing exchange is the broker's refusal, and the next publish
	// works on a new channel.
	bad := publish(t, c, pubLoopback, map[string]any{"connection": "rabbit", "exchange": brokertest.ID(), "topic": q.Name, "payload": "x"})
	if bad.Error == nil || !strings.Contains(bad.Error.Message, "NOT_FOUND") {
		t.Fatalf("publish to a missing exchange: %+v", bad)
	}
	wantPublished(t, publish(t, c, pubLoopback, map[string]any{"connection": "rabbit", "topic": q.Name, "payload": "again"}), "rabbitmq")
}

func TestMQPublishMQTT(t *testing.T) {
	u := brokertest.MQTT(t)
	topic := "kronos/test/" + brokertest.ID()
	opts := paho.NewClientOptions().AddBroker(strings.Replace(u, "mqtt://", "tcp://", 1)).SetClientID(brokertest.ID())
	sc := paho.NewClient(opts)
	if tok := sc.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { sc.Disconnect(100) })
	got := make(chan paho.Message, 1)
	if tok := sc.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { got <- m }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	conns := &pubConns{}
	conns.add("iot", u, "")
	_, c := newPubRuntime(t, conns)

	resp := publish(t, c, pubLoopback, map[string]any{"connection": "iot", "topic": topic, "payload": "hello", "qos": 1})
	wantPublished(t, resp, "mqtt")
	select {
	case m := <-got:
		if string(m.Payload()) != "hello" || m.Qos() != 1 {
			t.Fatalf("received %q at QoS %d", m.Payload(), m.Qos())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the subscriber received nothing in 5s")
	}
	// MQTT 3.1.1 has no headers: refused, not dropped.
	wantPubError(t, publish(t, c, pubLoopback, map[string]any{"connection": "iot", "topic": topic, "payload": "x", "headers": map[string]string{"a": "b"}}),
		host.MQErrInvalidRequest, "no headers")
}

func TestMQPublishNetworkPolicy(t *testing.T) {
	conns := &pubConns{}
	conns.add("events", redistest.URL(t), "")
	rt, c := newPubRuntime(t, conns)
	stream := redistest.Prefix() + "stream"

	// The zero policy bans loopback addresses; the refusal names the fix.
	resp := publish(t, c, host.Limits{}, map[string]any{"connection": "events", "topic": stream, "payload": "x"})
	wantPubError(t, resp, host.MQErrRefused, "127.0.0.1", "loopback", "allow_private", "127.0.0.1/32")
	if resp.Broker != "redis" {
		t.Errorf("broker %q on a refusal, want redis", resp.Broker)
	}

	// A host outside allowed_hosts is refused before any lookup.
	onlyExample := host.Limits{Network: egress.Policy{AllowedHosts: []string{"broker.example.com"}, AllowPrivate: true}}
	wantPubError(t, publish(t, c, onlyExample, map[string]any{"connection": "events", "topic": stream, "payload": "x"}),
		host.MQErrRefused, "allowed_hosts", "broker.example.com")
	if n := host.MQPoolLen(rt); n != 0 {
		t.Fatalf("refused connections left %d pool entries", n)
	}
}

func TestMQPublishErrors(t *testing.T) {
	conns := &pubConns{}
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()
	conns.add("down", "nats://"+closed, "")
	conns.add("events", "redis://127.0.0.1:6379", "")
	_, c := newPubRuntime(t, conns)

	tests := []struct {
		name  string
		req   any
		kind  string
		parts []string
	}{
		{
			"an unknown connection says how to create it",
			map[string]any{"connection": "orders", "topic": "t"},
			host.MQErrNotFound,
			[]string{`no MQ connection "orders"`, "kronos mq create orders --url"},
		},
		{
			"a broker that is down is a connect error naming its address",
			map[string]any{"connection": "down", "topic": "t", "payload": "x"},
			host.MQErrConnect,
			[]string{closed, "connection refused", "is the broker running"},
		},
		{
			"the connection name must be a name",
			map[string]any{"connection": "Bad Name", "topic": "t"},
			host.MQErrInvalidRequest,
			[]string{"connection"},
		},
		{
			"the topic is required",
			map[string]any{"connection": "events"},
			host.MQErrInvalidRequest,
			[]string{"topic is required"},
		},
		{
			"payload and payload_base64 exclude each other",
			map[string]any{"connection": "events", "topic": "t", "payload": "a", "payload_base64": "YQ=="},
			host.MQErrInvalidRequest,
			[]string{"both set"},
		},
		{
			"payload_base64 must be base64",
			map[string]any{"connection": "events", "topic": "t", "payload_base64": "%%%"},
			host.MQErrInvalidRequest,
			[]string{"not standard base64"},
		},
		{
			"qos is 0 to 2",
			map[string]any{"connection": "events", "topic": "t", "qos": 3},
			host.MQErrInvalidRequest,
			[]string{"qos 3"},
		},
		{
			"the payload is capped",
			map[string]any{"connection": "events", "topic": "t", "payload_base64": base64.StdEncoding.EncodeToString(make([]byte, host.MaxMQPayloadBytes+1))},
			host.MQErrInvalidRequest,
			[]string{fmt.Sprintf("limit is %d", host.MaxMQPayloadBytes)},
		},
		{
			"an empty request names no connection", nil,
			host.MQErrInvalidRequest,
			[]string{"connection: is required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantPubError(t, publish(t, c, pubLoopback, tt.req), tt.kind, tt.parts...)
		})
	}
}

func TestMQPublishBadPassword(t *testing.T) {
	plain, _ := pubSplitPassword(brokertest.AMQP(t))
	conns := &pubConns{}
	const password = "not-the-guest-password-7f3a"
	conns.add("rabbit", plain, password)
	_, c := newPubRuntime(t, conns)
	resp := publish(t, c, pubLoopback, map[string]any{"connection": "rabbit", "topic": "q", "payload": "x"})
	wantPubError(t, resp, host.MQErrAuth, "authentication failed")
	if strings.Contains(resp.Error.Message, password) {
		t.Fatalf("the message shows the password: %s", resp.Error.Message)
	}
}

func TestMQPublishWithoutMQ(t *testing.T) {
	_, c := newPubRuntime(t, nil)
	wantPubError(t, publish(t, c, pubLoopback, map[string]any{"connection": "events", "topic": "t"}), host.MQErrOther, "mq is not available on this host")
}

func TestMQTimeoutOfTheCall(t *testing.T) {
	// A listener that accepts and never answers: the NATS client waits for
	// the server's INFO until the call's deadline.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		accepted []net.Conn
	)
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range accepted {
			_ = c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, c)
			mu.Unlock()
		}
	}()
	conns := &pubConns{}
	conns.add("mute", "nats://"+l.Addr().String(), "")
	_, c := newPubRuntime(t, conns)
	lim := pubLoopback
	lim.Timeout = 300 * time.Millisecond
	in, _ := json.Marshal(map[string]any{"connection": "mute", "topic": "t", "payload": "x"})
	start := time.Now()
	_, err = c.Call(t.Context(), host.CallRequest{Namespace: "a", Function: "mqpublish", Input: in, Limits: lim})
	// The module is closed when its deadline passes, so the call fails as a
	// timeout; what matters is that it ends near the deadline rather than
	// after the connection's 5s.
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the call took %s with a 300ms timeout", took)
	}
	if err == nil {
		t.Fatal("the call succeeded against a mute broker")
	}
}

func TestTestMQ(t *testing.T) {
	rc := redistest.Client(t)
	stream := redistest.Prefix() + "stream"
	t.Cleanup(func() { rc.Del(context.Background(), stream) })
	conns := &pubConns{}
	conns.add("events", redistest.URL(t), "")
	plain, password := pubSplitPassword(brokertest.AMQP(t))
	conns.add("rabbit", plain, password)
	conns.add("rabbit-bad", plain, "wrong-password-91c2")
	rt, err := host.NewRuntime(context.Background(), host.Config{CacheDir: cacheDir, MQ: conns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	ex := host.NewExecutor(host.ExecutorConfig{Runtime: rt})
	private := core.NamespaceSettings{Network: core.NetworkSettings{AllowPrivate: true}}

	// Connect only.
	resp := ex.TestMQ(t.Context(), private, "a", "rabbit", nil)
	wantPublished(t, resp, "rabbitmq")

	// With a message; its connection field is ignored.
	resp = ex.TestMQ(t.Context(), private, "a", "events", &abi.MQPublish{Connection: "ignored", Topic: stream, Payload: "ping"})
	wantPublished(t, resp, "redis")
	got, err := rc.XRange(t.Context(), stream, "-", "+").Result()
	if err != nil || len(got) != 1 || got[0].ID != resp.ID || got[0].Values["payload"] != "ping" {
		t.Fatalf("stream %+v %v, receipt %q", got, err, resp.ID)
	}

	// The namespace's network policy applies.
	wantPubError(t, ex.TestMQ(t.Context(), core.NamespaceSettings{}, "a", "events", nil), host.MQErrRefused, "allow_private")
	allowAddr := core.NamespaceSettings{Network: core.NetworkSettings{AllowAddrs: []string{"127.0.0.1/32"}}}
	wantPublished(t, ex.TestMQ(t.Context(), allowAddr, "a", "events", nil), "redis")

	wantPubError(t, ex.TestMQ(t.Context(), private, "a", "rabbit-bad", nil), host.MQErrAuth)
	wantPubError(t, ex.TestMQ(t.Context(), private, "a", "nope", nil), host.MQErrNotFound, "kronos mq create nope")
	wantPubError(t, ex.TestMQ(t.Context(), private, "a", "events", &abi.MQPublish{}), host.MQErrInvalidRequest, "topic")

	// A test never pools.
	if n := host.MQPoolLen(rt); n != 0 {
		t.Fatalf("TestMQ left %d pooled connections", n)
	}
}

// ${node} in an MQTT client_id stands for the runtime's node ID, so that
// the nodes of a cluster connect as different clients.
func TestMQClientIDNamesTheNode(t *testing.T) {
	conns := &pubConns{conns: map[string]pubConn{}}
	conns.add("events", "mqtt://127.0.0.1:1883", "")
	c := conns.conns["a/events"]
	c.conn.ClientID = "pub-${node}-x"
	conns.conns["a/events"] = c
	for nodeID, want := range map[string]string{"node-7": "pub-node-7-x", "": "pub-kronos-x"} {
		rt, err := host.NewRuntime(t.Context(), host.Config{MQ: conns, NodeID: nodeID})
		if err != nil {
			t.Fatal(err)
		}
		got, err := host.MQClientIDOf(t.Context(), rt, "a", "events")
		_ = rt.Close(t.Context())
		if err != nil || got != want {
			t.Errorf("node %q: client ID %q, %v; want %q", nodeID, got, err, want)
		}
	}
}
