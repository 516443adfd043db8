package core

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MQ connection bounds.
const (
	// MaxMQURLLength bounds an MQ connection's URL.
	MaxMQURLLength = 2048
	// MaxMQCAPEMBytes bounds the PEM certificates an MQ connection trusts.
	MaxMQCAPEMBytes = 64 << 10
	// MaxMQTimeout bounds an MQ connection's connect and publish timeout.
	MaxMQTimeout = time.Minute
)

// MQSchemes are the URL schemes an MQ connection may use, by broker.
var MQSchemes = map[string]string{
	"redis": "redis", "rediss": "redis",
	"nats": "nats", "tls": "nats",
	"amqp": "rabbitmq", "amqps": "rabbitmq",
	"mqtt": "mqtt", "mqtts": "mqtt", "tcp": "mqtt", "ssl": "mqtt",
}

// MQConnection is a message broker a namespace publishes to: the mq
// executor names it in its config and the host's mq_publish function
// opens, pools and reuses it. Its password is never stored here: it names
// a secret of the namespace.
type MQConnection struct {
	Namespace string `json:"namespace"`
	// Name is what task configs refer to.
	Name string `json:"name"`
	// Description is free text for people.
	Description string `json:"description,omitempty"`
	// URL is the broker's URL; its scheme chooses the broker (see
	// MQSchemes). It must not carry a password.
	URL string `json:"url"`
	// Username is the login, when the URL has none.
	Username string `json:"username,omitempty"`
	// PasswordSecret names the namespace secret holding the password.
	PasswordSecret string `json:"password_secret,omitempty"`
	// CAPEM is extra PEM certificates trusted for TLS.
	CAPEM string `json:"ca_pem,omitempty"`
	// InsecureSkipVerify turns TLS verification off.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
	// Timeout bounds connecting and each publish; 0 means 5s.
	Timeout time.Duration `json:"timeout,omitempty"`
	// JetStream makes NATS publishes wait for a JetStream ack.
	JetStream bool `json:"jetstream,omitempty"`
	// Exchange is the AMQP exchange of messages that name none.
	Exchange string `json:"exchange,omitempty"`
	// Persistent makes AMQP messages persistent (delivery mode 2).
	Persistent bool `json:"persistent,omitempty"`
	// MaxLen caps a Redis stream with MAXLEN ~ MaxLen; 0 means no cap.
	MaxLen int64 `json:"max_len,omitempty"`
	// ClientID is the MQTT client ID; empty means a random one.
	ClientID  string    `json:"client_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Broker returns "redis", "nats", "rabbitmq" or "mqtt" from the URL's
// scheme, or "" for an unknown scheme.
func (c *MQConnection) Broker() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return ""
	}
	return MQSchemes[strings.ToLower(u.Scheme)]
}

// Validate reports every invalid field of c.
func (c *MQConnection) Validate() error {
	var v validator
	if fe := ValidateName("namespace", c.Namespace); fe != nil {
		v.fields = append(v.fields, fe)
	}
	if fe := ValidateName("name", c.Name); fe != nil {
		v.fields = append(v.fields, fe)
	}
	v.description("description", c.Description)
	v.mqURL("url", c.URL)
	v.text("username", c.Username, 256)
	if c.PasswordSecret != "" {
		if fe := ValidateName("password_secret", c.PasswordSecret); fe != nil {
			v.fields = append(v.fields, fe)
		}
	}
	if len(c.CAPEM) > MaxMQCAPEMBytes {
		v.add("ca_pem", "is %d bytes; the limit is %d", len(c.CAPEM), MaxMQCAPEMBytes)
	} else if c.CAPEM != "" && !strings.Contains(c.CAPEM, "-----BEGIN CERTIFICATE-----") {
		v.add("ca_pem", "holds no PEM certificate: paste one or more -----BEGIN CERTIFICATE----- blocks")
	}
	if c.Timeout < 0 || c.Timeout > MaxMQTimeout {
		v.add("timeout", "is %s; use 0 (the default, 5s) up to %s", c.Timeout, MaxMQTimeout)
	}
	if c.MaxLen < 0 {
		v.add("max_len", "must not be negative; 0 means no cap")
	}
	v.text("exchange", c.Exchange, 255)
	v.text("client_id", c.ClientID, 128)
	broker := c.Broker()
	if c.JetStream && broker != "nats" && broker != "" {
		v.add("jetstream", "applies to nats:// connections only; this one is %s", broker)
	}
	if (c.Exchange != "" || c.Persistent) && broker != "rabbitmq" && broker != "" {
		v.add("exchange", "and persistent apply to amqp:// connections only; this one is %s", broker)
	}
	if c.MaxLen > 0 && broker != "redis" && broker != "" {
		v.add("max_len", "applies to redis:// connections only; this one is %s", broker)
	}
	if c.ClientID != "" && broker != "mqtt" && broker != "" {
		v.add("client_id", "applies to mqtt:// connections only; this one is %s", broker)
	}
	return v.err(fmt.Sprintf("mq connection %q", c.Name))
}

func (v *validator) mqURL(field, raw string) {
	switch {
	case raw == "":
		v.add(field, "is required: the broker's URL, such as nats://127.0.0.1:4222 or amqp://guest@rabbit:5672/")
		return
	case len(raw) > MaxMQURLLength:
		v.add(field, "is %d bytes; the limit is %d", len(raw), MaxMQURLLength)
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		v.add(field, "is not a URL: %v", err)
		return
	}
	if _, ok := MQSchemes[strings.ToLower(u.Scheme)]; !ok {
		v.add(field, "has scheme %q; use redis, rediss, nats, tls, amqp, amqps, mqtt, mqtts, tcp or ssl", u.Scheme)
		return
	}
	if u.Host == "" {
		v.add(field, "has no host: write it as scheme://host:port")
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			v.add(field, "carries a password: store it as a secret of the namespace and name it in password_secret")
		}
	}
}
