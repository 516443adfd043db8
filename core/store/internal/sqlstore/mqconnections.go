package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/core/store"
)

// mqSpec is what the spec column holds: the connection without its keys
// and times, so that a new field needs no migration.
type mqSpec struct {
	Description        string `json:"description,omitempty"`
	URL                string `json:"url"`
	Username           string `json:"username,omitempty"`
	PasswordSecret     string `json:"password_secret,omitempty"`
	CAPEM              string `json:"ca_pem,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
	TimeoutMS          int64  `json:"timeout_ms,omitempty"`
	JetStream          bool   `json:"jetstream,omitempty"`
	Exchange           string `json:"exchange,omitempty"`
	Persistent         bool   `json:"persistent,omitempty"`
	MaxLen             int64  `json:"max_len,omitempty"`
	ClientID           string `json:"client_id,omitempty"`
}

func mqSpecOf(c core.MQConnection) mqSpec {
	return mqSpec{
		Description: c.Description, URL: c.URL, Username: c.Username, PasswordSecret: c.PasswordSecret,
		CAPEM: c.CAPEM, InsecureSkipVerify: c.InsecureSkipVerify, TimeoutMS: c.Timeout.Milliseconds(),
		JetStream: c.JetStream, Exchange: c.Exchange, Persistent: c.Persistent, MaxLen: c.MaxLen, ClientID: c.ClientID,
	}
}

func (m mqSpec) apply(c *core.MQConnection) {
	c.Description, c.URL, c.Username, c.PasswordSecret = m.Description, m.URL, m.Username, m.PasswordSecret
	c.CAPEM, c.InsecureSkipVerify = m.CAPEM, m.InsecureSkipVerify
	c.Timeout = time.Duration(m.TimeoutMS) * time.Millisecond
	c.JetStream, c.Exchange, c.Persistent, c.MaxLen, c.ClientID = m.JetStream, m.Exchange, m.Persistent, m.MaxLen, m.ClientID
}

const mqColumns = `namespace, name, spec, created_at, updated_at`

func scanMQConnection(row interface{ Scan(...any) error }) (core.MQConnection, error) {
	var c core.MQConnection
	var spec string
	var created, updated int64
	if err := row.Scan(&c.Namespace, &c.Name, &spec, &created, &updated); err != nil {
		return c, err
	}
	var m mqSpec
	if err := json.Unmarshal([]byte(spec), &m); err != nil {
		return c, fmt.Errorf("mq connection %q: decode its stored spec: %w", c.Name, err)
	}
	m.apply(&c)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

// MQConnectionPut implements store.Store.
func (s *Store) MQConnectionPut(ctx context.Context, c core.MQConnection) (core.MQConnection, error) {
	if err := c.Validate(); err != nil {
		return core.MQConnection{}, err
	}
	spec, err := json.Marshal(mqSpecOf(c))
	if err != nil {
		return core.MQConnection{}, s.wrap(fmt.Sprintf("put mq connection %q", c.Name), err)
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM namespaces WHERE name = ?`, c.Namespace).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("namespace %q %w", c.Namespace, store.ErrNotFound)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mq_connections (`+mqColumns+`) VALUES (?, ?, ?, ?, ?) `+
			s.d.InsertUpdateDuplicates([]string{"namespace", "name"}, "spec", "updated_at"),
			c.Namespace, c.Name, string(spec), ms(now), ms(now)); err != nil {
			return err
		}
		got, err := scanMQConnection(tx.QueryRowContext(ctx, `SELECT `+mqColumns+` FROM mq_connections WHERE namespace = ? AND name = ?`, c.Namespace, c.Name))
		c = got
		return err
	})
	if err != nil {
		return core.MQConnection{}, s.wrap(fmt.Sprintf("put mq connection %q", c.Name), err)
	}
	return c, nil
}

// MQConnectionGet implements store.Store.
func (s *Store) MQConnectionGet(ctx context.Context, namespace, name string) (core.MQConnection, error) {
	c, err := scanMQConnection(s.db.QueryRowContext(ctx, `SELECT `+mqColumns+` FROM mq_connections WHERE namespace = ? AND name = ?`, namespace, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, s.wrap("get mq connection", fmt.Errorf("mq connection %q %w", name, store.ErrNotFound))
	}
	if err != nil {
		return c, s.wrap(fmt.Sprintf("get mq connection %q", name), err)
	}
	return c, nil
}

// MQConnectionList implements store.Store.
func (s *Store) MQConnectionList(ctx context.Context, namespace string) ([]core.MQConnection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+mqColumns+` FROM mq_connections WHERE namespace = ? ORDER BY name`, namespace)
	if err != nil {
		return nil, s.wrap("list mq connections", err)
	}
	defer rows.Close()
	var out []core.MQConnection
	for rows.Next() {
		c, err := scanMQConnection(rows)
		if err != nil {
			return nil, s.wrap("list mq connections", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list mq connections", err)
	}
	return out, nil
}

// MQConnectionDelete implements store.Store.
func (s *Store) MQConnectionDelete(ctx context.Context, namespace, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM mq_connections WHERE namespace = ? AND name = ?`, namespace, name)
	if err != nil {
		return s.wrap(fmt.Sprintf("delete mq connection %q", name), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.wrap(fmt.Sprintf("delete mq connection %q", name), err)
	} else if n == 0 {
		return s.wrap("delete mq connection", fmt.Errorf("mq connection %q %w", name, store.ErrNotFound))
	}
	return nil
}
