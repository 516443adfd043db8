-- API tokens: only the keyed hash of each is kept (see package auth).

-- +goose Up
CREATE TABLE tokens (
    id           CHAR(36)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name         VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    display      VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    hash         BINARY(32)   NOT NULL,
    namespace    VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    roles        TEXT         NOT NULL,
    owner        BOOLEAN      NOT NULL,
    created_at   BIGINT       NOT NULL,
    expires_at   BIGINT       NULL,
    last_used_at BIGINT       NULL,
    revoked_at   BIGINT       NULL,
    PRIMARY KEY (id),
    UNIQUE KEY tokens_hash (hash)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE tokens;
