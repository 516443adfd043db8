-- The audit log: one row per change made through the API. Times are Unix
-- milliseconds (see package store). Rows are not tied to their namespace:
-- the log outlives a deleted namespace, and only retention (AuditTrim)
-- removes them. Tokens gain a subject, which makes one a client-certificate
-- binding.

-- +goose Up
-- Text is utf8mb4, not ascii: an event may record a request whose
-- namespace or target was refused as invalid. The VARCHAR lengths are the
-- byte limits of core.AuditEvent.Validate, so a valid event always fits.
CREATE TABLE audit_events (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    at          BIGINT       NOT NULL,
    namespace   VARCHAR(128) NOT NULL DEFAULT '',
    actor       VARCHAR(200) NOT NULL,
    action      VARCHAR(64)  NOT NULL,
    kind        VARCHAR(64)  NOT NULL,
    target      VARCHAR(300) NOT NULL DEFAULT '',
    remote      VARCHAR(100) NOT NULL DEFAULT '',
    status      INT          NOT NULL,
    before_json MEDIUMTEXT   NULL,
    after_json  MEDIUMTEXT   NULL,
    PRIMARY KEY (id),
    KEY audit_events_namespace_id (namespace, id),
    KEY audit_events_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

ALTER TABLE tokens ADD COLUMN subject VARCHAR(300) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tokens DROP COLUMN subject;
DROP TABLE audit_events;
