package server

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/store"
)

// TestBackupAdminOnly: only an admin key gets the database; other keys get 403 and no key
// 401, and neither sees a byte of it.
func TestBackupAdminOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	wantError(t, e.call(t, "GET", "/v1/admin/backup", e.keyA, ""), 403, "FORBIDDEN", "")
	wantError(t, e.call(t, "GET", "/v1/admin/backup", "", ""), 401, "INVALID_API_KEY", "")

	admin := e.adminKey(t)
	req, _ := http.NewRequest("GET", e.url+"/v1/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "application/octet-stream" || h.Get("Content-Length") != strconv.Itoa(len(b)) ||
		!strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="classer-batch-`) || h.Get("Cache-Control") != "no-store" ||
		h.Get("Content-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		t.Fatalf("backup: %d %v", resp.StatusCode, h)
	}
	// What came is this appliance's database, with its keys.
	path := filepath.Join(t.TempDir(), "backup.db")
	os.WriteFile(path, b, 0o600)
	sum2, err := store.Inspect(path)
	if err != nil || sum2.Keys != 3 || sum2.Accounts != 3 {
		t.Fatalf("Inspect(backup) = %+v, %v; want the 3 keys of acme, globex and admin", sum2, err)
	}
	if !strings.Contains(e.logs.String(), "database backup") {
		t.Error("the backup was not logged")
	}
}
