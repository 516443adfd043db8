package mq

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/shiyu-coder/kronos/internal/brokertest"
)

// mqttSubscribe subscribes to topic at QoS 2 and returns the messages.
func mqttSubscribe(t *testing.T, u, topic string) <-chan paho.Message {
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

func TestMQTTPublish(t *testing.T) {
	u := brokertest.MQTT(t)
	c := mustOpen(t, ConnConfig{URL: u})
	for qos := range 3 {
		t.Run(fmt.Sprintf("qos %d", qos), func(t *testing.T) {
			topic := brokertest.ID() + "/orders"
			msgs := mqttSubscribe(t, u, topic)
			if _, err := c.Publish(testCtx(t), Message{Topic: topic, Payload: []byte("hello"), QoS: qos}); err != nil {
				t.Fatal(err)
			}
			select {
			case m := <-msgs:
				if string(m.Payload()) != "hello" || int(m.Qos()) != qos || m.Retained() {
					t.Errorf("got %q qos %d retained %v", m.Payload(), m.Qos(), m.Retained())
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no message within 5s")
			}
			select {
			case m := <-msgs:
				t.Errorf("a second message: %q", m.Payload())
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
}

func TestMQTTRetain(t *testing.T) {
	u := brokertest.MQTT(t)
	c := mustOpen(t, ConnConfig{URL: u})
	topic := brokertest.ID() + "/state"
	if _, err := c.Publish(testCtx(t), Message{Topic: topic, Payload: []byte("on"), QoS: 1, Retain: true}); err != nil {
		t.Fatal(err)
	}
	// An empty retained message clears it.
	t.Cleanup(func() { _, _ = c.Publish(t.Context(), Message{Topic: topic, QoS: 1, Retain: true}) })
	select {
	case m := <-mqttSubscribe(t, u, topic): // subscribed after the publish
		if string(m.Payload()) != "on" || !m.Retained() {
			t.Errorf("got %q retained %v", m.Payload(), m.Retained())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no retained message within 5s")
	}
}

func TestMQTTRefusesWhatItCannotSend(t *testing.T) {
	c := mustOpen(t, ConnConfig{URL: brokertest.MQTT(t)})
	for _, m := range []Message{
		{Topic: "t", Headers: map[string]string{"a": "b"}},
		{Topic: "t", Key: "k"},
		{Topic: "t", Exchange: "x"},
		{Topic: "t", QoS: 3},
		{},
	} {
		_, err := c.Publish(testCtx(t), m)
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "publish to mqtt mqtt://") {
			t.Errorf("%+v: got %v, want ErrInvalid", m, err)
		}
	}
}
