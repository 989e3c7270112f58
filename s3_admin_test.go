package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestS3AdminSystem: on S3 storage the admin system page says so and reports no free
// space (S3 has no such figure), while the database size is still the file's.
func TestS3AdminSystem(t *testing.T) {
	e := newS3Env(t)
	dir := t.TempDir()
	cfg := e.config(t, dir)
	cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
	m := startMain(t, cfg)
	defer m.Close()
	var sys struct {
		Storage struct {
			Kind      string `json:"kind"`
			FreeBytes *int64 `json:"free_bytes"`
		} `json:"storage"`
		DatabaseBytes *int64 `json:"database_bytes"`
	}
	if code, _ := newClient(t, m.URL, adminKey).do("GET", "/v1/admin/system", nil, &sys); code != 200 {
		t.Fatalf("system: %d", code)
	}
	fi, err := os.Stat(filepath.Join(dir, "classer.db"))
	if err != nil {
		t.Fatal(err)
	}
	if sys.Storage.Kind != "s3" || sys.Storage.FreeBytes != nil || sys.DatabaseBytes == nil || *sys.DatabaseBytes != fi.Size() {
		t.Errorf("system on S3: %+v (database %v), want kind s3, free_bytes null, database_bytes %d", sys.Storage, sys.DatabaseBytes, fi.Size())
	}
}
