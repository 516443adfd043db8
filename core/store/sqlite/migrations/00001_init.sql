-- Kronos schema, version 1. Times are Unix milliseconds (see package store).

-- +goose Up
CREATE TABLE namespaces (
    name        TEXT    NOT NULL PRIMARY KEY,
    description TEXT    NOT NULL DEFAULT '',
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE tasks (
    id             TEXT    NOT NULL PRIMARY KEY,
    namespace      TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    labels         TEXT    NOT NULL DEFAULT '{}',
    schedule       TEXT    NOT NULL DEFAULT '',
    timezone       TEXT    NOT NULL DEFAULT 'UTC',
    executor       TEXT    NOT NULL,
    config         TEXT    NOT NULL DEFAULT '{}',
    timeout_ms     INTEGER NOT NULL,
    retry          TEXT    NOT NULL,
    concurrency    TEXT    NOT NULL,
    misfire        TEXT    NOT NULL,
    catch_up_limit INTEGER NOT NULL,
    paused         INTEGER NOT NULL DEFAULT 0,
    start_at       INTEGER,
    end_at         INTEGER,
    version        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (namespace, name)
);
CREATE INDEX tasks_namespace_executor ON tasks (namespace, executor);

CREATE TABLE task_labels (
    task_id     TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    label_key   TEXT NOT NULL,
    label_value TEXT NOT NULL,
    PRIMARY KEY (task_id, label_key)
);
CREATE INDEX task_labels_lookup ON task_labels (namespace, label_key, label_value);

-- The unique key executions_fence is what makes a scheduled instant fire
-- exactly once: (task, scheduled or manual, instant, attempt).
CREATE TABLE executions (
    id                 TEXT    NOT NULL PRIMARY KEY,
    namespace          TEXT    NOT NULL,
    task_id            TEXT    NOT NULL,
    task_name          TEXT    NOT NULL,
    scheduled_at       INTEGER NOT NULL,
    manual             INTEGER NOT NULL,
    trigger_kind       TEXT    NOT NULL,
    attempt            INTEGER NOT NULL,
    first_execution_id TEXT    NOT NULL DEFAULT '',
    node               TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL,
    reason             TEXT    NOT NULL DEFAULT '',
    fencing_token      INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    finished_at        INTEGER,
    output             TEXT    NOT NULL DEFAULT '',
    error              TEXT    NOT NULL DEFAULT '',
    CONSTRAINT executions_fence UNIQUE (task_id, manual, scheduled_at, attempt)
);
CREATE INDEX executions_namespace_scheduled ON executions (namespace, scheduled_at, id);
CREATE INDEX executions_task_scheduled ON executions (task_id, scheduled_at, id);
CREATE INDEX executions_status ON executions (status);
CREATE INDEX executions_finished ON executions (finished_at);

CREATE TABLE execution_logs (
    execution_id TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    ts           INTEGER NOT NULL,
    level        TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE execution_logs;
DROP TABLE executions;
DROP TABLE task_labels;
DROP TABLE tasks;
DROP TABLE namespaces;
