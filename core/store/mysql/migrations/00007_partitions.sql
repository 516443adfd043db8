-- The cluster's partitions (issue 8, fencing in SQL): one row each, created
-- once by PartitionsInit, whose count is then fixed for the cluster. epoch
-- counts the partition's acquisitions and is the fencing token of the
-- latest: a claim of executions checks, in its transaction, that its
-- lease's epoch is still the row's. fence_checks counts those checks; the
-- check is an UPDATE of it, so that it takes the row's write lock and a
-- concurrent acquisition waits for the claim to commit or roll back. The
-- column is named part because PARTITION is reserved in MySQL. Times are
-- Unix milliseconds (see package store).

-- +goose Up
CREATE TABLE partitions (
    part         INT          NOT NULL,
    epoch        BIGINT       NOT NULL DEFAULT 0,
    holder       VARCHAR(255) NOT NULL DEFAULT '',
    acquired_at  BIGINT       NULL,
    fence_checks BIGINT       NOT NULL DEFAULT 0,
    PRIMARY KEY (part)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE partitions;
