package sdk

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestWireMQPublishJSON(t *testing.T) {
	tests := []struct {
		name string
		msg  MQMessage
		want string
	}{
		{
			"zero fields are left out; a nil qos is the host's default",
			MQMessage{Connection: "events", Topic: "orders"},
			`{"connection":"events","topic":"orders"}`,
		},
		{
			"every field",
			MQMessage{
				Connection: "rabbit", Topic: "orders.created", Exchange: "shop", Payload: []byte(`{"n":1}`),
				Headers: map[string]string{"Trace-Id": "abc"}, Key: "order-7", QoS: MQQoS(0), Retain: true,
			},
			`{"connection":"rabbit","topic":"orders.created","exchange":"shop","payload":"{\"n\":1}","headers":{"Trace-Id":"abc"},"key":"order-7","qos":0,"retain":true}`,
		},
		{
			"binary payloads go as base64",
			MQMessage{Connection: "c", Topic: "t", Payload: []byte{0xff, 0x00}},
			`{"connection":"c","topic":"t","payload_base64":"/wA="}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := &fakeRaw{responses: map[string]string{hostFuncMQ: `{"broker":"redis","id":"1-0","duration_ms":3}`}}
			r, err := (wireHost{raw}).MQPublish(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if r != (MQReceipt{Broker: "redis", ID: "1-0", Duration: 3 * time.Millisecond}) {
				t.Errorf("receipt %+v", r)
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if raw.fn != hostFuncMQ || !reflect.DeepEqual(raw.req, want) {
				t.Errorf("%s got %v, want %v", raw.fn, raw.req, want)
			}
		})
	}
}

func TestWireMQPublishErrors(t *testing.T) {
	tests := []struct {
		name      string
		resp      string // "" for no response
		kind      MQErrorKind
		retryable bool
	}{
		{"the host's kind and message", `{"duration_ms":1,"error":{"kind":"refused","message":"10.0.0.7 is a private address"}}`, MQErrorRefused, false},
		{"no ack is worth another try", `{"error":{"kind":"no_ack","message":"no PubAck within 5s"}}`, MQErrorNoAck, true},
		{"a missing kind is other", `{"error":{"message":"?"}}`, MQErrorOther, false},
		{"no response", "", MQErrorOther, false},
		{"not JSON", `nope`, MQErrorOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := &fakeRaw{responses: map[string]string{}}
			if tt.resp != "" {
				raw.responses[hostFuncMQ] = tt.resp
			}
			_, err := (wireHost{raw}).MQPublish(MQMessage{Connection: "c", Topic: "t"})
			var me *MQError
			if !errors.As(err, &me) || me.Kind != tt.kind || me.Retryable() != tt.retryable {
				t.Fatalf("got %v, want kind %s (retryable %v)", err, tt.kind, tt.retryable)
			}
		})
	}
}

func TestPublishMQWithoutHost(t *testing.T) {
	if _, err := (&Context{}).PublishMQ(MQMessage{}); !errors.Is(err, errNoHost) {
		t.Fatalf("got %v", err)
	}
}
