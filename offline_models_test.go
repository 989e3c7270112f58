package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/classify/modeltest"
)

// TestOfflineModels (issue 23): classify and eval run any configured model by --model
// NAME, from the config's models section: a static Model2Vec directory and an
// openai-embeddings model (the fake OpenAI server on 127.0.0.1); the job's "model" is the
// default, then default_model; an unknown name fails naming the configured ones.
func TestOfflineModels(t *testing.T) {
	srv := modeltest.NewOpenAIServer(512)
	defer srv.Close()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	os.WriteFile(config, []byte(fmt.Sprintf("models:\n  potion:\n    kind: static\n    path: %s\n  bge:\n    kind: openai-embeddings\n    url: %s\n    model: bge-small\n",
		staticModelDir(t), srv.URL)), 0o600)
	writeJob := func(name, model string) string {
		spec := withModel(model)
		if model == "" {
			delete(spec, "model")
		}
		b, _ := json.Marshal(spec)
		path := filepath.Join(dir, name+".job.json")
		os.WriteFile(path, b, 0o600)
		return path
	}
	job := writeJob("plain", "")
	input := filepath.Join(dir, "in.ndjson")
	os.WriteFile(input, []byte(modelJobInput(30)), 0o600)
	var labelled strings.Builder
	for i := range 30 {
		tc := modelTexts[i%len(modelTexts)]
		fmt.Fprintf(&labelled, "{\"text\":%q,\"label\":%q}\n", fmt.Sprintf("%s (ticket %d)", tc.text, i), tc.want)
	}
	gold := filepath.Join(dir, "labelled.ndjson")
	os.WriteFile(gold, []byte(labelled.String()), 0o600)

	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), args, nil, nil, &out, io.Discard)
		return out.String(), err
	}
	classified := func(args ...string) string {
		t.Helper()
		out, err := cli(append(append([]string{"classify"}, args...), input)...)
		if err != nil {
			t.Fatalf("classify %v: %v", args, err)
		}
		return out
	}

	// On these easy lines every model answers alike, so the embedding server's count tells
	// whether bge ran.
	embeds := func(f func() string) (string, bool) {
		before := srv.EmbeddedTexts.Load()
		out := f()
		return out, srv.EmbeddedTexts.Load() > before
	}
	for _, model := range []string{"potion", "bge"} {
		out, asked := embeds(func() string { return classified("--job", job, "--config", config, "--model", model) })
		res := parseResults(t, []byte(out))
		if len(res) != 30 {
			t.Fatalf("%s: %d results", model, len(res))
		}
		for i, r := range res {
			if want := modelTexts[i%len(modelTexts)].want; r.Label != want {
				t.Errorf("%s line %d: %q, want %s", model, i, r.Label, want)
			}
		}
		if asked != (model == "bge") {
			t.Errorf("%s: the embedding server was asked: %v", model, asked)
		}
		// The job's "model" is the same choice; --model wins over it.
		if again, asked := embeds(func() string { return classified("--job", writeJob(model, model), "--config", config) }); again != out || asked != (model == "bge") {
			t.Errorf("%s named in the job: another output, or the embedding server asked: %v", model, asked)
		}
		if again, asked := embeds(func() string {
			return classified("--job", writeJob("other", "nope"), "--config", config, "--model", model)
		}); again != out || asked != (model == "bge") {
			t.Errorf("--model %s over the job's model: another output, or the embedding server asked: %v", model, asked)
		}

		report, err := cli("eval", "--job", job, "--config", config, "--model", model, gold)
		if err != nil || !strings.Contains(report, "mode single, 30 lines scored, 0 failed\naccuracy 1.0000") {
			t.Errorf("eval --model %s: %v\n%s", model, err, report)
		}
	}

	// Without --model (nor a model in the job) the config's default_model runs: builtin unless
	// configured, the same answers as without a config.
	if classified("--job", job, "--config", config) != classified("--job", job) {
		t.Error("the config's default (builtin) answered otherwise than the built-in model")
	}
	withDefault := filepath.Join(dir, "default.yaml")
	b, _ := os.ReadFile(config)
	os.WriteFile(withDefault, append([]byte("default_model: bge\n"), b...), 0o600)
	if _, asked := embeds(func() string { return classified("--job", job, "--config", withDefault) }); !asked {
		t.Error("default_model bge: the embedding server was not asked")
	}

	if _, err := cli("classify", "--job", job, "--config", config, "--model", "gpt-9", input); err == nil ||
		!strings.Contains(err.Error(), `unknown model "gpt-9"; the configured models are bge, builtin, potion`) {
		t.Errorf("classify --model gpt-9: %v", err)
	}
	if _, err := cli("eval", "--job", job, "--config", config, "--model", "gpt-9", gold); err == nil || !strings.Contains(err.Error(), "gpt-9") {
		t.Errorf("eval --model gpt-9: %v", err)
	}
	if _, err := cli("eval", "--job", job, "--config", config, "--model", "bge", "--reference", gold); err == nil ||
		!strings.Contains(err.Error(), "built-in model only") {
		t.Errorf("eval --reference --model bge: %v", err)
	}
}

// TestEnvLookup: an API key's variable is read from the environment the command was given,
// the last setting winning as in exec.Cmd.Env.
func TestEnvLookup(t *testing.T) {
	get := envLookup([]string{"A=1", "B=x=y", "A=3", "C"})
	if get("A") != "3" || get("B") != "x=y" || get("C") != "" || get("D") != "" {
		t.Fatalf("A %q B %q C %q D %q", get("A"), get("B"), get("C"), get("D"))
	}
}
