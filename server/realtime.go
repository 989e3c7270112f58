package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// Real-time endpoints (DESIGN.md §2 "Real-time").

type oneRequest struct {
	specFields
	Text  *string `json:"text"`
	Cache *bool   `json:"cache"` // default true
}

type manyRequest struct {
	specFields
	Texts []string `json:"texts"`
	Cache *bool    `json:"cache"` // default true
}

type classifyResponse struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
	Tokens     int     `json:"tokens"`
	LatencyMS  int64   `json:"latency_ms"`
	Cached     bool    `json:"cached"`
	// LabelExpansions shows what labels without a description were read as (the built-in
	// glossary's words, classify.Expansions); a description replaces a label's expansion.
	LabelExpansions map[string][]string `json:"label_expansions,omitempty"`
}

type tagResponse struct {
	Labels          []classify.LabelScore `json:"labels"`
	Tokens          int                   `json:"tokens"`
	LatencyMS       int64                 `json:"latency_ms"`
	Cached          bool                  `json:"cached"`
	LabelExpansions map[string][]string   `json:"label_expansions,omitempty"`
}

type classifyItem struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
	Tokens     int     `json:"tokens"`
	Cached     bool    `json:"cached"`
}

type tagItem struct {
	Labels []classify.LabelScore `json:"labels"`
	Tokens int                   `json:"tokens"`
	Cached bool                  `json:"cached"`
}

type errorItem struct {
	Error  string `json:"error"`
	Tokens int    `json:"tokens"`
}

type manyResponse struct {
	Results         []any               `json:"results"`
	TotalTokens     int                 `json:"total_tokens"`
	LatencyMS       int64               `json:"latency_ms"`
	LabelExpansions map[string][]string `json:"label_expansions,omitempty"`
}

func (s *Server) handleClassify(c echo.Context) error { return s.realtimeOne(c, classifyOpts) }
func (s *Server) handleTag(c echo.Context) error      { return s.realtimeOne(c, tagOpts) }
func (s *Server) handleClassifyBatch(c echo.Context) error {
	return s.realtimeMany(c, classifyOpts)
}
func (s *Server) handleTagBatch(c echo.Context) error { return s.realtimeMany(c, tagOpts) }

func (s *Server) realtimeOne(c echo.Context, opts specOptions) error {
	start := time.Now()
	var req oneRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	spec, fit, err := s.realtimeSpec(c, req.specFields, opts)
	if err != nil {
		return err
	}
	var text string
	if req.Text != nil {
		text = *req.Text
	}
	if msg := s.checkText(text); msg != "" {
		return validationError("text", "text "+msg)
	}
	if err := s.checkTokens(c); err != nil {
		return err
	}
	answers, err := s.classifyTexts(c.Request().Context(), account(c), spec, fit, []string{text}, req.Cache == nil || *req.Cache)
	if err != nil {
		return err
	}
	a := answers[0]
	if a.res.Err != "" {
		// The model (a remote server) could not answer this text.
		return &apiError{Status: http.StatusBadGateway, Code: "MODEL_ERROR", Message: a.res.Err}
	}
	s.answered(c, 1, a.res.Tokens)
	latency := time.Since(start).Milliseconds()
	if spec.Mode == classify.ModeMulti {
		return writeJSON(c, http.StatusOK, tagResponse{Labels: nonNil(a.res.Labels), Tokens: a.res.Tokens, LatencyMS: latency,
			Cached: a.cached, LabelExpansions: classify.Expansions(spec)})
	}
	return writeJSON(c, http.StatusOK, classifyResponse{Label: a.res.Label, Confidence: a.res.Confidence,
		Tokens: a.res.Tokens, LatencyMS: latency, Cached: a.cached, LabelExpansions: classify.Expansions(spec)})
}

func (s *Server) realtimeMany(c echo.Context, opts specOptions) error {
	start := time.Now()
	var req manyRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	spec, fit, err := s.realtimeSpec(c, req.specFields, opts)
	if err != nil {
		return err
	}
	if len(req.Texts) == 0 || len(req.Texts) > MaxBatchTexts {
		return validationError("texts", fmt.Sprintf("texts must hold 1 to %d texts, got %d", MaxBatchTexts, len(req.Texts)))
	}
	if err := s.checkTokens(c); err != nil {
		return err
	}
	answers, err := s.classifyTexts(c.Request().Context(), account(c), spec, fit, req.Texts, req.Cache == nil || *req.Cache)
	if err != nil {
		return err
	}
	resp := manyResponse{Results: make([]any, len(answers)), LabelExpansions: classify.Expansions(spec)}
	answeredTexts := 0
	for i, a := range answers {
		if a.err == "" && a.res.Err != "" {
			a.err = fmt.Sprintf("texts[%d]: %s", i, a.res.Err)
		}
		switch {
		case a.err != "":
			resp.Results[i] = errorItem{Error: a.err}
		case spec.Mode == classify.ModeMulti:
			resp.Results[i] = tagItem{Labels: nonNil(a.res.Labels), Tokens: a.res.Tokens, Cached: a.cached}
		default:
			resp.Results[i] = classifyItem{Label: a.res.Label, Confidence: a.res.Confidence, Tokens: a.res.Tokens, Cached: a.cached}
		}
		resp.TotalTokens += a.res.Tokens
		if a.err == "" {
			answeredTexts++
		}
	}
	s.answered(c, answeredTexts, resp.TotalTokens)
	resp.LatencyMS = time.Since(start).Milliseconds()
	return writeJSON(c, http.StatusOK, resp)
}

// answered does the bookkeeping of a real-time call that is about to be answered:
// X-Tokens-Used, the key's token window, the account's usage and the throughput metrics.
// Cached answers count their tokens too: the client got the same answer either way.
func (s *Server) answered(c echo.Context, texts, tokens int) {
	s.spendTokens(c, tokens)
	s.recordRealtime(c, tokens)
	s.metrics.realtimeTexts.Add(float64(texts))
	s.metrics.realtimeTokens.Add(float64(tokens))
}

// answer is one text's outcome: a result, or err when the text itself was refused.
type answer struct {
	res    classify.Result
	cached bool
	err    string
}

// classifyTexts answers texts with one compiled model (with fit, the saved classifier's fit,
// or nil): refused texts get err, pairs the account has cached come from the result cache, and
// the rest are classified in a single call. Errors are those of Compile
// (*classify.ValidationError = 422).
func (s *Server) classifyTexts(ctx context.Context, acct string, spec classify.Spec, fit *fitRef, texts []string, useCache bool) ([]answer, error) {
	model, canon, err := s.model(ctx, spec, fit)
	if err != nil {
		return nil, err
	}
	answers := make([]answer, len(texts))
	var todo []int
	for i, t := range texts {
		if msg := s.checkText(t); msg != "" {
			answers[i].err = fmt.Sprintf("texts[%d]: text %s", i, msg)
			continue
		}
		if useCache {
			if r, ok := s.results.Get(resultKey(acct, canon, t)); ok {
				answers[i] = answer{res: r, cached: true}
				continue
			}
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return answers, nil
	}
	in := make([]string, len(todo))
	for j, i := range todo {
		in[j] = texts[i]
	}
	out := make([]classify.Result, len(in))
	if cm, ok := model.(classify.ContextModel); ok {
		if err := cm.ClassifyContext(ctx, in, out); err != nil {
			return nil, err // mapError: a model server that did not answer is a 502
		}
	} else {
		model.Classify(in, out)
	}
	for j, i := range todo {
		answers[i].res = out[j]
		// Fill the cache even when this request opted out: the answer is just as valid
		// for the next caller that allows caching (not a text the model failed on).
		if out[j].Err == "" {
			s.results.Add(resultKey(acct, canon, in[j]), out[j])
		}
	}
	return answers, nil
}

// model returns the compiled model for a validated spec (with fit, fitted with the saved
// classifier's fit), compiling at most once per canonical spec and fit while it stays in the
// LRU. Compiling is the expensive part of a real-time call, so the same labels sent again skip
// it. Two concurrent first calls may both compile; the result is the same, so that race is
// harmless. The key it returns also keys the result cache: answers of one fit are not
// another's.
func (s *Server) model(ctx context.Context, spec classify.Spec, fit *fitRef) (classify.Model, string, error) {
	// encoding/json sorts map keys, so equal specs give equal bytes.
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, "", fmt.Errorf("canonical spec: %w", err)
	}
	canon := string(b)
	if fit != nil {
		canon += "\x00fit of " + fit.job
	}
	if m, ok := s.models.Get(canon); ok {
		return m, canon, nil
	}
	m, err := s.compile(ctx, spec, fit)
	if err != nil {
		return nil, "", fmt.Errorf("compiling spec: %w", err)
	}
	s.models.Add(canon, m)
	return m, canon, nil
}

// fitRef is the fit a real-time call uses: the one its saved classifier version keeps.
type fitRef struct {
	account, name string
	version       int
	job           string   // the batch job that fitted it
	jobThreshold  *float64 // and its threshold
}

// threshold gives spec the threshold of the job whose fit answers the call, when the call
// sets none (sent, nil when not): its confidences are the job's, and so are its labels then
// (/v1/tag's own default, 0.5, would drop the job's labels between 0.3 and 0.5).
func (f *fitRef) threshold(spec *classify.Spec, sent *float64) {
	if f != nil && sent == nil && f.jobThreshold != nil {
		spec.Threshold = f.jobThreshold
	}
}

// realtimeSpec resolves a real-time call's spec and the saved fit that answers it, if any, with
// that fit's job threshold when the call sets none.
func (s *Server) realtimeSpec(c echo.Context, f specFields, opts specOptions) (classify.Spec, *fitRef, error) {
	ctx := c.Request().Context()
	spec, ref, err := s.resolveSpec(ctx, account(c), f, opts)
	if err != nil {
		return classify.Spec{}, nil, err
	}
	fit, err := s.savedFit(ctx, account(c), ref, spec)
	if err != nil {
		return classify.Spec{}, nil, err
	}
	fit.threshold(&spec, f.Threshold)
	return spec, fit, nil
}

// savedFit returns the fit the saved classifier version ref ("name@vN", "" for inline labels)
// keeps, when it was fitted for spec (the same labels, texts, mode and model: a /v1/tag call
// cannot use a single-label job's fit), or nil.
func (s *Server) savedFit(ctx context.Context, account, ref string, spec classify.Spec) (*fitRef, error) {
	if ref == "" {
		return nil, nil
	}
	name, version, _ := store.ParseClassifierRef(ref)
	c, err := s.store.Classifier(ctx, account, name, version)
	if errors.Is(err, batch.ErrNotFound) {
		return nil, nil // deleted since resolveSpec read it: answer with the spec alone
	}
	if err != nil {
		return nil, err
	}
	if c.Fit == nil || c.Fit.For != batch.FitHash(spec) {
		return nil, nil
	}
	return &fitRef{account: account, name: name, version: version, job: c.Fit.Job, jobThreshold: c.Fit.Threshold}, nil
}

// compile compiles spec, with fit's state when there is one the classifier can read. A state
// of another version of the classifier (written before an upgrade) is not an error: the call
// is answered without it, as it would be before any job ran.
func (s *Server) compile(ctx context.Context, spec classify.Spec, fit *fitRef) (classify.Model, error) {
	fitter, ok := s.clf.(classify.Fitter)
	if fit == nil || !ok {
		return s.clf.Compile(spec)
	}
	state, err := s.store.ClassifierFitState(ctx, fit.account, fit.name, fit.version)
	if err != nil {
		return nil, err
	}
	if state == nil {
		return s.clf.Compile(spec)
	}
	m, err := fitter.CompileFitted(spec, state)
	if errors.Is(err, classify.ErrFitState) {
		s.log.Warn("saved classifier's fit is from another classifier version; answering without it",
			"classifier", store.ClassifierRef(fit.name, fit.version), "job_id", fit.job, "err", err)
		return s.clf.Compile(spec)
	}
	return m, err
}

// checkText returns why a text is refused ("is empty", "exceeds N characters"), or "".
func (s *Server) checkText(t string) string {
	if strings.TrimSpace(t) == "" {
		return "is empty"
	}
	if n := utf8.RuneCountInString(t); n > s.cfg.MaxTextChars {
		return fmt.Sprintf("exceeds %d characters (%d)", s.cfg.MaxTextChars, n)
	}
	return ""
}

func nonNil(ls []classify.LabelScore) []classify.LabelScore {
	if ls == nil {
		return []classify.LabelScore{}
	}
	return ls
}
