package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/store"
	"github.com/classer-ai/classer-batch/store/storetest"
)

// TestSuite runs the suite every store implementation passes (kvstore runs it too).
func TestSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		db, err := store.Open(filepath.Join(t.TempDir(), "classer.db"))
		if err != nil {
			t.Fatal(err)
		}
		store.SetNow(db, now)
		t.Cleanup(func() { _ = db.Close() })
		return db
	})
}
