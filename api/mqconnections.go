package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
	"github.com/shiyu-coder/kronos/sdk/abi"
)

// MQExecutor is the executor name of the tasks that publish through MQ
// connections: their config names one in "connection".
const MQExecutor = "mq"

// MQTester connects to a namespace's MQ connection and optionally
// publishes one message through it: the Wasm host's executor, with the
// pool and network policy mq_publish uses.
type MQTester interface {
	// TestMQ connects to connection name of namespace under the
	// namespace's settings (its network policy); with msg, it publishes
	// msg (whose Connection is name). A failure is the response's Error,
	// never a panic.
	TestMQ(ctx context.Context, settings core.NamespaceSettings, namespace, name string, msg *abi.MQPublish) abi.MQPublishResponse
}

// MQConnectionInput is an MQ connection as written by a client; the path
// names it.
type MQConnectionInput struct {
	Description        string `json:"description,omitempty" doc:"What the broker is for."`
	URL                string `json:"url,omitempty" doc:"Required. The broker's URL; its scheme chooses the broker: redis or rediss (Redis streams), nats or tls (NATS), amqp or amqps (RabbitMQ), mqtt, mqtts, tcp or ssl (MQTT). It must not carry a password: name a secret in password_secret." example:"nats://nats.internal:4222"`
	Username           string `json:"username,omitempty" doc:"The login, when the URL has none." example:"publisher"`
	PasswordSecret     string `json:"password_secret,omitempty" doc:"The namespace secret holding the password; it must exist (kronos secrets set)." example:"nats-password"`
	CAPEM              string `json:"ca_pem,omitempty" doc:"Extra PEM certificates trusted for TLS, at most 64 KiB."`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty" doc:"Turns TLS certificate verification off: for tests only."`
	Timeout            string `json:"timeout,omitempty" doc:"Bounds connecting and each publish (Go duration, at most 1m); 5s when empty." example:"5s"`
	JetStream          bool   `json:"jetstream,omitempty" doc:"NATS only: publishes wait for a JetStream ack, whose stream and sequence become the message ID."`
	Exchange           string `json:"exchange,omitempty" doc:"AMQP only: the exchange of messages that name none; the default exchange when empty." example:"events"`
	Persistent         bool   `json:"persistent,omitempty" doc:"AMQP only: messages are persistent (delivery mode 2)."`
	MaxLen             int64  `json:"max_len,omitempty" doc:"Redis only: caps each stream with XADD MAXLEN ~ max_len; 0 is no cap." example:"100000"`
	ClientID           string `json:"client_id,omitempty" doc:"MQTT only: the client ID; a random one when empty. ${node} in it stands for the node's ID, so that the nodes of a cluster connect as different clients (a broker disconnects a client when another connects with its ID)." example:"kronos-${node}"`
}

// connection turns the input into a core connection. An unparsable
// timeout is a field error.
func (in *MQConnectionInput) connection(namespace, name string) (core.MQConnection, []*core.FieldError) {
	var errs []*core.FieldError
	c := core.MQConnection{
		Namespace: namespace, Name: name, Description: in.Description, URL: in.URL, Username: in.Username,
		PasswordSecret: in.PasswordSecret, CAPEM: in.CAPEM, InsecureSkipVerify: in.InsecureSkipVerify,
		JetStream: in.JetStream, Exchange: in.Exchange, Persistent: in.Persistent, MaxLen: in.MaxLen, ClientID: in.ClientID,
	}
	c.Timeout = duration("timeout", in.Timeout, &errs)
	return c, errs
}

// MQConnection is an MQ connection as the API returns it: its settings,
// never a password.
type MQConnection struct {
	Namespace          string    `json:"namespace"`
	Name               string    `json:"name" doc:"What mq task configs name in connection." example:"events"`
	Broker             string    `json:"broker" enum:"redis,nats,rabbitmq,mqtt" doc:"The broker, from the URL's scheme."`
	Description        string    `json:"description,omitempty"`
	URL                string    `json:"url" example:"nats://nats.internal:4222"`
	Username           string    `json:"username,omitempty"`
	PasswordSecret     string    `json:"password_secret,omitempty" doc:"The namespace secret holding the password (its name, never its value)."`
	CAPEM              string    `json:"ca_pem,omitempty"`
	InsecureSkipVerify bool      `json:"insecure_skip_verify,omitempty"`
	Timeout            string    `json:"timeout,omitempty" doc:"Go duration; absent means the default, 5s." example:"5s"`
	JetStream          bool      `json:"jetstream,omitempty"`
	Exchange           string    `json:"exchange,omitempty"`
	Persistent         bool      `json:"persistent,omitempty"`
	MaxLen             int64     `json:"max_len,omitempty"`
	ClientID           string    `json:"client_id,omitempty"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at" doc:"When it was last replaced."`
}

func mqConnectionOut(c core.MQConnection) MQConnection {
	return MQConnection{
		Namespace: c.Namespace, Name: c.Name, Broker: c.Broker(), Description: c.Description, URL: c.URL,
		Username: c.Username, PasswordSecret: c.PasswordSecret, CAPEM: c.CAPEM, InsecureSkipVerify: c.InsecureSkipVerify,
		Timeout: durationString(c.Timeout), JetStream: c.JetStream, Exchange: c.Exchange, Persistent: c.Persistent,
		MaxLen: c.MaxLen, ClientID: c.ClientID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// MQConnectionList is a namespace's MQ connections.
type MQConnectionList struct {
	Connections []MQConnection `json:"connections" doc:"Ordered by name."`
}

// MQConnectionPath addresses one MQ connection.
type MQConnectionPath struct {
	NamespaceParam
	Name string `path:"name" doc:"The connection's name: lower-case letters, digits, '_', '.' and '-'." example:"events"`
}

// MQTestInput is the message test-mq-connection publishes; without a
// topic it only connects.
type MQTestInput struct {
	Topic    string            `json:"topic,omitempty" doc:"The Redis stream, NATS subject, AMQP routing key or MQTT topic to publish one message to; empty only connects." example:"kronos.test"`
	Payload  string            `json:"payload,omitempty" doc:"The message's UTF-8 payload." example:"{\"hello\":\"world\"}"`
	Headers  map[string]string `json:"headers,omitempty" doc:"Redis h:<name> fields, NATS or AMQP headers; MQTT refuses them."`
	Exchange string            `json:"exchange,omitempty" doc:"AMQP: the exchange; the connection's when empty."`
	Key      string            `json:"key,omitempty" doc:"Redis: the entry's field key."`
	QoS      *int              `json:"qos,omitempty" minimum:"0" maximum:"2" doc:"MQTT: the QoS; 1 when absent."`
	Retain   bool              `json:"retain,omitempty" doc:"MQTT: the retained flag."`
}

// MQTestError says why a test failed.
type MQTestError struct {
	Kind    string `json:"kind" enum:"not_found,refused,auth,connect,no_ack,nack,invalid_request,timeout,canceled,other" doc:"Why: not_found (no such connection), refused (the namespace's network policy), auth (the broker refused the credentials, or the password secret is missing), connect (the broker cannot be reached), no_ack or nack (the broker did not take the message), invalid_request (the message), timeout, canceled or other."`
	Message string `json:"message"`
}

// MQTestResult is the outcome of test-mq-connection: a broker's failure
// is ok false with an error, not an HTTP error.
type MQTestResult struct {
	OK         bool         `json:"ok" doc:"True when the broker was reached (and took the message, if one was sent)."`
	Broker     string       `json:"broker" doc:"redis, nats, jetstream (a JetStream publish), rabbitmq or mqtt." example:"nats"`
	ID         string       `json:"id,omitempty" doc:"The Redis entry ID or the JetStream <stream>:<sequence> of the message; absent where the broker gives none." example:"1700000000000-0"`
	DurationMS int64        `json:"duration_ms" doc:"How long it took, connecting included."`
	Error      *MQTestError `json:"error,omitempty" doc:"Why it failed; absent when ok."`
}

func (s *server) registerMQConnections(g huma.API) {
	g.OpenAPI().Tags = append(g.OpenAPI().Tags, &huma.Tag{
		Name: "MQ connections",
		Description: "Message brokers (Redis streams, NATS, RabbitMQ, MQTT) a namespace publishes to: tasks of the mq executor name one in " +
			"config.connection, and the Wasm host connects, pools and reuses it. A password is never part of a connection: it names a secret " +
			"of the namespace. Viewers read connections; editors create, replace, delete and test them.",
	})
	huma.Register(g, huma.Operation{
		OperationID: "put-mq-connection", Method: http.MethodPut, Path: "/mq-connections/{name}", Tags: []string{"MQ connections"},
		Summary: "Create or replace an MQ connection",
		Description: "Stores the connection `name` of the namespace, replacing any of that name (its created_at stays); executions " +
			"that publish through it use the new settings from their next message. Every invalid field is a 422 at its location " +
			"(body.url, body.timeout, …): a URL carrying a password, a setting of another broker (jetstream for a redis:// URL), or a " +
			"password_secret the namespace does not have. Needs the editor role, as tasks and plugins do.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		MQConnectionPath
		Body MQConnectionInput
	},
	) (*struct{ Body MQConnection }, error) {
		what := fmt.Sprintf("put mq connection %q", in.Name)
		if _, err := s.namespace(ctx, in.Namespace); err != nil {
			return nil, err
		}
		c, errs := in.Body.connection(in.Namespace, in.Name)
		details := fieldDetails(errs)
		var ve *core.ValidationError
		if err := c.Validate(); errors.As(err, &ve) {
			details = append(details, fieldDetails(ve.Fields)...)
		} else if err != nil {
			return nil, problem(what, err)
		}
		if c.PasswordSecret != "" && core.ValidateName("password_secret", c.PasswordSecret) == nil {
			_, err := s.cfg.Store.SecretGet(ctx, in.Namespace, c.PasswordSecret)
			switch {
			case errors.Is(err, store.ErrNotFound):
				details = append(details, &huma.ErrorDetail{
					Location: "body.password_secret", Value: c.PasswordSecret,
					Message: fmt.Sprintf("secret %q does not exist in namespace %q: create it first with kronos secrets set %s",
						c.PasswordSecret, in.Namespace, c.PasswordSecret),
				})
			case err != nil:
				return nil, problem(what, err)
			}
		}
		if len(details) > 0 {
			return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("mq connection %q is invalid", in.Name), details...)
		}
		stored, err := s.cfg.Store.MQConnectionPut(ctx, c)
		if err != nil {
			return nil, problem(what, err)
		}
		return &struct{ Body MQConnection }{mqConnectionOut(stored)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "list-mq-connections", Method: http.MethodGet, Path: "/mq-connections", Tags: []string{"MQ connections"},
		Summary:     "List MQ connections",
		Description: "Lists the namespace's MQ connections by name. They hold no password (only the name of its secret), so viewers may read them.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *NamespaceParam) (*struct{ Body MQConnectionList }, error) {
		if _, err := s.namespace(ctx, in.Namespace); err != nil {
			return nil, err
		}
		list, err := s.cfg.Store.MQConnectionList(ctx, in.Namespace)
		if err != nil {
			return nil, problem("list mq connections", err)
		}
		out := MQConnectionList{Connections: make([]MQConnection, len(list))}
		for i, c := range list {
			out.Connections[i] = mqConnectionOut(c)
		}
		return &struct{ Body MQConnectionList }{out}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "get-mq-connection", Method: http.MethodGet, Path: "/mq-connections/{name}", Tags: []string{"MQ connections"},
		Summary:     "Get an MQ connection",
		Description: "Returns the connection's settings and its broker; never a password.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *MQConnectionPath) (*struct{ Body MQConnection }, error) {
		c, err := s.cfg.Store.MQConnectionGet(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(fmt.Sprintf("get mq connection %q", in.Name), err)
		}
		return &struct{ Body MQConnection }{mqConnectionOut(c)}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "delete-mq-connection", Method: http.MethodDelete, Path: "/mq-connections/{name}", Tags: []string{"MQ connections"},
		Summary: "Delete an MQ connection",
		Description: "Deletes a connection. While tasks of the namespace with the mq executor name it in config.connection it is refused " +
			"with 409, naming them: change or delete them first, or pass force=true, after which their executions fail saying the " +
			"connection does not exist.",
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		MQConnectionPath
		Force bool `query:"force" doc:"Delete it even while tasks name it."`
	},
	) (*struct{}, error) {
		what := fmt.Sprintf("delete mq connection %q", in.Name)
		if _, err := s.cfg.Store.MQConnectionGet(ctx, in.Namespace, in.Name); err != nil {
			return nil, problem(what, err)
		}
		if !in.Force {
			users, err := s.mqConnectionUsers(ctx, in.Namespace, in.Name)
			if err != nil {
				return nil, problem(what, err)
			}
			if len(users) > 0 {
				return nil, huma.Error409Conflict(fmt.Sprintf(
					"%s: tasks of namespace %q publish through it: %s; change their config.connection or delete them first, or pass force=true",
					what, in.Namespace, nameList(users, 10)))
			}
		}
		if err := s.cfg.Store.MQConnectionDelete(ctx, in.Namespace, in.Name); err != nil {
			return nil, problem(what, err)
		}
		return &struct{}{}, nil
	})

	huma.Register(g, huma.Operation{
		OperationID: "test-mq-connection", Method: http.MethodPost, Path: "/mq-connections/{name}/test", Tags: []string{"MQ connections"},
		Summary: "Test an MQ connection",
		Description: "Connects to the broker as executions do (under the namespace's network policy, with the password from its secret) " +
			"and, when the body names a topic, publishes one message. A broker that cannot be reached, refuses the credentials or the " +
			"message is a 200 with ok false and the error's kind and message, not an HTTP error. Needs the editor role: it may publish.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		MQConnectionPath
		Body *MQTestInput
	},
	) (*struct{ Body MQTestResult }, error) {
		what := fmt.Sprintf("test mq connection %q", in.Name)
		if s.cfg.MQ == nil {
			return nil, huma.Error500InternalServerError(what + ": this server has no Wasm host to connect with")
		}
		ns, err := s.namespace(ctx, in.Namespace)
		if err != nil {
			return nil, err
		}
		c, err := s.cfg.Store.MQConnectionGet(ctx, in.Namespace, in.Name)
		if err != nil {
			return nil, problem(what, err)
		}
		var msg *abi.MQPublish
		if b := in.Body; b != nil {
			if b.Topic == "" && (b.Payload != "" || len(b.Headers) > 0 || b.Exchange != "" || b.Key != "" || b.QoS != nil || b.Retain) {
				return nil, huma.Error422UnprocessableEntity(what+": invalid input", &huma.ErrorDetail{
					Location: "body.topic", Message: "is required to publish a message: name the stream, subject, routing key or topic, or send no message fields to only connect",
				})
			}
			if b.Topic != "" {
				msg = &abi.MQPublish{
					Connection: in.Name, Topic: b.Topic, Exchange: b.Exchange, Payload: b.Payload, Headers: b.Headers,
					Key: b.Key, QoS: b.QoS, Retain: b.Retain,
				}
			}
		}
		r := s.cfg.MQ.TestMQ(ctx, ns.Settings, in.Namespace, in.Name, msg)
		out := MQTestResult{OK: r.Error == nil, Broker: r.Broker, ID: r.ID, DurationMS: r.DurationMS}
		if out.Broker == "" {
			out.Broker = c.Broker()
		}
		if r.Error != nil {
			out.Error = &MQTestError{Kind: r.Error.Kind, Message: r.Error.Message}
		}
		return &struct{ Body MQTestResult }{out}, nil
	})
}

// mqConnectionUsers returns the names of the namespace's mq tasks whose
// config names connection.
func (s *server) mqConnectionUsers(ctx context.Context, namespace, connection string) ([]string, error) {
	var users []string
	p := store.TaskListParams{Namespace: namespace, Executor: MQExecutor, Limit: store.MaxPageSize}
	for {
		page, err := s.cfg.Store.TaskList(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tasks {
			if configConnection(t.Config) == connection {
				users = append(users, t.Name)
			}
		}
		if page.NextCursor == "" {
			return users, nil
		}
		p.Cursor = page.NextCursor
	}
}

// configConnection returns the connection an mq task's config names, or
// "" when it names none (or is not a JSON object).
func configConnection(config json.RawMessage) string {
	var cfg struct {
		Connection string `json:"connection"`
	}
	_ = json.Unmarshal(config, &cfg) // a config that does not decode names none
	return cfg.Connection
}

// nameList quotes up to most names, saying how many more there are.
func nameList(names []string, most int) string {
	quoted := make([]string, 0, min(len(names), most))
	for _, n := range names[:min(len(names), most)] {
		quoted = append(quoted, fmt.Sprintf("%q", n))
	}
	out := strings.Join(quoted, ", ")
	if len(names) > most {
		out += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return out
}

// fieldDetails turns field errors into problem details at their body
// locations; the name is the path's.
func fieldDetails(fields []*core.FieldError) []error {
	out := make([]error, 0, len(fields))
	for _, f := range fields {
		loc := bodyPath(f.Field)
		switch f.Field {
		case "name":
			loc = "path.name"
		case "namespace":
			loc = "query.namespace"
		}
		out = append(out, &huma.ErrorDetail{Location: loc, Message: f.Message})
	}
	return out
}
