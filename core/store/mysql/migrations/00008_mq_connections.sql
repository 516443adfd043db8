-- MQ connections: the brokers a namespace publishes to (the mq executor).
-- spec is the connection as JSON (url, username, password_secret, TLS and
-- broker options); the password itself is a secret of the namespace and
-- never stored here. Times are Unix milliseconds (see package store).

-- +goose Up
CREATE TABLE mq_connections (
    namespace  VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name       VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    spec       MEDIUMTEXT   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at BIGINT       NOT NULL,
    updated_at BIGINT       NOT NULL,
    PRIMARY KEY (namespace, name)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE mq_connections;
