package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/classer-ai/classer-batch/classify"
)

// Chat is a model that classifies each text by asking a chat-completion server with the
// OpenAI API (kind openai-chat): POST {url}/v1/chat/completions, with a prompt built from the
// labels, descriptions, examples and text_type, temperature 0. The answer is constrained by
// a JSON schema whose label is an enum of the labels (response_format, which vLLM, Ollama
// and llama.cpp's server support); a server that refuses response_format is asked again
// without it, and the answer must then be a bare label. Confidence is the probability the
// server's logprobs give the answer's tokens when it returns them; without logprobs it is
// 1 (the server gave no probability: read it as "the model's answer", not as a calibrated
// value). Chat models do not fit a corpus.
type Chat struct {
	c     *client
	words Tokenizer
	// noSchema is set once the server refused response_format.
	noSchema atomic.Bool
}

// Tokenizer counts a text's tokens (the built-in word model, classify/wordvec, does).
type Tokenizer interface {
	Tokens(text string) int
}

// chatTries is how often a text whose answer is not a label is asked again.
const chatTries = 3

// NewChat returns the model; words counts a text's tokens (the built-in model).
func NewChat(cfg Config, words Tokenizer) *Chat {
	return &Chat{c: newClient(cfg), words: words}
}

var (
	_ classify.Classifier   = (*Chat)(nil)
	_ classify.Remote       = (*Chat)(nil)
	_ classify.UsageCounter = (*Chat)(nil)
)

// UsageTokens is how many tokens the server reported using.
func (c *Chat) UsageTokens() int64 { return c.c.tokens.Load() }

// Tokens counts a text's tokens with words (the server's own count is in UsageTokens).
func (c *Chat) Tokens(text string) int { return c.words.Tokens(text) }

// Compile implements Classifier.
func (c *Chat) Compile(spec classify.Spec) (classify.Model, error) {
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		return nil, err
	}
	return &chatModel{c: c, spec: spec, system: chatPrompt(spec)}, nil
}

// Ping asks the server for a one-token answer: whether it answers now.
func (c *Chat) Ping(ctx context.Context) error {
	var ans chatAnswer
	return c.c.post(ctx, "/v1/chat/completions", map[string]any{"model": c.c.cfg.Model, "max_tokens": 1,
		"messages": []map[string]string{{"role": "user", "content": "ping"}}}, &ans, nil)
}

// chatPrompt is the system message: the task, the labels with their descriptions and
// examples, and what kind of texts these are.
func chatPrompt(spec classify.Spec) string {
	var b strings.Builder
	if spec.Mode == classify.ModeMulti {
		b.WriteString("You classify texts. Answer with every label below that applies to the text (possibly none), exactly as written.\n")
	} else {
		b.WriteString("You classify texts. Answer with the one label below that fits the text best, exactly as written.\n")
	}
	if spec.TextType != "" {
		fmt.Fprintf(&b, "The texts are %s.\n", spec.TextType)
	}
	b.WriteString("\nLabels:\n")
	for _, l := range spec.Labels {
		fmt.Fprintf(&b, "- %s", l)
		if d := spec.Descriptions[l]; d != "" {
			fmt.Fprintf(&b, ": %s", d)
		}
		b.WriteByte('\n')
		for _, ex := range spec.Examples[l] {
			fmt.Fprintf(&b, "  example: %q\n", ex)
		}
	}
	if spec.Mode == classify.ModeMulti {
		b.WriteString("\nReply with JSON: {\"labels\": [...]}.")
	} else {
		b.WriteString("\nReply with JSON: {\"label\": \"...\"}.")
	}
	return b.String()
}

type chatModel struct {
	c      *Chat
	spec   classify.Spec
	system string
}

var _ classify.ContextModel = (*chatModel)(nil)

func (m *chatModel) Concurrency() int { return m.c.c.cfg.MaxConcurrency }

func (m *chatModel) Classify(texts []string, out []classify.Result) {
	if err := m.ClassifyContext(context.Background(), texts, out); err != nil {
		classify.FailAll(out, err)
	}
}

// ClassifyContext asks the server about every text, as many at once as the server allows.
// A text whose answer is not a label after chatTries asks fails alone; a server that does
// not answer after the client's retries fails the call.
func (m *chatModel) ClassifyContext(ctx context.Context, texts []string, out []classify.Result) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, text := range texts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := m.one(ctx, text)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel() // the server is failing: stop asking
				}
				mu.Unlock()
				return
			}
			out[i] = r
		}()
	}
	wg.Wait()
	return first
}

type chatAnswer struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		Logprobs *struct {
			Content []struct {
				Token   string  `json:"token"`
				Logprob float64 `json:"logprob"`
			} `json:"content"`
		} `json:"logprobs"`
	} `json:"choices"`
}

// one classifies one text: nil error with a Result (Err set if no ask gave a label), or the
// error of a server that did not answer.
func (m *chatModel) one(ctx context.Context, text string) (classify.Result, error) {
	tokens := m.c.words.Tokens(text)
	var lastAnswer string
	for range chatTries {
		body := map[string]any{
			"model":       m.c.c.cfg.Model,
			"temperature": 0,
			"logprobs":    true,
			"messages": []map[string]string{
				{"role": "system", "content": m.system},
				{"role": "user", "content": text},
			},
		}
		useSchema := !m.c.noSchema.Load()
		if useSchema {
			body["response_format"] = chatSchema(m.spec)
		}
		var ans chatAnswer
		err := m.c.c.post(ctx, "/v1/chat/completions", body, &ans, func() error {
			if len(ans.Choices) == 0 {
				return fmt.Errorf("%w: no choices", errBadAnswer)
			}
			return nil
		})
		var re *classify.RemoteError
		if useSchema && errors.As(err, &re) && re.Status >= 400 && re.Status < 500 && strings.Contains(strings.ToLower(re.Message), "response_format") {
			m.c.noSchema.Store(true) // this server has no structured output: ask again without
			continue
		}
		if err != nil {
			return classify.Result{}, err
		}
		ch := ans.Choices[0]
		lastAnswer = ch.Message.Content
		conf := 1.0
		if ch.Logprobs != nil && len(ch.Logprobs.Content) > 0 {
			var lp float64
			for _, t := range ch.Logprobs.Content {
				lp += t.Logprob
			}
			conf = math.Exp(lp)
		}
		if r, ok := m.parse(lastAnswer, conf, tokens); ok {
			return r, nil
		}
	}
	return classify.Result{Err: fmt.Sprintf("the model's answer %q is not one of the labels", classify.Cut(lastAnswer, 200)), Tokens: tokens}, nil
}

// parse reads an answer: the JSON the schema asks for, or a bare label (quotes, spaces and a
// final period aside), matched case-insensitively.
func (m *chatModel) parse(content string, conf float64, tokens int) (classify.Result, bool) {
	content = strings.TrimSpace(content)
	find := func(s string) (string, bool) {
		s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "\"'`."))
		for _, l := range m.spec.Labels {
			if strings.EqualFold(l, s) {
				return l, true
			}
		}
		return "", false
	}
	conf = classify.Round4(min(max(conf, 0), 1))
	if m.spec.Mode == classify.ModeMulti {
		var j struct {
			Labels []string `json:"labels"`
		}
		var names []string
		if json.Unmarshal([]byte(content), &j) == nil && j.Labels != nil {
			names = j.Labels
		} else {
			names = strings.Split(content, ",")
			if content == "" || strings.EqualFold(content, "none") {
				names = nil
			}
		}
		out := []classify.LabelScore{}
		for _, n := range names {
			l, ok := find(n)
			if !ok {
				return classify.Result{}, false
			}
			out = append(out, classify.LabelScore{Label: l, Confidence: conf})
		}
		return classify.Result{Labels: out, Tokens: tokens}, true
	}
	var j struct {
		Label string `json:"label"`
	}
	if json.Unmarshal([]byte(content), &j) == nil && j.Label != "" {
		content = j.Label
	}
	l, ok := find(content)
	if !ok {
		return classify.Result{}, false
	}
	return classify.Result{Label: l, Confidence: conf, Tokens: tokens}, true
}

// chatSchema is the response_format that constrains the answer to the labels.
func chatSchema(spec classify.Spec) map[string]any {
	label := map[string]any{"type": "string", "enum": spec.Labels}
	props := map[string]any{"label": label}
	required := []string{"label"}
	if spec.Mode == classify.ModeMulti {
		props = map[string]any{"labels": map[string]any{"type": "array", "items": label}}
		required = []string{"labels"}
	}
	return map[string]any{"type": "json_schema", "json_schema": map[string]any{
		"name": "classification", "strict": true,
		"schema": map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false},
	}}
}
