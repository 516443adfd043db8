-- Kronos schema, version 2: custom executor plugins and the per-namespace
-- key-value store they use. Times are Unix milliseconds (see package store).

-- +goose Up
-- The Wasm bytes are the last column: SQLite reads a row's columns in
-- order, so a list that stops before wasm never walks its overflow pages.
CREATE TABLE plugins (
    namespace     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    version       TEXT    NOT NULL DEFAULT '',
    sha256        TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    uploader      TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    config_schema TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    wasm          BLOB    NOT NULL,
    PRIMARY KEY (namespace, name)
);

-- A pair whose expires_at is not after the store's clock reads as absent;
-- KVDeleteExpired removes it later.
CREATE TABLE kv (
    namespace  TEXT    NOT NULL,
    k          TEXT    NOT NULL,
    v          BLOB    NOT NULL,
    expires_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, k)
);
CREATE INDEX kv_expires ON kv (expires_at);

-- +goose Down
DROP TABLE kv;
DROP TABLE plugins;
