-- Namespace settings: the limits and network policy of its plugins, as JSON.
-- NULL reads as no settings.

-- +goose Up
ALTER TABLE namespaces ADD COLUMN settings TEXT NULL;

-- +goose Down
ALTER TABLE namespaces DROP COLUMN settings;
