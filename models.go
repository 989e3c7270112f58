package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/openai"
	"github.com/classer-ai/classer-batch/classify/wordvec"
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
// only the specs that name it fail. getenv reads API keys. This is the one place that
// knows the providers: classify's decision layer over the word-vector models (wordvec), and
// the OpenAI-compatible servers (openai); all of them use the built-in model's words.
func loadModels(cfg Config, words *wordvec.Model, log *slog.Logger, getenv func(string) string) *classify.Models {
	ms := classify.NewModels(cfg.DefaultModel)
	builtin := classify.NewWordClassifier(words, words)
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
			m, err := wordvec.LoadStatic(mc.Path)
			if err != nil {
				log.Error("static model not loaded", "model", name, "path", mc.Path, "err", err)
				ms.Add(name, mc.Kind, nil, staticLoadError(err))
				continue
			}
			log.Info("static model loaded", "model", name, "path", mc.Path, "ms", time.Since(t0).Milliseconds())
			ms.Add(name, mc.Kind, classify.NewWordClassifier(m, words), nil)
		case classify.KindOpenAIEmbeddings:
			ms.Add(name, mc.Kind, openai.NewEmbeddings(remote, words), nil)
		case classify.KindOpenAIChat:
			ms.Add(name, mc.Kind, openai.NewChat(remote, words), nil)
		}
	}
	return ms
}

// offlineModels loads the model an offline command (classify, eval) runs, as the server
// would run the job: --model, else the job's "model", else the configuration's
// default_model. Only that model is loaded: the others would only slow the start (a static
// model reads its file). spec.Model is set to the name, as the server sets it.
func offlineModels(fs *pflag.FlagSet, environ []string, spec *classify.Spec, stderr io.Writer) (*classify.Models, error) {
	cfg, err := loadConfig(fs, environ)
	if err != nil {
		return nil, err
	}
	name := modelName(fs, *spec)
	if name == "" {
		name = cfg.DefaultModel
	}
	mc, ok := cfg.Models[name]
	if !ok && name != classify.KindBuiltin {
		names := slices.Sorted(maps.Keys(cfg.Models))
		names = append(names, classify.KindBuiltin) // always there, as in the server's message
		slices.Sort(names)
		return nil, fmt.Errorf("unknown model %q; the configured models are %s", name, strings.Join(names, ", "))
	}
	cfg.Models, cfg.DefaultModel = map[string]ModelConfig{}, name
	if ok {
		cfg.Models[name] = mc
	}
	words, err := wordvec.NewBuiltin()
	if err != nil {
		return nil, fmt.Errorf("load built-in model: %w", err)
	}
	spec.Model = name
	return loadModels(cfg, words, newLogger(stderr, cfg.LogLevel, cfg.LogFormat), envLookup(environ)), nil
}

// modelName is the model an offline command was asked for: --model, else the job's "model";
// "" leaves the choice to the configuration's default_model.
func modelName(fs *pflag.FlagSet, spec classify.Spec) string {
	if name, _ := fs.GetString("model"); name != "" {
		return name
	}
	return spec.Model
}

// envLookup is os.Getenv over environ, which commands take so that tests do not depend on
// the process.
func envLookup(environ []string) func(string) string {
	return func(key string) string {
		for _, kv := range slices.Backward(environ) {
			if k, v, ok := strings.Cut(kv, "="); ok && k == key {
				return v
			}
		}
		return ""
	}
}

// staticLoadError is what tenants see of a static model that could not be loaded (GET
// /v1/models, 503 answers): a plain reason without the server's file paths, which only
// the log shows (issue 22, finding 6).
func staticLoadError(err error) error {
	reason := "its files are not a valid static model"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "its path does not exist"
	case errors.Is(err, fs.ErrPermission):
		reason = "its files cannot be read"
	}
	return errors.New(reason + " (the server log names the file)")
}
