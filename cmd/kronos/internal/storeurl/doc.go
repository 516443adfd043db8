// Package storeurl turns the value of kronos server's --store setting into a
// store: it parses the URL, says which driver it names, prints it with any
// password redacted, and opens the driver.
//
// Accepted forms:
//
//	""                                     SQLite at <data-dir>/kronos.db (embedded mode)
//	sqlite:///abs/path.db                  SQLite at /abs/path.db
//	sqlite://rel/path.db                   SQLite at rel/path.db, relative to the working directory
//	mysql://user:pass@host:3306/db?params  MySQL 8 or MariaDB ≥ 10.6 (cluster mode)
package storeurl
