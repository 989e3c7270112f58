package main

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// End-to-end tests of issue 4 over real HTTP against the whole appliance: saved
// classifiers, the keys API, account isolation and usage.

const adminKey = "sk-admin-test-1"

func startWithAdmin(t *testing.T) *Main {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
	return startMain(t, cfg)
}

// runJob uploads input to a created job, starts it and waits for it to finish.
func (c *client) runJob(job createdJob, input string) jobView {
	c.t.Helper()
	if code, body := upload(c.t, job.UploadURL, allFields(job), strings.NewReader(input)); code != http.StatusNoContent {
		c.t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		c.t.Fatalf("start: %d", code)
	}
	v := c.waitStatus(job.JobID, time.Minute, "completed", "failed")
	if v.Status != "completed" {
		c.t.Fatalf("job %+v", v)
	}
	return v
}

func TestSavedClassifierVersionsE2E(t *testing.T) {
	m := startWithAdmin(t)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)
	v1 := []string{"billing", "shipping"}
	v2 := []string{"technical", "sales"}

	var saved struct{ Name, Version string }
	if code, _ := c.do("POST", "/v1/classifiers", map[string]any{"name": "tickets", "labels": v1}, &saved); code != 201 || saved.Version != "v1" {
		t.Fatalf("save v1: %d %+v", code, saved)
	}
	job := c.createJob(map[string]any{"classifier": "tickets"})
	if code, _ := c.do("POST", "/v1/classifiers", map[string]any{"name": "tickets", "labels": v2}, &saved); code != 201 || saved.Version != "v2" {
		t.Fatalf("save v2: %d %+v", code, saved)
	}

	// The job created before v2 keeps v1's labels.
	c.runJob(job, seedInput)
	var shown struct{ Classifier string }
	c.do("GET", "/v1/batch/"+job.JobID, nil, &shown)
	if shown.Classifier != "tickets@v1" {
		t.Fatalf("job classifier = %q, want tickets@v1", shown.Classifier)
	}
	labelled := 0
	for _, r := range parseResults(t, c.download(job.JobID)) {
		if r.Error != "" {
			continue
		}
		labelled++
		if !slices.Contains(v1, r.Label) {
			t.Fatalf("result %+v: label not one of v1's %v", r, v1)
		}
	}
	if labelled == 0 {
		t.Fatal("no labelled results")
	}

	// tickets@v1 and tickets@v2 classify the same text differently; "tickets" is v2.
	text := "I was charged twice on my credit card"
	answer := func(ref string) string {
		var res struct{ Label string }
		if code, _ := c.do("POST", "/v1/classify", map[string]any{"text": text, "classifier": ref}, &res); code != 200 {
			t.Fatalf("classify with %s: %d", ref, code)
		}
		return res.Label
	}
	a1, a2, latest := answer("tickets@v1"), answer("tickets@v2"), answer("tickets")
	if !slices.Contains(v1, a1) || !slices.Contains(v2, a2) || a1 == a2 || latest != a2 {
		t.Fatalf("tickets@v1 -> %q, tickets@v2 -> %q, tickets -> %q", a1, a2, latest)
	}
}

// TestKeysAndIsolationE2E, on a single node and in cluster mode.
func TestKeysAndIsolationE2E(t *testing.T) { eachMode(t, testKeysAndIsolationE2E) }

func testKeysAndIsolationE2E(t *testing.T, md appMode) {
	m := md.start(t, true)
	defer m.Close()
	admin := newClient(t, m.URL, adminKey)
	acme := newClient(t, m.URL, acmeKey)

	// acme has a job, a classifier and some usage.
	job := acme.createJob(map[string]any{"labels": []string{"billing", "technical"}})
	acme.do("POST", "/v1/classifiers", map[string]any{"name": "tickets", "labels": []string{"a", "b"}}, nil)
	acme.do("POST", "/v1/classify", map[string]any{"text": "hello there", "labels": []string{"a", "b"}}, nil)

	// A non-admin key cannot manage keys.
	if code, _ := acme.do("POST", "/v1/keys", map[string]any{"account": "acme", "admin": true}, nil); code != http.StatusForbidden {
		t.Fatalf("non-admin create key: %d", code)
	}

	var created struct{ ID, Key, Account string }
	if code, _ := admin.do("POST", "/v1/keys", map[string]any{"account": "initech"}, &created); code != 201 || created.Key == "" {
		t.Fatalf("create key: %d %+v", code, created)
	}
	initech := newClient(t, m.URL, created.Key)
	// Works at once…
	var list struct {
		Data []map[string]any `json:"data"`
	}
	if code, _ := initech.do("GET", "/v1/batch", nil, &list); code != 200 || len(list.Data) != 0 {
		t.Fatalf("new key lists jobs: %d %+v", code, list)
	}
	// …and sees nothing of acme's.
	for _, path := range []string{"/v1/batch/" + job.JobID, "/v1/classifiers/tickets", "/v1/classifiers/tickets@v1"} {
		if code, _ := initech.do("GET", path, nil, nil); code != http.StatusNotFound {
			t.Fatalf("GET %s as initech: %d, want 404", path, code)
		}
	}
	if code, _ := initech.do("DELETE", "/v1/batch/"+job.JobID, nil, nil); code != http.StatusNotFound {
		t.Fatalf("delete acme's job as initech: %d", code)
	}
	initech.do("GET", "/v1/classifiers", nil, &list)
	if len(list.Data) != 0 {
		t.Fatalf("initech's classifiers: %+v", list.Data)
	}
	var usage struct {
		Data  []map[string]any `json:"data"`
		Total struct{ Tokens, Requests int64 }
	}
	initech.do("GET", "/v1/usage", nil, &usage)
	if len(usage.Data) != 0 || usage.Total.Tokens != 0 || usage.Total.Requests != 0 {
		t.Fatalf("initech's usage: %+v", usage)
	}
	if code, _ := initech.do("GET", "/v1/usage?account=acme", nil, nil); code != http.StatusForbidden {
		t.Fatalf("initech reading acme's usage: %d", code)
	}

	// Revoked: 401 at once.
	if code, _ := admin.do("DELETE", "/v1/keys/"+created.ID, nil, nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := initech.do("GET", "/v1/batch", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d, want 401", code)
	}
}

// TestUsageAddsUpE2E, on a single node and in cluster mode.
func TestUsageAddsUpE2E(t *testing.T) { eachMode(t, testUsageAddsUpE2E) }

func testUsageAddsUpE2E(t *testing.T, md appMode) {
	m := md.start(t, true)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)
	labels := []string{"billing", "technical", "sales"}

	var realtime int64
	for _, text := range []string{"The app keeps crashing", "How do I upgrade my plan?", "The app keeps crashing"} {
		var res struct{ Tokens int64 }
		code, h := c.do("POST", "/v1/classify", map[string]any{"text": text, "labels": labels}, &res)
		if code != 200 || h.Get("X-Tokens-Used") != strconv.FormatInt(res.Tokens, 10) {
			t.Fatalf("classify: %d tokens %d X-Tokens-Used %q", code, res.Tokens, h.Get("X-Tokens-Used"))
		}
		realtime += res.Tokens
	}
	var many struct {
		TotalTokens int64 `json:"total_tokens"`
	}
	c.do("POST", "/v1/tag/batch", map[string]any{"texts": []string{"refund my invoice", "crash on login"}, "labels": labels}, &many)
	realtime += many.TotalTokens

	var jobTokens, lines int64
	for range 2 {
		v := md.runJob(c, c.createJob(seedSpec), seedInput)
		jobTokens += *v.ActualTokens
		lines += v.RequestsCompleted + v.RequestsFailed
	}

	var usage struct {
		Data  []map[string]any `json:"data"`
		Total struct {
			Tokens         int64   `json:"tokens"`
			RealtimeTokens int64   `json:"realtime_tokens"`
			BatchTokens    int64   `json:"batch_tokens"`
			Requests       int64   `json:"requests"`
			BatchLines     int64   `json:"batch_lines"`
			Jobs           int64   `json:"jobs"`
			Cost           float64 `json:"cost"`
		} `json:"total"`
	}
	// A day either side, so that a run across midnight UTC still sees every row.
	now := time.Now().UTC()
	from, to := now.AddDate(0, 0, -1).Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02")
	if code, _ := c.do("GET", "/v1/usage?from="+from+"&to="+to, nil, &usage); code != 200 {
		t.Fatalf("usage: %d", code)
	}
	tot := usage.Total
	if tot.RealtimeTokens != realtime || tot.BatchTokens != jobTokens || tot.Tokens != realtime+jobTokens ||
		tot.Requests != 4 || tot.Jobs != 2 || tot.BatchLines != lines {
		t.Fatalf("usage total %+v; want realtime %d, batch %d, lines %d", tot, realtime, jobTokens, lines)
	}
	if want := float64(realtime+jobTokens) * 0.08 / 1e6; tot.Cost < want*0.999 || tot.Cost > want*1.001 {
		t.Fatalf("cost %v, want %v", tot.Cost, want)
	}

	// beta used nothing; an admin can read acme's figures.
	var beta struct{ Data []map[string]any }
	newClient(t, m.URL, betaKey).do("GET", "/v1/usage", nil, &beta)
	if len(beta.Data) != 0 {
		t.Fatalf("beta's usage: %+v", beta.Data)
	}
	var seen struct{ Account string }
	if code, _ := newClient(t, m.URL, adminKey).do("GET", "/v1/usage?account=acme", nil, &seen); code != 200 || seen.Account != "acme" {
		t.Fatalf("admin usage: %d %+v", code, seen)
	}
}

// TestRealtimeUsageSurvivesRestart: real-time usage is gathered in memory and
// written in batches; a graceful shutdown writes what is left.
func TestRealtimeUsageSurvivesRestart(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	m := startMain(t, cfg)
	c := newClient(t, m.URL, acmeKey)
	var res struct {
		Tokens int64 `json:"tokens"`
	}
	for range 3 {
		if code, _ := c.do("POST", "/v1/classify", map[string]any{"text": "refund my invoice please", "labels": []string{"billing", "sales"}, "cache": false}, &res); code != 200 {
			t.Fatalf("classify: %d", code)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = startMain(t, cfg)
	defer m.Close()
	var u struct {
		Total struct {
			Requests       int64 `json:"requests"`
			RealtimeTokens int64 `json:"realtime_tokens"`
		} `json:"total"`
	}
	if code, _ := newClient(t, m.URL, acmeKey).do("GET", "/v1/usage", nil, &u); code != 200 {
		t.Fatalf("usage: %d", code)
	}
	if u.Total.Requests != 3 || u.Total.RealtimeTokens != 3*res.Tokens {
		t.Fatalf("after restart: %+v, want 3 requests and %d tokens", u.Total, 3*res.Tokens)
	}
}
