package store

import "time"

// SetNow replaces db's clock, for the shared suite (suite_test.go).
func SetNow(db *DB, now func() time.Time) { db.now = now }
