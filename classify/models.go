package classify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Model kinds (issue 13): the config's names for the providers. The registry only shows
// them (ModelInfo.Kind); what a model can do it learns from its capabilities (provider.go).
const (
	KindBuiltin          = "builtin"
	KindStatic           = "static"
	KindOpenAIEmbeddings = "openai-embeddings"
	KindOpenAIChat       = "openai-chat"
)

// ErrModelUnavailable wraps the error of a configured model that could not be loaded.
var ErrModelUnavailable = errors.New("model unavailable")

// Models is the set of configured models, one of them the default. It is itself a
// Classifier (and Fitter): every call goes to the model its spec's Model field names, so the
// pipeline and the server see one interface. A spec that names no model gets the default; one
// that names an unknown model is a *ValidationError on "model" listing the configured ones. A
// model that could not be loaded stays listed, not ready, with its error, and only the specs
// that name it fail.
type Models struct {
	def     string
	entries map[string]*modelEntry
}

type modelEntry struct {
	kind string     // shown, never compared
	clf  Classifier // nil if it could not be loaded
	err  error      // why it could not be loaded

	mu      sync.Mutex // the last reachability check of a remote model
	checked time.Time
	pingErr error
}

// NewModels returns a set with no model; def names the default (added with Add).
func NewModels(def string) *Models {
	return &Models{def: def, entries: map[string]*modelEntry{}}
}

// Add adds a model under name: clf, or, if loading it failed, err; kind is the config's
// name for its provider.
func (m *Models) Add(name, kind string, clf Classifier, err error) {
	m.entries[name] = &modelEntry{kind: kind, clf: clf, err: err}
}

// Default is the default model's name.
func (m *Models) Default() string { return m.def }

// Names are the configured models' names, sorted.
func (m *Models) Names() []string {
	names := make([]string, 0, len(m.entries))
	for n := range m.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Resolve returns the model name a spec's Model field means ("" is the default), or a
// *ValidationError.
func (m *Models) Resolve(name string) (string, error) {
	if name == "" {
		name = m.def
	}
	if _, ok := m.entries[name]; !ok {
		return "", verr("model", "unknown model %q; the configured models are %s", name, strings.Join(m.Names(), ", "))
	}
	return name, nil
}

func (m *Models) model(name string) (Classifier, error) {
	name, err := m.Resolve(name)
	if err != nil {
		return nil, err
	}
	e := m.entries[name]
	if e.clf == nil {
		return nil, fmt.Errorf("%w: model %s could not be loaded: %v", ErrModelUnavailable, name, e.err)
	}
	return e.clf, nil
}

var (
	_ Classifier = (*Models)(nil)
	_ Fitter     = (*Models)(nil)
)

// Compile implements Classifier.
func (m *Models) Compile(spec Spec) (Model, error) {
	c, err := m.model(spec.Model)
	if err != nil {
		return nil, err
	}
	return c.Compile(spec)
}

// Tokens implements Classifier with the default model's tokenizer.
func (m *Models) Tokens(text string) int {
	c, err := m.model("")
	if err != nil {
		return 0
	}
	return c.Tokens(text)
}

// Fit implements Fitter: the model's fit, or a nil state for a model that does not fit.
func (m *Models) Fit(spec Spec, sample []string) ([]byte, error) {
	c, err := m.model(spec.Model)
	if err != nil {
		return nil, err
	}
	if f, ok := c.(Fitter); ok {
		return f.Fit(spec, sample)
	}
	return nil, nil
}

// CompileFitted implements Fitter; an empty state is Compile.
func (m *Models) CompileFitted(spec Spec, state []byte) (Model, error) {
	c, err := m.model(spec.Model)
	if err != nil {
		return nil, err
	}
	if f, ok := c.(Fitter); ok && len(state) > 0 {
		return f.CompileFitted(spec, state)
	}
	return c.Compile(spec)
}

// Remote reports whether the model spec names answers over the network (its fit then waits
// on a server: the batch runner fits such a job when it starts, not while its file uploads).
func (m *Models) Remote(spec Spec) bool {
	name, err := m.Resolve(spec.Model)
	if err != nil {
		return false
	}
	_, ok := m.entries[name].clf.(Remote)
	return ok
}

// ResolveModel is the model name a spec's Model field means with clf ("" is the default):
// what Models resolves it to, or name itself when clf is a single model.
func ResolveModel(clf Classifier, name string) (string, error) {
	if m, ok := clf.(*Models); ok {
		return m.Resolve(name)
	}
	return name, nil
}

// IsRemote reports whether the model clf uses for spec answers over the network.
func IsRemote(clf Classifier, spec Spec) bool {
	if m, ok := clf.(*Models); ok {
		return m.Remote(spec)
	}
	_, ok := clf.(Remote)
	return ok
}

// Preview previews spec on sample with the model it names (preview.go).
func (m *Models) Preview(spec Spec, sample []SampleText) (*Preview, error) {
	c, err := m.model(spec.Model)
	if err != nil {
		return nil, err
	}
	p, ok := c.(Previewer)
	if !ok {
		return nil, verr("model", "model %q cannot preview (a chat model answers each text on its own: try it with /v1/classify)", spec.Model)
	}
	return p.Preview(spec, sample)
}

// ModelInfo is a configured model as GET /v1/models shows it.
type ModelInfo struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Default bool   `json:"default"`
	Ready   bool   `json:"ready"`
	Dims    int    `json:"dims"`
	Error   string `json:"error"`
	// UsageTokens is what a remote server reported using since the appliance started.
	UsageTokens int64 `json:"usage_tokens"`
}

// pingEvery is how long a remote model's reachability check is reused.
const pingEvery = 10 * time.Second

// Infos describes every model; remote ones are asked whether they answer (a short request,
// at most every pingEvery, within ctx).
func (m *Models) Infos(ctx context.Context) []ModelInfo {
	var out []ModelInfo
	for _, name := range m.Names() {
		e := m.entries[name]
		info := ModelInfo{Name: name, Kind: e.kind, Default: name == m.def, Ready: e.clf != nil}
		if e.err != nil {
			info.Error = e.err.Error()
		}
		if u, ok := e.clf.(UsageCounter); ok {
			info.UsageTokens = u.UsageTokens()
		}
		if p, ok := e.clf.(Remote); ok {
			if err := e.ping(ctx, p); err != nil {
				info.Ready, info.Error = false, err.Error()
			}
		}
		// After the ping: a remote model learns its dimensions from its first answer.
		if d, ok := e.clf.(Dimensioned); ok {
			info.Dims = d.Dims()
		}
		out = append(out, info)
	}
	return out
}

func (e *modelEntry) ping(ctx context.Context, p Remote) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if time.Since(e.checked) < pingEvery && !e.checked.IsZero() {
		return e.pingErr
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	e.pingErr = p.Ping(pctx)
	e.checked = time.Now()
	return e.pingErr
}
