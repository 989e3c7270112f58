package server

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/classer-ai/classer-batch/classify"
)

// TestAdminJobs: an admin key lists every account's jobs, newest first, each with its
// account, paged by offset; other keys get 403 and no key 401.
func TestAdminJobs(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin := e.adminKey(t)
	var ids []string // oldest first
	for _, key := range []string{e.keyA, e.keyB, e.keyA} {
		ids = append(ids, e.createJob(t, key, `{"labels":["billing","technical"]}`).str("job_id"))
		e.clock.Add(time.Second)
	}

	for _, p := range []string{"/v1/admin/jobs", "/v1/admin/system"} {
		wantError(t, e.call(t, "GET", p, e.keyA, ""), 403, "FORBIDDEN", "")
		wantError(t, e.call(t, "GET", p, "", ""), 401, "INVALID_API_KEY", "")
	}

	r := e.call(t, "GET", "/v1/admin/jobs", admin, "")
	if r.status != 200 || r.num("total") != 3 || r.body["has_more"] != false {
		t.Fatalf("admin jobs: %d %s", r.status, r.raw)
	}
	data := r.body["data"].([]any)
	want := []struct{ id, account string }{{ids[2], "acme"}, {ids[1], "globex"}, {ids[0], "acme"}}
	if len(data) != len(want) {
		t.Fatalf("admin jobs: %d jobs, want %d: %s", len(data), len(want), r.raw)
	}
	for i, w := range want {
		j := data[i].(map[string]any)
		if j["job_id"] != w.id || j["account"] != w.account || j["status"] != "pending" {
			t.Errorf("job %d: %v %v %v, want %s of %s", i, j["job_id"], j["account"], j["status"], w.id, w.account)
		}
	}

	page := e.call(t, "GET", "/v1/admin/jobs?offset=1&limit=1", admin, "")
	if d := page.body["data"].([]any); page.status != 200 || len(d) != 1 || d[0].(map[string]any)["job_id"] != ids[1] ||
		page.body["has_more"] != true || page.num("total") != 3 {
		t.Fatalf("second page: %d %s", page.status, page.raw)
	}
	if last := e.call(t, "GET", "/v1/admin/jobs?offset=5", admin, ""); len(last.body["data"].([]any)) != 0 || last.body["has_more"] != false {
		t.Fatalf("past the end: %s", last.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/admin/jobs?limit=0", admin, ""), 422, "VALIDATION_ERROR", "limit")
	wantError(t, e.call(t, "GET", "/v1/admin/jobs?offset=-1", admin, ""), 422, "VALIDATION_ERROR", "offset")

	// A deleted job leaves the overview.
	if d := e.call(t, "DELETE", "/v1/batch/"+ids[1], e.keyB, ""); d.status != 200 {
		t.Fatalf("delete: %d %s", d.status, d.raw)
	}
	if r := e.call(t, "GET", "/v1/admin/jobs", admin, ""); r.num("total") != 2 {
		t.Fatalf("after delete: %s", r.raw)
	}
}

// TestAdminSystem: the system page's figures are the real ones: the version the server
// was built with, uptime from its clock, local storage with the file system's free space
// (statfs), the database file's size, each model's readiness from the registry, and the
// job counts, where a started job no runner works on is queued, not active.
func TestAdminSystem(t *testing.T) {
	e := newEnv(t, envOptions{
		cfg:           Config{Version: VersionInfo{Version: "v1.2.3", Commit: "abc123"}},
		stoppedRunner: true, // a started job stays processing without a runner
		models: func(b *classify.WordClassifier) classify.Classifier {
			ms := classify.NewModels(classify.KindBuiltin)
			ms.Add(classify.KindBuiltin, classify.KindBuiltin, b, nil)
			ms.Add("vectors", classify.KindStatic, nil, errors.New("vectors.bin: no such file"))
			return ms
		},
	})
	admin := e.adminKey(t)
	started := e.createJob(t, e.keyA, `{"labels":["billing","technical"]}`)
	if u := e.upload(t, started, `{"text":"my invoice is wrong"}`+"\n", nil); u.status != 204 {
		t.Fatalf("upload: %d %s", u.status, u.raw)
	}
	if s := e.call(t, "POST", "/v1/batch/"+started.str("job_id")+"/start", e.keyA, ""); s.status != 202 {
		t.Fatalf("start: %d %s", s.status, s.raw)
	}
	e.createJob(t, e.keyB, `{"labels":["a","b"]}`)
	e.createJob(t, e.keyB, `{"labels":["a","b"]}`)
	e.clock.Add(90 * time.Second)

	r := e.call(t, "GET", "/v1/admin/system", admin, "")
	if r.status != 200 {
		t.Fatalf("system: %d %s", r.status, r.raw)
	}
	if r.str("version") != "v1.2.3" || r.str("commit") != "abc123" || r.num("uptime_seconds") != 90 {
		t.Errorf("version/uptime: %s", r.raw)
	}
	q := r.body["queue"].(map[string]any)
	if q["active"] != 0.0 || q["queued"] != 1.0 || q["pending"] != 2.0 {
		t.Errorf("queue = %v, want 0 active, 1 queued, 2 pending", q)
	}

	st := r.body["storage"].(map[string]any)
	var fs unix.Statfs_t
	if err := unix.Statfs(filepath.Join(e.dir, "objects"), &fs); err != nil {
		t.Fatal(err)
	}
	free := float64(fs.Bavail) * float64(fs.Bsize)
	// Other processes write to the same disk meanwhile: equal within 1 %.
	if got, ok := st["free_bytes"].(float64); st["kind"] != "local" || !ok || math.Abs(got-free) > free/100 {
		t.Errorf("storage = %v, want local with about %.0f free bytes", st, free)
	}
	fi, err := os.Stat(filepath.Join(e.dir, "classer.db"))
	if err != nil {
		t.Fatal(err)
	}
	if r.num("database_bytes") != float64(fi.Size()) || fi.Size() == 0 {
		t.Errorf("database_bytes = %v, the file has %d", r.body["database_bytes"], fi.Size())
	}

	models := map[string]map[string]any{}
	for _, m := range r.body["models"].([]any) {
		models[m.(map[string]any)["name"].(string)] = m.(map[string]any)
	}
	if b, v := models["builtin"], models["vectors"]; len(models) != 2 || b["ready"] != true || b["default"] != true ||
		v["ready"] != false || v["default"] != false || v["kind"] != "static" {
		t.Errorf("models = %v", r.body["models"])
	}
}
