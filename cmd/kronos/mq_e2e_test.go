package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/internal/brokertest"
)

// The built-in mq executor end to end in a server: the connection's
// password comes from a secret, a task with a bad placeholder is refused
// when saved, a triggered task publishes its templated message to
// RabbitMQ, where a consumer gets it, and the connection cannot be deleted
// while the task names it.
func TestServerMQTaskPublishes(t *testing.T) {
	t.Parallel()
	raw := brokertest.AMQP(t)
	broker, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	user := broker.User.Username()
	password, _ := broker.User.Password()
	broker.User = nil

	_, queue, deliveries := brokertest.AMQPQueue(t, raw, "", "")

	dataDir, _ := newDataDir(t)
	srv := startServer(t, "server", "--addr", "127.0.0.1:0", "--dev", "--data-dir", dataDir, "--log-format", "json", "--allow-private-networks")
	base := srv.waitURL(t)
	waitHealthy(t, base, srv)
	api, c := base+"/api/v1", http.DefaultClient

	if code, body := doJSON(t, c, http.MethodPut, api+"/secrets/rabbit-password", "", map[string]any{"value": password}); code != http.StatusOK {
		t.Fatalf("put-secret: %d %v", code, body)
	}
	if code, body := doJSON(t, c, http.MethodPut, api+"/mq-connections/rabbit", "", map[string]any{
		"url": broker.String(), "username": user, "password_secret": "rabbit-password",
	}); code != http.StatusOK || body["broker"] != "rabbitmq" {
		t.Fatalf("put-mq-connection: %d %v", code, body)
	}

	task := func(payload map[string]any) map[string]any {
		return map[string]any{"name": "announce", "executor": "mq", "config": map[string]any{
			"connection": "rabbit", "topic": queue, "headers": map[string]any{"x-task": "${execution.task}"}, "payload_json": payload,
		}}
	}
	code, problem := doJSON(t, c, http.MethodPost, api+"/tasks", "", task(map[string]any{"at": "${execution.started}"}))
	if b, _ := json.Marshal(problem); code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "config.payload_json") || !strings.Contains(string(b), "execution.id") {
		t.Fatalf("a task with an unknown placeholder: %d %s", code, b)
	}
	if code, body := doJSON(t, c, http.MethodPost, api+"/tasks", "", task(map[string]any{"execution": "${execution.id}", "task": "${execution.task}"})); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	code, x := doJSON(t, c, http.MethodPost, api+"/tasks/announce/trigger", "", map[string]any{})
	if code != http.StatusAccepted {
		t.Fatalf("trigger: %d %v", code, x)
	}
	id, _ := x["id"].(string)
	for deadline := time.Now().Add(startDeadline); ; {
		_, x = doJSON(t, c, http.MethodGet, api+"/executions/"+id, "", nil)
		if x["status"] == "succeeded" {
			break
		}
		if x["status"] != "pending" && x["status"] != "running" || time.Now().After(deadline) {
			t.Fatalf("execution %s: %v\n%s", id, x, srv.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var out struct {
		Connection, Broker, Topic string
		Bytes                     int
	}
	if err := json.Unmarshal([]byte(x["output"].(string)), &out); err != nil || out.Connection != "rabbit" || out.Broker != "rabbitmq" || out.Topic != queue {
		t.Fatalf("output %q: %v", x["output"], err)
	}

	got := brokertest.AMQPReceive(t, deliveries)
	if want := `{"execution":"` + id + `","task":"announce"}`; string(got.Body) != want || got.Headers["x-task"] != "announce" || out.Bytes != len(want) {
		t.Fatalf("consumed %q with headers %v (output said %d bytes), want %s", got.Body, got.Headers, out.Bytes, want)
	}

	code, problem = doJSON(t, c, http.MethodDelete, api+"/mq-connections/rabbit", "", nil)
	if b, _ := json.Marshal(problem); code != http.StatusConflict || !strings.Contains(string(b), "announce") {
		t.Fatalf("delete a connection in use: %d %s", code, b)
	}
}
