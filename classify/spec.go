package classify

import "context"

// Spec is the classification spec shared by every endpoint (DESIGN.md §2).
// A Spec is validated once with Validate and then compiled with a Classifier.
type Spec struct {
	Labels       []string            `json:"labels"`
	Descriptions map[string]string   `json:"descriptions,omitempty"`
	Examples     map[string][]string `json:"examples,omitempty"`
	TextType     string              `json:"text_type,omitempty"`
	// Model names a configured model (Models); "" is the default one.
	Model string `json:"model,omitempty"`
	// Mode is "single" (default) or "multi".
	Mode string `json:"mode,omitempty"`
	// Threshold is the multi-label cut-off in 0..1; nil means the endpoint's default
	// (DefaultBatchThreshold for batch multi, DefaultTagThreshold for /v1/tag).
	Threshold *float64 `json:"threshold,omitempty"`
}

const (
	ModeSingle = "single"
	ModeMulti  = "multi"

	DefaultBatchThreshold = 0.3
	DefaultTagThreshold   = 0.5

	MaxLabels     = 200
	MaxLabelChars = 100
)

// ValidationError names the field that is wrong and why. The server maps it to 422.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

// Result is one text's answer. In single mode Label/Confidence are set; in multi mode
// Labels holds the labels at or above the threshold, highest first (possibly empty).
// Confidences are in 0..1 rounded to 4 decimals.
type Result struct {
	Label      string
	Confidence float64
	Labels     []LabelScore
	Tokens     int
	// Err, if set, says why this text got no answer (a remote model's answer could not be
	// used); the text fails alone.
	Err string
}

// LabelScore is one label's confidence in multi mode.
type LabelScore struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
}

// Classifier compiles a validated spec into a Model that classifies chunks of texts.
// Compile returns a *ValidationError when the spec cannot be used.
type Classifier interface {
	Compile(spec Spec) (Model, error)
	// Tokens counts text's tokens with the classifier's tokenizer.
	Tokens(text string) int
}

// Model classifies texts with one compiled spec. It is safe for concurrent use.
// Classify fills out[i] for texts[i]; len(out) == len(texts).
type Model interface {
	Classify(texts []string, out []Result)
}

// ContextModel is a Model that waits on a server (a remote embedding or chat model): its
// calls can be cancelled, and can fail as a whole once the server has not answered after
// bounded retries; a single text it cannot answer gets Result.Err instead. Its Classify
// answers every text with Err when the call fails.
type ContextModel interface {
	Model
	ClassifyContext(ctx context.Context, texts []string, out []Result) error
	// Concurrency is how many calls of it may usefully run at once (the server's limit).
	Concurrency() int
}

// Fitter is implemented by classifiers that adapt to a batch job's own corpus
// (DESIGN.md §4): before classifying, the job draws a sample of its texts and
// calls Fit; the state Fit returns is stored with the job and handed to
// CompileFitted on every run, so a resumed job gives the same answers.
// Real-time calls have no corpus and use Compile.
type Fitter interface {
	// Fit learns what it needs from sample, a deterministic sample of the job's
	// texts, for a normalized spec. The state is opaque to callers.
	Fit(spec Spec, sample []string) (state []byte, err error)
	// CompileFitted is Compile with a state from Fit; a nil state is Compile.
	CompileFitted(spec Spec, state []byte) (Model, error)
}

// SampleText is one text of a batch job's sample with its 0-based line number in the input.
type SampleText struct {
	Index int64  `json:"index"`
	Text  string `json:"text"`
}
