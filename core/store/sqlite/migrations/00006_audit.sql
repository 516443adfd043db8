-- The audit log: one row per change made through the API. Times are Unix
-- milliseconds (see package store). Rows are not tied to their namespace:
-- the log outlives a deleted namespace, and only retention (AuditTrim)
-- removes them. Tokens gain a subject, which makes one a client-certificate
-- binding.

-- +goose Up
-- AUTOINCREMENT, unlike a plain INTEGER PRIMARY KEY, never hands out an ID
-- again after the newest rows are deleted, so IDs only ever increase.
CREATE TABLE audit_events (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    namespace   TEXT    NOT NULL DEFAULT '',
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    remote      TEXT    NOT NULL DEFAULT '',
    status      INTEGER NOT NULL,
    before_json TEXT    NULL,
    after_json  TEXT    NULL
);
CREATE INDEX audit_events_namespace_id ON audit_events (namespace, id);
CREATE INDEX audit_events_at ON audit_events (at);

ALTER TABLE tokens ADD COLUMN subject TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tokens DROP COLUMN subject;
DROP TABLE audit_events;
