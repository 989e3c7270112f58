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
	open := func(t *testing.T, path string, now func() time.Time) *store.DB {
		db, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		store.SetNow(db, now)
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) storetest.Store {
			return open(t, filepath.Join(t.TempDir(), "classer.db"), now)
		},
		Reopen: func(t *testing.T, s storetest.Store) storetest.Store {
			db := s.(*store.DB)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, store.Path(db), store.Now(db))
		},
	})
}
