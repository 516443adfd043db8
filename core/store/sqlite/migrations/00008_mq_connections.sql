-- MQ connections: the brokers a namespace publishes to (the mq executor).
-- spec is the connection as JSON (url, username, password_secret, TLS and
-- broker options); the password itself is a secret of the namespace and
-- never stored here. Times are Unix milliseconds (see package store).

-- +goose Up
CREATE TABLE mq_connections (
    namespace  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    spec       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
);

-- +goose Down
DROP TABLE mq_connections;
