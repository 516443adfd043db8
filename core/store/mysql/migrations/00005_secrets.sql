-- Secrets: sealed values of a namespace (AES-256-GCM; see package auth).
-- The plaintext is never stored.

-- +goose Up
CREATE TABLE secrets (
    namespace  VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name       VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    key_id     VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    sealed     MEDIUMBLOB   NOT NULL,
    created_at BIGINT       NOT NULL,
    updated_at BIGINT       NOT NULL,
    PRIMARY KEY (namespace, name)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE secrets;
