package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// appMode is how an end-to-end API test runs the appliance: a single node (bbolt and
// local disk, the default), or cluster mode (issue 25): one embedded NATS node
// (replicas 1) holding the state, objects in S3 (the tests' versitygw), the smallest
// shards, and the node's worker slots working on them. One node keeps CI's time down;
// the three-node runs are the process tests (cluster_serve_test.go, cluster_shards_test.go).
type appMode struct {
	name string
	s3   *s3Env // cluster mode's object store; nil on a single node
}

// eachMode runs test once per mode, as the subtests "single" and "cluster"; "cluster"
// skips where no S3 endpoint is configured (CI has one).
func eachMode(t *testing.T, test func(t *testing.T, md appMode)) {
	t.Run("single", func(t *testing.T) { test(t, appMode{name: "single"}) })
	t.Run("cluster", func(t *testing.T) {
		e := newS3Env(t)
		test(t, appMode{name: "cluster", s3: &e})
	})
}

// config is testConfig for the mode, with a new data dir.
func (md appMode) config(t *testing.T) Config {
	t.Helper()
	if md.s3 == nil {
		return testConfig(t, t.TempDir())
	}
	cfg := md.s3.config(t, t.TempDir())
	cfg.Cluster = ClusterConfig{Enabled: true, NodeName: "n1", ClientAddr: "127.0.0.1:0", RouteAddr: "127.0.0.1:0", Replicas: 1,
		ShardBytes: 1 << 10, Lease: 5 * time.Second, WorkerSlots: 2}
	return cfg
}

// start runs the appliance in the mode, with an admin key when admin is true.
func (md appMode) start(t *testing.T, admin bool) *Main {
	t.Helper()
	cfg := md.config(t)
	if admin {
		cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
	}
	return startMain(t, cfg)
}

// upload posts fields and then input to a job's upload URL. S3 refuses a form sent with
// chunked transfer encoding (which upload streams), so there it is sent with its length.
func (md appMode) upload(t *testing.T, url string, fields [][2]string, input string) (int, string) {
	t.Helper()
	if md.s3 != nil {
		return uploadSized(t, url, fields, strings.NewReader(input), int64(len(input)))
	}
	return upload(t, url, fields, strings.NewReader(input))
}

// shortForm is the seed's upload form, the key and the file, which the appliance's own
// upload endpoint takes; S3 takes only the whole policy (every upload_fields entry).
func (md appMode) shortForm(job createdJob) [][2]string {
	if md.s3 != nil {
		return allFields(job)
	}
	return [][2]string{{"key", job.UploadFields["key"]}}
}

// runJob uploads input to a created job, starts it and waits for it to complete.
func (md appMode) runJob(c *client, job createdJob, input string) jobView {
	c.t.Helper()
	if code, body := md.upload(c.t, job.UploadURL, allFields(job), input); code != http.StatusNoContent {
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
