package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestConfigLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("addr: 127.0.0.1:9000\ndata_dir: /from/file\nlimits:\n  max_text_chars: 500\n  max_active_jobs_per_account: 3\npipeline:\n  checkpoint_interval: 5s\nauth:\n  keys: [\"acme:sk-acme-file1\"]\n"), 0o600)

	load := func(args []string, env ...string) Config {
		t.Helper()
		fs := serveFlags("serve")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(fs, env)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	def := load(nil)
	if def.Addr != "127.0.0.1:8080" || def.DataDir != "./data" || def.Limits.MaxUploadBytes != 5<<30 || def.Pipeline.CheckpointInterval != 2*time.Second {
		t.Fatalf("defaults: %+v", def)
	}
	fromFile := load([]string{"--config", file})
	if fromFile.Addr != "127.0.0.1:9000" || fromFile.Limits.MaxTextChars != 500 || fromFile.Pipeline.CheckpointInterval != 5*time.Second || len(fromFile.Auth.Keys) != 1 {
		t.Fatalf("file: %+v", fromFile)
	}
	fromEnv := load([]string{"--config", file}, "CLASSER_DATA_DIR=/from/env", "CLASSER_LIMITS_MAX_TEXT_CHARS=700",
		"CLASSER_API_KEYS=a:sk-aaaaaaaa, b:sk-bbbbbbbb", "CLASSER_UNKNOWN=1", "OTHER_ADDR=x")
	if fromEnv.DataDir != "/from/env" || fromEnv.Limits.MaxTextChars != 700 || fromEnv.Addr != "127.0.0.1:9000" ||
		strings.Join(fromEnv.Auth.Keys, ",") != "a:sk-aaaaaaaa,b:sk-bbbbbbbb" || fromEnv.Limits.MaxActiveJobsPerAccount != 3 {
		t.Fatalf("env: %+v", fromEnv)
	}
	fromFlags := load([]string{"--config", file, "--addr", "127.0.0.1:7000", "--data-dir", "/from/flag"}, "CLASSER_DATA_DIR=/from/env", "CLASSER_ADDR=127.0.0.1:1")
	if fromFlags.Addr != "127.0.0.1:7000" || fromFlags.DataDir != "/from/flag" {
		t.Fatalf("flags: %+v", fromFlags)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, yaml, env, want string }{
		{"misspelt key", "limits:\n  max_text_char: 5\n", "", "max_text_char"},
		{"bad duration", "pipeline:\n  checkpoint_interval: soon\n", "", "checkpoint_interval"},
		{"bad key entry", "", "CLASSER_API_KEYS=nokey", "auth.keys entry"},
		{"short key", "", "CLASSER_API_KEYS=acme:short", "at least 8"},
		{"unknown storage", "storage:\n  kind: ftp\n", "", "storage.kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := serveFlags("serve")
			args := []string{}
			if tc.yaml != "" {
				p := filepath.Join(dir, tc.name+".yaml")
				os.WriteFile(p, []byte(tc.yaml), 0o600)
				args = append(args, "--config", p)
			}
			fs.Parse(args)
			var env []string
			if tc.env != "" {
				env = []string{tc.env}
			}
			_, err := loadConfig(fs, env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
			if strings.Contains(tc.env, "short") && strings.Contains(err.Error(), "short") {
				t.Fatalf("the key leaked into the error: %v", err)
			}
		})
	}
}

// TestExampleConfigLoads keeps config.example.yaml in step with Config: every key
// in it must be known (ErrorUnused) and its values must equal the defaults.
func TestExampleConfigLoads(t *testing.T) {
	fs := serveFlags("serve")
	fs.Parse([]string{"--config", "config.example.yaml"})
	got, err := loadConfig(fs, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := loadConfig(pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
	if got.Addr != want.Addr || got.Limits != want.Limits || got.Pipeline != want.Pipeline || got.URLs != want.URLs || got.HTTP != want.HTTP || got.Cache != want.Cache || got.TLS != want.TLS ||
		!reflect.DeepEqual(got.Cluster, want.Cluster) {
		t.Fatalf("config.example.yaml differs from the defaults:\n%+v\n%+v", got, want)
	}
}

// TestModelsConfig: the models section loads every kind from a file, and a bad entry is an
// error naming it.
func TestModelsConfig(t *testing.T) {
	dir := t.TempDir()
	load := func(yaml string) (Config, error) {
		path := filepath.Join(dir, "c.yaml")
		os.WriteFile(path, []byte(yaml), 0o600)
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.String("config", "", "")
		fs.Parse([]string{"--config", path})
		return loadConfig(fs, nil)
	}
	cfg, err := load(`
default_model: bge
models:
  potion: {kind: static, path: /models/potion}
  bge: {kind: openai-embeddings, url: "http://gpu-1:8000", model: bge-small, api_key_env: BGE_KEY, max_concurrency: 8, batch_size: 32, timeout: 30s}
  llm: {kind: openai-chat, url: "http://gpu-2:11434", model: qwen}
`)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultModel != "bge" || cfg.Models["bge"].Timeout != 30*time.Second || cfg.Models["bge"].BatchSize != 32 || cfg.Models["potion"].Path != "/models/potion" {
		t.Fatalf("%+v", cfg.Models)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"models: {x: {kind: gguf}}", `models.x.kind "gguf"`},
		{"models: {x: {kind: static}}", "models.x.path is required"},
		{"models: {x: {kind: openai-chat, url: gpu:1}}", "models.x.url and models.x.model are required"},
		{"models: {x: {kind: openai-chat, url: gpu:1, model: m}}", "must start with http://"},
		{"default_model: nope", `default_model "nope"`},
		{"models: {x: {kind: static, pth: /a}}", "pth"},
	} {
		if _, err := load(tc.yaml); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.yaml, err, tc.want)
		}
	}
}
