package main

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/openai"
)

// ModelConfig is one entry of the config's models section (issue 13): a name users put in a
// spec's "model" field, and how to load or reach it.
type ModelConfig struct {
	Kind string `koanf:"kind"` // builtin | static | openai-embeddings | openai-chat
	// static: a Model2Vec directory or a .vec/.txt word-vector file.
	Path string `koanf:"path"`
	// openai-*: the server's base URL ({url}/v1/embeddings, {url}/v1/chat/completions),
	// the model name it knows, and the environment variable holding its API key, if any
	// (the key itself is never in the file).
	URL            string        `koanf:"url"`
	Model          string        `koanf:"model"`
	APIKeyEnv      string        `koanf:"api_key_env"`
	MaxConcurrency int           `koanf:"max_concurrency"` // requests in flight to the server, across all jobs (default 4)
	BatchSize      int           `koanf:"batch_size"`      // texts per embeddings request (default 64)
	Timeout        time.Duration `koanf:"timeout"`         // per request (default 60s)
	Retries        int           `koanf:"retries"`         // after a 429, 5xx or timeout (default 4)
}

// validateModels checks the models section: known kinds, what each kind needs, and a
// default that exists.
func (c *Config) validateModels() []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(c.Models)) {
		m := c.Models[name]
		at := "models." + name
		switch m.Kind {
		case classify.KindBuiltin:
		case classify.KindStatic:
			if m.Path == "" {
				errs = append(errs, fmt.Errorf("%s.path is required with kind static", at))
			}
		case classify.KindOpenAIEmbeddings, classify.KindOpenAIChat:
			if m.URL == "" || m.Model == "" {
				errs = append(errs, fmt.Errorf("%s.url and %s.model are required with kind %s", at, at, m.Kind))
			}
			if !strings.HasPrefix(m.URL, "http://") && !strings.HasPrefix(m.URL, "https://") && m.URL != "" {
				errs = append(errs, fmt.Errorf("%s.url %q must start with http:// or https://", at, m.URL))
			}
		default:
			errs = append(errs, fmt.Errorf("%s.kind %q is not one of builtin, static, openai-embeddings, openai-chat", at, m.Kind))
		}
		if m.MaxConcurrency < 0 || m.BatchSize < 0 || m.Timeout < 0 || m.Retries < 0 {
			errs = append(errs, fmt.Errorf("%s: max_concurrency, batch_size, timeout and retries must not be negative", at))
		}
	}
	if _, ok := c.Models[c.DefaultModel]; !ok && c.DefaultModel != classify.KindBuiltin {
		errs = append(errs, fmt.Errorf("default_model %q is not a configured model (nor \"builtin\")", c.DefaultModel))
	}
	return errs
}

// loadModels makes the configured models. The built-in model is always there as "builtin".
// A model that cannot be loaded is logged and listed as not ready (GET /v1/models, /readyz);
// only the specs that name it fail. getenv reads API keys.
func loadModels(cfg Config, builtin *classify.Builtin, log *slog.Logger, getenv func(string) string) *classify.Models {
	ms := classify.NewModels(cfg.DefaultModel)
	ms.Add(classify.KindBuiltin, classify.KindBuiltin, builtin, nil)
	for _, name := range slices.Sorted(maps.Keys(cfg.Models)) {
		mc := cfg.Models[name]
		remote := openai.Config{Name: name, URL: mc.URL, Model: mc.Model, MaxConcurrency: mc.MaxConcurrency,
			BatchSize: mc.BatchSize, Timeout: mc.Timeout, Retries: mc.Retries, Log: log.With("model", name)}
		if mc.APIKeyEnv != "" {
			remote.APIKey = getenv(mc.APIKeyEnv)
		}
		switch mc.Kind {
		case classify.KindBuiltin:
			ms.Add(name, mc.Kind, builtin, nil)
		case classify.KindStatic:
			t0 := time.Now()
			m, err := classify.LoadStatic(mc.Path, builtin)
			if err != nil {
				log.Error("static model not loaded", "model", name, "path", mc.Path, "err", err)
				ms.Add(name, mc.Kind, nil, err)
				continue
			}
			log.Info("static model loaded", "model", name, "path", mc.Path, "ms", time.Since(t0).Milliseconds())
			ms.Add(name, mc.Kind, m, nil)
		case classify.KindOpenAIEmbeddings:
			ms.Add(name, mc.Kind, openai.NewEmbeddings(remote, builtin), nil)
		case classify.KindOpenAIChat:
			ms.Add(name, mc.Kind, openai.NewChat(remote, builtin), nil)
		}
	}
	return ms
}
