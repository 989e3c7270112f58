package store

import "time"

// SetNow replaces db's clock, for the shared suite (suite_test.go).
func SetNow(db *DB, now func() time.Time) { db.now = now }

// Now and Path are db's clock and file, to reopen it in the suite.
func Now(db *DB) func() time.Time { return db.now }
func Path(db *DB) string          { return db.path }
