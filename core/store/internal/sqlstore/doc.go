// Package sqlstore is the SQL implementation of store.Store shared by the
// SQLite and MySQL drivers. The two dialects differ only in what Dialect
// says (how a duplicate key is reported, how an insert skips or updates a
// taken key, and how large one value may be); every
// query here is written in the common subset of SQLite 3.45+, MySQL 8 and
// MariaDB 10.6: '?' placeholders, no RETURNING (but for the paths a
// returningDialect takes, with a MySQL equivalent beside each), no LIMIT
// inside IN subqueries, BIGINT Unix-millisecond times.
package sqlstore
