package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestWorkerConfigErrors: `classer-batch worker` refuses to start without what it needs,
// naming it: the cluster's NATS URLs, S3 storage, a node name, a worker slot.
func TestWorkerConfigErrors(t *testing.T) {
	s3 := []string{"CLASSER_STORAGE_KIND=s3", "CLASSER_STORAGE_S3_ENDPOINT=127.0.0.1:1", "CLASSER_STORAGE_S3_BUCKET=b",
		"CLASSER_STORAGE_S3_ACCESS_KEY=a", "CLASSER_STORAGE_S3_SECRET_KEY=s"}
	for _, tc := range []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"no connect", []string{"--node-name", "w1"}, s3, "cluster.connect"},
		{"local storage", []string{"--node-name", "w1", "--connect", "nats://127.0.0.1:1"}, nil, "storage.kind s3"},
		{"no name", []string{"--connect", "nats://127.0.0.1:1"}, s3, "cluster.node_name"},
		{"no slot", []string{"--node-name", "w1", "--connect", "nats://127.0.0.1:1", "--slots", "0"}, s3, "worker_slots"},
		{"bad URL", []string{"--node-name", "w1", "--connect", "127.0.0.1:1"}, s3, "cluster.connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"worker"}, tc.args...), tc.environ, nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("worker %v: %v, want an error naming %s", tc.args, err, tc.want)
			}
		})
	}
}
