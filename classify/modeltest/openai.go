package modeltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// OpenAIServer is an HTTP server inside a test that implements POST /v1/embeddings and
// POST /v1/chat/completions as the OpenAI API documents them, for testing the appliance's
// OpenAI-compatible model kinds: no model server can run on the machines these tests run
// on. It holds no model: an embedding is the normalised sum of a pseudo-random vector per
// word (texts that share words are close), and a chat answer is the label from the system
// prompt whose name and description share the most words with the text. Faults can be
// injected for the next requests.
type OpenAIServer struct {
	*httptest.Server
	Dims int

	mu sync.Mutex
	// The next N requests answer 429 (with Retry-After: RetryAfter), 500, a body that is
	// not JSON, or only after SlowBy.
	Fail429, Fail500, Malformed, Slow int
	RetryAfter                        string
	SlowBy                            time.Duration
	// BadDims: texts whose embedding has one dimension too many. NotALabel: texts the chat
	// answers with something that is not a label. NoSchema: refuse response_format (400).
	BadDims, NotALabel map[string]bool
	NoSchema           bool
	// Hold, when set, makes every request wait for it to be closed (or the client to go).
	Hold chan struct{}

	Down atomic.Bool // every request answers 503
	// DownAfter, when positive, makes every request after that many answer 503.
	DownAfter atomic.Int64
	Requests  atomic.Int64 // requests received
	// Calls counts the texts each endpoint was asked about.
	EmbeddedTexts, ChatTexts atomic.Int64
}

// NewOpenAIServer starts a server with dims-dimensional embeddings; the test closes it.
func NewOpenAIServer(dims int) *OpenAIServer {
	s := &OpenAIServer{Dims: dims, BadDims: map[string]bool{}, NotALabel: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// SetFaults changes the faults under the server's lock.
func (s *OpenAIServer) SetFaults(f func(s *OpenAIServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *OpenAIServer) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	s.mu.Lock()
	hold := s.Hold
	fault := ""
	switch {
	case s.Fail429 > 0:
		s.Fail429--
		fault = "429"
	case s.Fail500 > 0:
		s.Fail500--
		fault = "500"
	case s.Malformed > 0:
		s.Malformed--
		fault = "malformed"
	case s.Slow > 0:
		s.Slow--
		fault = "slow"
	}
	retryAfter, slowBy, noSchema := s.RetryAfter, s.SlowBy, s.NoSchema
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if n := s.DownAfter.Load(); s.Down.Load() || n > 0 && s.Requests.Load() > n {
		http.Error(w, `{"error":{"message":"the model is loading"}}`, http.StatusServiceUnavailable)
		return
	}
	switch fault {
	case "429":
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":{"message":"rate limit reached","type":"rate_limit"}}`))
		return
	case "500":
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":{"message":"CUDA out of memory"}}`))
		return
	case "malformed":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data": [ {"embedding": [0.1, `))
		return
	case "slow":
		select {
		case <-time.After(slowBy):
		case <-r.Context().Done():
			return
		}
	}
	var body struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		Messages       []struct{ Role, Content string }
		ResponseFormat json.RawMessage `json:"response_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Model == "" {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":{"message":"invalid request: a model is required"}}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v1/embeddings":
		var input []string
		if json.Unmarshal(body.Input, &input) != nil {
			var one string
			json.Unmarshal(body.Input, &one)
			input = []string{one}
		}
		s.EmbeddedTexts.Add(int64(len(input)))
		type datum struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		}
		out := struct {
			Object string  `json:"object"`
			Data   []datum `json:"data"`
			Model  string  `json:"model"`
			Usage  struct {
				PromptTokens int `json:"prompt_tokens"`
				TotalTokens  int `json:"total_tokens"`
			} `json:"usage"`
		}{Object: "list", Model: body.Model}
		for i, text := range input {
			v := s.Embed(text)
			s.mu.Lock()
			if s.BadDims[text] {
				v = append(v, 0.5)
			}
			s.mu.Unlock()
			out.Data = append(out.Data, datum{"embedding", i, v})
			n := len(strings.Fields(text))
			out.Usage.PromptTokens += n
			out.Usage.TotalTokens += n
		}
		json.NewEncoder(w).Encode(out)
	case "/v1/chat/completions":
		if noSchema && len(body.ResponseFormat) > 0 && string(body.ResponseFormat) != "null" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"message":"response_format is not supported by this server"}}`))
			return
		}
		var system, user string
		for _, m := range body.Messages {
			switch m.Role {
			case "system":
				system = m.Content
			case "user":
				user = m.Content
			}
		}
		s.ChatTexts.Add(1)
		label := chooseLabel(system, user)
		s.mu.Lock()
		notLabel := s.NotALabel[user]
		s.mu.Unlock()
		content := label
		if notLabel {
			content = "I cannot decide"
		}
		if len(body.ResponseFormat) > 0 && string(body.ResponseFormat) != "null" && !notLabel {
			var ans any = map[string]string{"label": label}
			if bytes.Contains(body.ResponseFormat, []byte(`"labels"`)) { // the multi-label schema
				ans = map[string][]string{"labels": {label}}
			}
			b, _ := json.Marshal(ans)
			content = string(b)
		}
		resp := map[string]any{
			"object": "chat.completion",
			"model":  body.Model,
			"choices": []map[string]any{{
				"index":         0,
				"finish_reason": "stop",
				"message":       map[string]string{"role": "assistant", "content": content},
				"logprobs":      map[string]any{"content": []map[string]any{{"token": content, "logprob": -0.105}}},
			}},
			"usage": map[string]int{"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23},
		}
		json.NewEncoder(w).Encode(resp)
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"message":"no such endpoint"}}`))
	}
}

// Embed is the server's embedding of text: the normalised sum of a pseudo-random Gaussian
// vector per lower-cased word.
func (s *OpenAIServer) Embed(text string) []float64 {
	v := make([]float64, s.Dims)
	for _, w := range words(text) {
		h := fnv.New64a()
		h.Write([]byte(w))
		rng := rand.New(rand.NewPCG(h.Sum64(), 1))
		for j := range v {
			v[j] += rng.NormFloat64()
		}
	}
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	if ss > 0 {
		for j := range v {
			v[j] /= math.Sqrt(ss)
		}
	}
	return v
}

func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
}

// chooseLabel reads the "- label: description" lines of the system prompt and returns the
// label that shares the most words with the text (the first on a tie).
func chooseLabel(system, text string) string {
	tw := map[string]bool{}
	for _, w := range words(text) {
		tw[w] = true
	}
	best, bestN := "", -1
	for _, line := range strings.Split(system, "\n") {
		rest, ok := strings.CutPrefix(line, "- ")
		if !ok {
			continue
		}
		name, desc, _ := strings.Cut(rest, ": ")
		n := 0
		for _, w := range words(name + " " + desc) {
			if tw[w] {
				n++
			}
		}
		if n > bestN {
			best, bestN = name, n
		}
	}
	return best
}

// String describes the server for test logs.
func (s *OpenAIServer) String() string { return fmt.Sprintf("fake OpenAI server at %s", s.URL) }

// ClosedURL is an http URL on 127.0.0.1 where nothing listens: a port that was bound and
// released, so a connection to it is refused.
func ClosedURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	return "http://" + addr, nil
}

// WithUserinfo returns rawURL with user:password in it, as an operator may configure a
// model server behind basic auth.
func WithUserinfo(rawURL, user, password string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

// FailingServers are model servers on 127.0.0.1 that fail in every way a remote model can,
// by name: "refused" (nothing listens), "silent" (answers only once hold is closed),
// "failing" (always 500), "malformed" (a 200 whose body is cut off), "keyecho" (a 401
// quoting the API key it was sent, as some servers do) and "redirect" (a 307 to another
// server, which counts the requests that reach it in Redirected).
type FailingServers struct {
	URLs       map[string]string
	Redirected atomic.Int64
	servers    []interface{ Close() }
}

// NewFailingServers starts the servers; the caller closes hold, then the servers.
func NewFailingServers(hold chan struct{}) (*FailingServers, error) {
	closed, err := ClosedURL()
	if err != nil {
		return nil, err
	}
	f := &FailingServers{URLs: map[string]string{"refused": closed}}
	silent := NewOpenAIServer(8)
	silent.Hold = hold
	failing := NewOpenAIServer(8)
	failing.Fail500 = 1 << 30
	malformed := NewOpenAIServer(8)
	malformed.Malformed = 1 << 30
	keyEcho := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"message":"Incorrect API key provided: ` + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + `"}}`))
	}))
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.Redirected.Add(1) }))
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	f.servers = []interface{ Close() }{silent, failing, malformed, keyEcho, target, redirect}
	f.URLs["silent"], f.URLs["failing"], f.URLs["malformed"] = silent.URL, failing.URL, malformed.URL
	f.URLs["keyecho"], f.URLs["redirect"] = keyEcho.URL, redirect.URL
	return f, nil
}

// Close stops the servers (close hold first).
func (f *FailingServers) Close() {
	for _, s := range f.servers {
		s.Close()
	}
}
