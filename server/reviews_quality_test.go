package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/batch"
)

// sharedDatasets is ../shared/datasets beside the repository; the test is skipped where it
// is absent (CI provides it), as classify's eval tests are.
func sharedDatasets(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "shared", "datasets")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("datasets not available: %v", err)
	}
	return dir
}

// macroF1 over the gold labels present among the lines kept.
func macroF1(gold, got map[int64]string, keep func(int64) bool) float64 {
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	present := map[string]bool{}
	for i, g := range gold {
		if !keep(i) {
			continue
		}
		present[g] = true
		if got[i] == g {
			tp[g]++
		} else {
			fn[g]++
			fp[got[i]]++
		}
	}
	sum := 0.0
	for l := range present {
		if tp[l] > 0 {
			p := float64(tp[l]) / float64(tp[l]+fp[l])
			r := float64(tp[l]) / float64(tp[l]+fn[l])
			sum += 2 * p * r / (p + r)
		}
	}
	return sum / float64(len(present))
}

// TestReviewLoopQuality is issue 26's done-when: on a dev set where the zero-shot answers
// are mediocre, 40 lines corrected with their gold labels (from the worst queue, outside
// the audit sample) make a rerun whose macro-F1 on the other lines beats the first job's;
// and the accuracy estimated from 60 reviewed audit lines has the true accuracy inside
// its interval. Everything is seeded (the sample by the job id, the model is
// deterministic), and the job's id, which seeds its audit sample, is fixed here: a 95 %
// interval misses for one job in twenty, so a random id would make a flaky test.
func TestReviewLoopQuality(t *testing.T) {
	const set, lines = "atis", 400
	dir := sharedDatasets(t)
	spec, err := os.ReadFile(filepath.Join(dir, set+".job.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, set+".ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gold := map[int64]string{}
	var input strings.Builder
	sc := bufio.NewScanner(f)
	for i := int64(0); i < lines && sc.Scan(); i++ {
		var row struct{ Text, Label string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		gold[i] = row.Label
		fmt.Fprintf(&input, "{\"text\":%q}\n", row.Text)
	}

	e := newEnv(t, envOptions{})
	id := e.fixedIDJob(t, "batch_0000000000000026", spec, input.String())
	first := e.answers(t, id)
	job, _ := e.db.Job(context.Background(), "", id)

	// 40 corrections from the worst queue, audit lines left out.
	r := e.call(t, "GET", "/v1/batch/"+id+"/review-queue?kind=worst&limit=200", e.keyA, "")
	corrected := map[int64]bool{}
	for _, it := range r.body["data"].([]any) {
		idx := int64(it.(map[string]any)["index"].(float64))
		if inAudit(job, idx) || len(corrected) == 40 {
			continue
		}
		if r := e.call(t, "PUT", fmt.Sprintf("/v1/batch/%s/lines/%d/review", id, idx), e.keyA, `{"label":"`+gold[idx]+`"}`); r.status != 200 {
			t.Fatalf("PUT %d: %d %s", idx, r.status, r.raw)
		}
		corrected[idx] = true
	}
	if len(corrected) != 40 {
		t.Fatalf("the worst queue gave %d lines outside the audit sample, want 40", len(corrected))
	}
	r = e.call(t, "POST", "/v1/batch/"+id+"/rerun", e.keyA, "")
	if r.status != http.StatusCreated {
		t.Fatalf("rerun: %d %s", r.status, r.raw)
	}
	nid := r.str("job_id")
	e.waitStatus(t, e.keyA, nid, "completed")
	second := e.answers(t, nid)
	unseen := func(i int64) bool { return !corrected[i] }
	before, after := macroF1(gold, first, unseen), macroF1(gold, second, unseen)
	t.Logf("%s, %d lines: macro-F1 on the %d lines not used as examples: %.4f before, %.4f after the rerun (examples added %s)",
		set, lines, lines-len(corrected), before, after, r.body["examples_added"])
	if after <= before {
		t.Errorf("rerun macro-F1 %.4f is not above the first job's %.4f", after, before)
	}

	// 60 audit lines reviewed with their gold labels estimate the first job's accuracy.
	r = e.call(t, "GET", "/v1/batch/"+id+"/review-queue?kind=audit&limit=60", e.keyA, "")
	for _, it := range r.body["data"].([]any) {
		idx := int64(it.(map[string]any)["index"].(float64))
		if r := e.call(t, "PUT", fmt.Sprintf("/v1/batch/%s/lines/%d/review", id, idx), e.keyA, `{"label":"`+gold[idx]+`"}`); r.status != 200 || r.body["audit"] != true {
			t.Fatalf("PUT audit %d: %d %s", idx, r.status, r.raw)
		}
	}
	right := 0
	for i, g := range gold {
		if first[i] == g {
			right++
		}
	}
	truth := float64(right) / float64(len(gold))
	v := e.call(t, "GET", "/v1/batch/"+id, e.keyA, "")
	acc, _ := v.body["review"].(map[string]any)["accuracy"].(map[string]any)
	if acc == nil || acc["audited"] != 60.0 {
		t.Fatalf("accuracy = %v, want an estimate from 60 audit lines", acc)
	}
	t.Logf("true accuracy %.4f; estimate %.4f [%.4f, %.4f] from 60 audit lines", truth, acc["estimate"], acc["low"], acc["high"])
	if truth < acc["low"].(float64) || truth > acc["high"].(float64) {
		t.Errorf("true accuracy %.4f outside the reported interval [%v, %v]", truth, acc["low"], acc["high"])
	}
	// The rerun, which saw none of them, is measured on the same audited lines.
	ch := e.call(t, "GET", "/v1/batch/"+nid+"/changes", e.keyA, "")
	t.Logf("changes: moved %v, audit %v", ch.body["moved"], ch.body["audit"])
}

// fixedIDJob runs a job under a given id (the id seeds the audit sample): it is created in
// the store as POST /v1/batch would create it, its input put in storage, and started
// through the API.
func (e *testEnv) fixedIDJob(t *testing.T, id string, specJSON []byte, content string) string {
	t.Helper()
	ctx := context.Background()
	var f specFields
	if err := json.Unmarshal(specJSON, &f); err != nil {
		t.Fatal(err)
	}
	spec, _, err := e.srv.resolveSpec(ctx, "acme", f, jobOpts)
	if err != nil {
		t.Fatal(err)
	}
	j := &batch.Job{ID: id, Account: "acme", Spec: spec, Status: batch.StatusPending,
		InputKey: batch.InputKey(id), OutputKey: batch.OutputKey(id)}
	if err := e.db.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := e.blobs.Put(ctx, j.InputKey, strings.NewReader(content), -1); err != nil {
		t.Fatal(err)
	}
	if r := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	e.waitStatus(t, e.keyA, id, "completed")
	return id
}
