-- Kronos schema, version 2, for MySQL 8 and MariaDB 10.6+: custom executor
-- plugins and the per-namespace key-value store they use. Times are Unix
-- milliseconds (see package store).

-- +goose Up
-- LONGBLOB holds up to 4 GiB; what limits a plugin in practice is the
-- server's max_allowed_packet (see package mysql).
CREATE TABLE plugins (
    namespace     VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    version       VARCHAR(64)  NOT NULL,
    sha256        CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    size          BIGINT       NOT NULL,
    uploader      VARCHAR(255) NOT NULL,
    description   TEXT         NOT NULL,
    config_schema MEDIUMTEXT   NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL,
    wasm          LONGBLOB     NOT NULL,
    PRIMARY KEY (namespace, name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Keys are VARBINARY, not a _bin text collation: those pad with spaces in
-- MariaDB, which would make "a" and "a " one key. VARBINARY compares bytes,
-- as SQLite does. A pair whose expires_at is not after the store's clock
-- reads as absent; KVDeleteExpired removes it later.
CREATE TABLE kv (
    namespace  VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    k          VARBINARY(256) NOT NULL,
    v          MEDIUMBLOB     NOT NULL,
    expires_at BIGINT         NULL,
    updated_at BIGINT         NOT NULL,
    PRIMARY KEY (namespace, k),
    KEY kv_expires (expires_at)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE kv;
DROP TABLE plugins;
