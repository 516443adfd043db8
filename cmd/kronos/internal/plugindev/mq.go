package plugindev

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/host"
)

// MQConnections are the MQ connections of a local run (`kronos plugin test
// --mq-connection`), for the mq_publish host function: the host.MQConnections
// of a machine with no store and no secrets, so a connection carries its
// password itself. A name it lacks answers host.MissingMQConnectionError with
// the flag to pass. The zero value has none.
type MQConnections struct {
	byName map[string]localMQ
}

type localMQ struct {
	conn     core.MQConnection
	password string
}

// MQConnection implements host.MQConnections. Every namespace sees the same
// connections: a local run has one.
func (m *MQConnections) MQConnection(_ context.Context, namespace, name string) (core.MQConnection, string, error) {
	c, ok := m.byName[name]
	if !ok {
		hint := fmt.Sprintf("pass --mq-connection %s=URL to kronos plugin test", name)
		if len(m.byName) > 0 {
			hint += " (this run has " + strings.Join(m.Names(), ", ") + ")"
		}
		return core.MQConnection{}, "", &host.MissingMQConnectionError{Namespace: namespace, Name: name, Hint: hint}
	}
	conn := c.conn
	conn.Namespace = namespace
	return conn, c.password, nil
}

// Names returns the connections' names, sorted.
func (m *MQConnections) Names() []string {
	names := make([]string, 0, len(m.byName))
	for n := range m.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Len returns how many connections there are.
func (m *MQConnections) Len() int { return len(m.byName) }

// AddFlag adds the connection of one --mq-connection NAME=URL. A password in
// the URL is taken out of it and used as the connection's password (a local
// run has no secrets); broker options need AddFile.
func (m *MQConnections) AddFlag(spec string) error {
	name, raw, ok := strings.Cut(spec, "=")
	if !ok || name == "" || raw == "" {
		return fmt.Errorf("--mq-connection %q: write it as NAME=URL, such as orders=nats://127.0.0.1:4222", spec)
	}
	conn := core.MQConnection{Namespace: core.DefaultNamespace, Name: name, URL: raw}
	password := ""
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if p, has := u.User.Password(); has {
			password = p
			u.User = url.User(u.User.Username())
			conn.URL = u.String()
		}
	}
	if err := conn.Validate(); err != nil {
		return fmt.Errorf("--mq-connection %s: %w", name, err)
	}
	return m.add(conn, password, "--mq-connection")
}

// FileConnection is one connection of an --mq-connections file: the fields
// of the API's connection body (PUT /api/v1/mq-connections/{name}), with
// the password itself in place of password_secret.
type FileConnection struct {
	URL                string `json:"url"`
	Username           string `json:"username,omitempty"`
	Password           string `json:"password,omitempty"`
	CAPEM              string `json:"ca_pem,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
	Timeout            string `json:"timeout,omitempty"`
	JetStream          bool   `json:"jetstream,omitempty"`
	Exchange           string `json:"exchange,omitempty"`
	Persistent         bool   `json:"persistent,omitempty"`
	MaxLen             int64  `json:"max_len,omitempty"`
	ClientID           string `json:"client_id,omitempty"`
}

// AddFile adds the connections of an --mq-connections file: a JSON object
// from connection name to FileConnection. what names the file in errors.
func (m *MQConnections) AddFile(what string, data []byte) error {
	var conns map[string]FileConnection
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&conns); err != nil {
		return fmt.Errorf("--mq-connections %s: %w; write a JSON object such as {\"orders\": {\"url\": \"amqp://127.0.0.1:5672/\", \"username\": \"guest\", \"password\": \"guest\", \"exchange\": \"orders\"}}", what, err)
	}
	names := make([]string, 0, len(conns))
	for n := range conns {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		fc := conns[name]
		conn := core.MQConnection{
			Namespace: core.DefaultNamespace, Name: name, URL: fc.URL, Username: fc.Username,
			CAPEM: fc.CAPEM, InsecureSkipVerify: fc.InsecureSkipVerify, JetStream: fc.JetStream,
			Exchange: fc.Exchange, Persistent: fc.Persistent, MaxLen: fc.MaxLen, ClientID: fc.ClientID,
		}
		var errs []error
		if fc.Timeout != "" {
			d, err := time.ParseDuration(fc.Timeout)
			if err != nil {
				errs = append(errs, &core.FieldError{Field: "timeout", Message: fmt.Sprintf("%q is not a Go duration such as 5s", fc.Timeout)})
			}
			conn.Timeout = d
		}
		if err := conn.Validate(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("--mq-connections %s: connection %s: %w", what, name, err)
		}
		if err := m.add(conn, fc.Password, "--mq-connections "+what); err != nil {
			return err
		}
	}
	return nil
}

func (m *MQConnections) add(conn core.MQConnection, password, from string) error {
	if _, dup := m.byName[conn.Name]; dup {
		return fmt.Errorf("%s: connection %s is given twice; give each name once", from, conn.Name)
	}
	if m.byName == nil {
		m.byName = map[string]localMQ{}
	}
	m.byName[conn.Name] = localMQ{conn: conn, password: password}
	return nil
}

var _ host.MQConnections = (*MQConnections)(nil)
