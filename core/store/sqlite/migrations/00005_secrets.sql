-- Secrets: sealed values of a namespace (AES-256-GCM; see package auth).
-- The plaintext is never stored.

-- +goose Up
CREATE TABLE secrets (
    namespace  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
);

-- +goose Down
DROP TABLE secrets;
