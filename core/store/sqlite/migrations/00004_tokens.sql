-- API tokens: only the keyed hash of each is kept (see package auth).

-- +goose Up
CREATE TABLE tokens (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    display      TEXT    NOT NULL,
    hash         BLOB    NOT NULL UNIQUE,
    namespace    TEXT    NOT NULL,
    roles        TEXT    NOT NULL,
    owner        INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NULL,
    last_used_at INTEGER NULL,
    revoked_at   INTEGER NULL
);

-- +goose Down
DROP TABLE tokens;
