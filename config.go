package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// Config is every setting of the appliance. config.example.yaml documents each key
// with its default; keep the two in step.
type Config struct {
	Addr      string `koanf:"addr"`
	DataDir   string `koanf:"data_dir"`
	PublicURL string `koanf:"public_url"`
	LogLevel  string `koanf:"log_level"`
	LogFormat string `koanf:"log_format"`
	Workers   int    `koanf:"workers"`

	Auth struct {
		// Keys seeds accounts and keys at start, each "account:key". Keys of the
		// account "admin" are admin keys.
		Keys []string `koanf:"keys"`
	} `koanf:"auth"`

	Storage struct {
		Kind string `koanf:"kind"` // local | s3
		S3   struct {
			Endpoint       string `koanf:"endpoint"`
			AccessKey      string `koanf:"access_key"`
			SecretKey      string `koanf:"secret_key"`
			Bucket         string `koanf:"bucket"`
			Region         string `koanf:"region"`
			UseSSL         bool   `koanf:"use_ssl"`
			PublicEndpoint string `koanf:"public_endpoint"`
		} `koanf:"s3"`
	} `koanf:"storage"`

	Limits struct {
		MaxUploadBytes          int64 `koanf:"max_upload_bytes"`
		MaxTextChars            int   `koanf:"max_text_chars"`
		MaxActiveJobsPerAccount int   `koanf:"max_active_jobs_per_account"`
		MaxBodyBytes            int64 `koanf:"max_body_bytes"`
		MaxInputBytes           int64 `koanf:"max_input_bytes"`
	} `koanf:"limits"`

	Pipeline struct {
		ChunkLines         int           `koanf:"chunk_lines"`
		CheckpointInterval time.Duration `koanf:"checkpoint_interval"`
	} `koanf:"pipeline"`

	URLs struct {
		UploadTTL   time.Duration `koanf:"upload_ttl"`
		DownloadTTL time.Duration `koanf:"download_ttl"`
	} `koanf:"urls"`

	Cache struct {
		Entries int `koanf:"entries"`
	} `koanf:"cache"`

	RateLimits struct {
		RequestsPerMinute int64 `koanf:"requests_per_minute"`
		TokensPerMinute   int64 `koanf:"tokens_per_minute"`
	} `koanf:"rate_limits"`

	Pricing struct {
		PerMillionTokens float64 `koanf:"per_million_tokens"`
	} `koanf:"pricing"`

	Retention struct {
		Days     int           `koanf:"days"`
		Interval time.Duration `koanf:"interval"`
	} `koanf:"retention"`

	TLS TLSConfig `koanf:"tls"` // serve_tls.go

	// Cluster mode (issue 25): state in replicated NATS JetStream KV buckets, objects in S3.
	Cluster ClusterConfig `koanf:"cluster"`

	// DefaultModel and Models: the models a spec can name (issue 13; models.go).
	DefaultModel string                 `koanf:"default_model"`
	Models       map[string]ModelConfig `koanf:"models"`

	// Debug: off unless set. PprofAddr serves net/http/pprof on a loopback address (pprof.go).
	Debug struct {
		PprofAddr string `koanf:"pprof_addr"`
	} `koanf:"debug"`

	HTTP struct {
		ReadHeaderTimeout time.Duration `koanf:"read_header_timeout"`
		ReadTimeout       time.Duration `koanf:"read_timeout"`
		WriteTimeout      time.Duration `koanf:"write_timeout"`
		IdleTimeout       time.Duration `koanf:"idle_timeout"`
		TransferTimeout   time.Duration `koanf:"transfer_timeout"`
		ShutdownTimeout   time.Duration `koanf:"shutdown_timeout"`
		MaxHeaderBytes    int           `koanf:"max_header_bytes"`
	} `koanf:"http"`
}

// defaults are the lowest layer: defaults < config file < CLASSER_* env < flags.
func defaults() map[string]any {
	return map[string]any{
		"addr":                               "127.0.0.1:8080",
		"data_dir":                           "./data",
		"public_url":                         "",
		"log_level":                          "info",
		"log_format":                         "text",
		"workers":                            runtime.NumCPU(),
		"auth.keys":                          []string{},
		"storage.kind":                       "local",
		"storage.s3.endpoint":                "",
		"storage.s3.access_key":              "",
		"storage.s3.secret_key":              "",
		"storage.s3.bucket":                  "classer",
		"storage.s3.region":                  "us-east-1",
		"storage.s3.use_ssl":                 false,
		"storage.s3.public_endpoint":         "",
		"limits.max_upload_bytes":            int64(5 << 30),
		"limits.max_text_chars":              100_000,
		"limits.max_active_jobs_per_account": 1,
		"limits.max_body_bytes":              int64(1 << 20),
		"limits.max_input_bytes":             int64(50 << 30),
		"pipeline.chunk_lines":               256,
		"pipeline.checkpoint_interval":       "2s",
		"urls.upload_ttl":                    "1h",
		"urls.download_ttl":                  "1h",
		"cache.entries":                      10_000,
		"rate_limits.requests_per_minute":    0,
		"rate_limits.tokens_per_minute":      0,
		"pricing.per_million_tokens":         0.08,
		"retention.days":                     0,
		"default_model":                      "builtin",
		"retention.interval":                 "1h",
		"cluster.enabled":                    false,
		"cluster.node_name":                  "",
		"cluster.client_addr":                "127.0.0.1:4222",
		"cluster.route_addr":                 "127.0.0.1:6222",
		"cluster.peers":                      []string{},
		"cluster.replicas":                   3,
		"cluster.connect":                    []string{},
		"cluster.shard_bytes":                int64(64 << 20),
		"cluster.lease":                      "30s",
		"cluster.worker_slots":               2,
		"cluster.job_window":                 0,
		"cluster.tls_cert":                   "",
		"cluster.tls_key":                    "",
		"cluster.tls_ca":                     "",
		"tls.cert_file":                      "",
		"tls.key_file":                       "",
		"tls.self_signed":                    false,
		"http.read_header_timeout":           "10s",
		"http.read_timeout":                  "60s",
		"http.write_timeout":                 "60s",
		"http.idle_timeout":                  "120s",
		"http.transfer_timeout":              "2h",
		"http.shutdown_timeout":              "30s",
		"http.max_header_bytes":              64 << 10,
		"debug.pprof_addr":                   "",
	}
}

// loadConfig layers defaults, the --config file, CLASSER_* variables and the
// flags that were set. environ is passed in so tests do not depend on the process.
func loadConfig(fs *pflag.FlagSet, environ []string) (Config, error) {
	k := koanf.New(".")
	defs := defaults()
	if err := k.Load(confmap.Provider(defs, "."), nil); err != nil {
		return Config{}, err
	}
	if path, _ := fs.GetString("config"); path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if err := k.Load(envProvider(defs, environ), nil); err != nil {
		return Config{}, fmt.Errorf("environment: %w", err)
	}
	for flag, key := range map[string]string{"addr": "addr", "data-dir": "data_dir", "public-url": "public_url",
		"tls-cert": "tls.cert_file", "tls-key": "tls.key_file"} {
		if f := fs.Lookup(flag); f != nil && f.Changed {
			if err := k.Set(key, f.Value.String()); err != nil {
				return Config{}, err
			}
		}
	}
	var cfg Config
	dc := &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
		),
		WeaklyTypedInput: true,
		ErrorUnused:      true, // a misspelt key in the config file is an error, not silently ignored
		Result:           &cfg,
		TagName:          "koanf",
	}
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{DecoderConfig: dc}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, cfg.validate()
}

// envProvider maps CLASSER_LIMITS_MAX_TEXT_CHARS to limits.max_text_chars by
// matching against the known keys, since "_" is both the separator and part of
// key names. CLASSER_API_KEYS is the documented short name for auth.keys. List-valued
// keys (auth.keys, cluster.peers, cluster.connect) are comma-separated in the environment.
func envProvider(defs map[string]any, environ []string) koanf.Provider {
	byEnv := map[string]string{"API_KEYS": "auth.keys"}
	for key := range defs {
		byEnv[strings.ToUpper(strings.NewReplacer(".", "_").Replace(key))] = key
	}
	vals := map[string]any{}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "CLASSER_") {
			continue
		}
		key, known := byEnv[strings.TrimPrefix(name, "CLASSER_")]
		if !known {
			continue
		}
		if _, isList := defs[key].([]string); isList {
			vals[key] = splitList(val)
			continue
		}
		vals[key] = val
	}
	return confmap.Provider(vals, ".")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c *Config) validate() error {
	var errs []error
	switch c.Storage.Kind {
	case "local":
	case "s3":
		s3 := c.Storage.S3
		for _, req := range []struct{ key, val string }{
			{"endpoint", s3.Endpoint}, {"access_key", s3.AccessKey}, {"secret_key", s3.SecretKey}, {"bucket", s3.Bucket},
		} {
			if strings.TrimSpace(req.val) == "" {
				errs = append(errs, fmt.Errorf("storage.s3.%s is required with storage.kind s3", req.key))
			}
		}
	default:
		errs = append(errs, fmt.Errorf("storage.kind %q is not supported (use \"local\" or \"s3\")", c.Storage.Kind))
	}
	if c.Workers < 1 {
		c.Workers = runtime.NumCPU()
	}
	if c.Limits.MaxUploadBytes < 1 {
		errs = append(errs, errors.New("limits.max_upload_bytes must be positive"))
	}
	if c.Limits.MaxTextChars < 1 {
		errs = append(errs, errors.New("limits.max_text_chars must be positive"))
	}
	if c.RateLimits.RequestsPerMinute < 0 || c.RateLimits.TokensPerMinute < 0 {
		errs = append(errs, errors.New("rate_limits must not be negative (0 = unlimited)"))
	}
	if c.Pricing.PerMillionTokens < 0 {
		errs = append(errs, errors.New("pricing.per_million_tokens must not be negative"))
	}
	if c.Retention.Days < 0 {
		errs = append(errs, errors.New("retention.days must not be negative (0 = keep)"))
	}
	if c.Limits.MaxActiveJobsPerAccount < 1 {
		errs = append(errs, errors.New("limits.max_active_jobs_per_account must be at least 1"))
	}
	errs = append(errs, c.TLS.validate()...)
	if err := validatePprofAddr(c.Debug.PprofAddr); err != nil {
		errs = append(errs, err)
	}
	for _, kv := range c.Auth.Keys {
		if _, _, err := parseSeedKey(kv); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.validateModels()...)
	errs = append(errs, c.validateCluster()...)
	return errors.Join(errs...)
}

// parseSeedKey splits "account:key".
func parseSeedKey(kv string) (account, secret string, err error) {
	account, secret, ok := strings.Cut(kv, ":")
	account, secret = strings.TrimSpace(account), strings.TrimSpace(secret)
	if !ok || account == "" || len(secret) < 8 {
		return "", "", fmt.Errorf("auth.keys entry %q: want \"account:key\" with a key of at least 8 characters", redact(kv))
	}
	return account, secret, nil
}

// redact keeps a key out of error messages and logs.
func redact(kv string) string {
	account, _, ok := strings.Cut(kv, ":")
	if !ok {
		return "…"
	}
	return account + ":…"
}

// newLogger is the logger log_level and log_format ask for, writing to w.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
