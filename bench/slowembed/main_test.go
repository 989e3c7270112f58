package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/classify/modeltest"
)

// TestSlowEmbeddings: the answer has the OpenAI embeddings shape (one vector of -dims per
// text, in order, the same text the same vector), comes no earlier than the delay, and
// /stats counts it.
func TestSlowEmbeddings(t *testing.T) {
	fake := modeltest.NewOpenAIServer(16)
	defer fake.Close()
	const delay = 30 * time.Millisecond
	srv := httptest.NewServer(handler(fake, delay))
	defer srv.Close()

	body, _ := json.Marshal(map[string]any{"model": "slow", "input": []string{"my invoice is wrong", "the app crashes", "my invoice is wrong"}})
	t0 := time.Now()
	resp, err := http.Post(srv.URL+"/v1/embeddings", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// A lower bound only: a timer never fires early, so this cannot flake.
	if took := time.Since(t0); took < delay {
		t.Errorf("answered after %s, before the %s delay", took, delay)
	}
	var ans struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if len(ans.Data) != 3 {
		t.Fatalf("%d vectors for 3 texts", len(ans.Data))
	}
	for i, d := range ans.Data {
		if d.Index != i || len(d.Embedding) != 16 {
			t.Errorf("vector %d: index %d, %d dims", i, d.Index, len(d.Embedding))
		}
	}
	if !slices.Equal(ans.Data[0].Embedding, ans.Data[2].Embedding) || slices.Equal(ans.Data[0].Embedding, ans.Data[1].Embedding) {
		t.Errorf("vectors not a function of the text: %v", ans.Data)
	}

	resp, err = http.Get(srv.URL + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		t.Fatal(err)
	}
	if stats["requests"] != 1 || stats["texts"] != 3 {
		t.Errorf("stats %v, want 1 request of 3 texts", stats)
	}
}
