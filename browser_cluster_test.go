package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserCluster: the System page of a server in cluster mode (one embedded NATS
// node, S3 on versitygw) lists the cluster's processes as GET /v1/cluster does: the node,
// its role, its slots, that it holds the sweeper; and every account's jobs, read from the
// cluster's KV store, with their accounts.
func TestBrowserCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	_ = chromiumPath(t)
	e := newS3Env(t)
	shots := screenshotDir(t)
	cfg := e.config(t, t.TempDir())
	cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
	cfg.Cluster = ClusterConfig{Enabled: true, NodeName: "n1", ClientAddr: "127.0.0.1:0", RouteAddr: "127.0.0.1:0", Replicas: 1,
		ShardBytes: 16 << 10, Lease: 2 * time.Second, WorkerSlots: 3}
	m := startMain(t, cfg)
	defer m.Close()
	job := newClient(t, m.URL, acmeKey).createJob(seedSpec)

	p := newTab(t, m.URL, shots)
	p.do("open the console", 20*time.Second, chromedp.Navigate(m.URL+"/"), chromedp.WaitVisible(chromedp.ID("key-input")),
		chromedp.SetValue(chromedp.ID("key-input"), adminKey), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the System link", `!document.getElementById('nav-system').hidden`, 10*time.Second)
	p.click("#nav-system")
	// The sweeper is elected once the node runs: wait for the page to show it (it reloads every 5 s).
	p.wait("the cluster's node, holding the sweeper", `(() => {
		const tr = document.querySelector('#cluster-nodes tbody tr[data-node="n1"]');
		return tr && tr.textContent.includes('(sweeper)') && !document.getElementById('cluster').hidden;
	})()`, 30*time.Second)

	var c struct {
		Node      string
		Processes []struct {
			Node, Kind  string
			Slots, Busy int
			Lost        bool
			Sweeper     bool
		}
		Queued   int
		InFlight int `json:"in_flight"`
	}
	if code, _ := newClient(t, m.URL, adminKey).do("GET", "/v1/cluster", nil, &c); code != 200 {
		t.Fatalf("GET /v1/cluster: %d", code)
	}
	var want []string
	for _, pr := range c.Processes {
		want = append(want, fmt.Sprintf("%s %s %d/%d lost=%v", pr.Node, pr.Kind, pr.Busy, pr.Slots, pr.Lost))
	}
	got := jsEval[[]string](p, `[...document.querySelectorAll('#cluster-nodes tbody tr')].map((tr) =>
		tr.dataset.node + ' ' + tr.dataset.kind + ' ' + tr.children[2].textContent.replaceAll(' ', '') + ' lost=' + tr.dataset.lost)`)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != 1 || c.Processes[0].Slots != 3 {
		t.Errorf("processes on the page %v, the API's %v", got, want)
	}
	if got := jsEval[string](p, `document.getElementById('cluster-node').textContent`); got != c.Node {
		t.Errorf("answering node on the page %q, the API's %q", got, c.Node)
	}
	if got, want := jsEval[string](p, `document.getElementById('cluster-queued').textContent`), fmt.Sprint(c.Queued); got != want {
		t.Errorf("shards waiting on the page %q, the API's %q", got, want)
	}
	p.wait("acme's job in every account's jobs", fmt.Sprintf(`!!document.querySelector('#admin-jobs tbody tr[data-job=%q][data-account="acme"]')`, job.JobID), 10*time.Second)
	p.screenshot("40-cluster-1280")
	p.atPhoneWidth("cluster", "40-cluster-400")

	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.jsErrors {
		t.Errorf("JavaScript error: %s", e)
	}
}
