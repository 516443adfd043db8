-- Kronos schema, version 1, for MySQL 8 and MariaDB 10.6+. Times are Unix
-- milliseconds (see package store). Identifiers use ascii_bin so that names
-- compare byte for byte, as in SQLite.

-- +goose Up
CREATE TABLE namespaces (
    name        VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    description TEXT   NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE tasks (
    id             CHAR(36)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    namespace      VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name           VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    description    TEXT         NOT NULL,
    labels         TEXT         NOT NULL,
    schedule       VARCHAR(512) NOT NULL,
    timezone       VARCHAR(64)  NOT NULL,
    executor       VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    config         MEDIUMTEXT   NOT NULL,
    timeout_ms     BIGINT       NOT NULL,
    retry          TEXT         NOT NULL,
    concurrency    VARCHAR(16)  NOT NULL,
    misfire        VARCHAR(16)  NOT NULL,
    catch_up_limit INT          NOT NULL,
    paused         BOOLEAN      NOT NULL DEFAULT FALSE,
    start_at       BIGINT       NULL,
    end_at         BIGINT       NULL,
    version        BIGINT       NOT NULL,
    created_at     BIGINT       NOT NULL,
    updated_at     BIGINT       NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY tasks_namespace_name (namespace, name),
    KEY tasks_namespace_executor (namespace, executor)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE task_labels (
    task_id     CHAR(36)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    namespace   VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    label_key   VARCHAR(320) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    label_value VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (task_id, label_key),
    KEY task_labels_lookup (namespace, label_key, label_value)
) ENGINE = InnoDB;

-- The unique key executions_fence is what makes a scheduled instant fire
-- exactly once: (task, scheduled or manual, instant, attempt).
CREATE TABLE executions (
    id                 CHAR(36)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    namespace          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    task_id            CHAR(36)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    task_name          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    scheduled_at       BIGINT       NOT NULL,
    manual             BOOLEAN      NOT NULL,
    trigger_kind       VARCHAR(16)  NOT NULL,
    attempt            INT          NOT NULL,
    first_execution_id VARCHAR(36)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    node               VARCHAR(255) NOT NULL DEFAULT '',
    status             VARCHAR(16)  NOT NULL,
    reason             TEXT         NOT NULL,
    fencing_token      BIGINT       NOT NULL DEFAULT 0,
    created_at         BIGINT       NOT NULL,
    started_at         BIGINT       NULL,
    finished_at        BIGINT       NULL,
    output             MEDIUMTEXT   NOT NULL,
    error              TEXT         NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY executions_fence (task_id, manual, scheduled_at, attempt),
    KEY executions_namespace_scheduled (namespace, scheduled_at, id),
    KEY executions_task_scheduled (task_id, scheduled_at, id),
    KEY executions_status (status),
    KEY executions_finished (finished_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE execution_logs (
    execution_id CHAR(36)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    seq          BIGINT     NOT NULL,
    ts           BIGINT     NOT NULL,
    level        VARCHAR(8) NOT NULL,
    message      TEXT       NOT NULL,
    PRIMARY KEY (execution_id, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE execution_logs;
DROP TABLE executions;
DROP TABLE task_labels;
DROP TABLE tasks;
DROP TABLE namespaces;
