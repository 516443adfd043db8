// Package store defines how Kronos persists its state: the Store interface
// that the engine, the API and the CLI use, the parameter and page types of
// its methods, and the sentinel errors every driver returns.
//
// Drivers live in sub-packages: store/sqlite (embedded, one node) and
// store/mysql (MySQL 8 and MariaDB 10.6 or newer, for clusters). Both run the
// same conformance suite, store/storetest, so that behaviour never depends
// on the driver. Dialect differences stay inside the drivers.
//
// Times are stored as Unix milliseconds in BIGINT columns in both dialects,
// so that instants compare and index identically everywhere and no driver
// time-zone setting can shift them; every time.Time a driver returns is in
// UTC and truncated to the millisecond.
package store
