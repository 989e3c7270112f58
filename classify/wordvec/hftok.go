package wordvec

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A Hugging Face tokenizer (tokenizer.json), as Model2Vec models ship them: the WordPiece and
// Unigram models, with the normalizers and pre-tokenizers they use. Only what static
// embedding models need is here: text in, token ids out (no offsets, no post-processing:
// Model2Vec drops [CLS]/[SEP] before pooling). An unsupported component is an error at
// load time naming it, never a silent difference.

type hfTokenizer struct {
	normalize func(string) string
	split     func(string) []string // pre-tokenizer: normalized text -> pieces
	encode    func(piece string, ids []int32) []int32
	vocab     map[string]int32
	// wp is the WordPiece model (nil for Unigram); bert: the normaliser is BERT's (or
	// none) and the pre-tokeniser BERT's, so bertFast may run, with the normaliser's opts.
	wp   *wordPieceModel
	bert bool
	opts bertOptions
}

type hfJSON struct {
	Normalizer   json.RawMessage `json:"normalizer"`
	PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	Model        struct {
		Type                    string          `json:"type"`
		UnkToken                string          `json:"unk_token"`
		ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int             `json:"max_input_chars_per_word"`
		Vocab                   json.RawMessage `json:"vocab"`
		UnkID                   *int            `json:"unk_id"`
	} `json:"model"`
}

// parseHFTokenizer reads a tokenizer.json.
func parseHFTokenizer(data []byte) (*hfTokenizer, error) {
	var j hfJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	t := &hfTokenizer{}
	var err error
	if t.normalize, err = hfNormalizer(j.Normalizer); err != nil {
		return nil, fmt.Errorf("tokenizer.json: normalizer: %w", err)
	}
	if t.split, err = hfPreTokenizer(j.PreTokenizer); err != nil {
		return nil, fmt.Errorf("tokenizer.json: pre_tokenizer: %w", err)
	}
	switch j.Model.Type {
	case "WordPiece":
		vocab := map[string]int32{}
		if err := json.Unmarshal(j.Model.Vocab, &vocab); err != nil {
			return nil, fmt.Errorf("tokenizer.json: WordPiece vocab: %w", err)
		}
		t.vocab = vocab
		prefix := "##"
		if j.Model.ContinuingSubwordPrefix != nil {
			prefix = *j.Model.ContinuingSubwordPrefix
		}
		maxChars := j.Model.MaxInputCharsPerWord
		if maxChars <= 0 {
			maxChars = 100
		}
		unk, hasUnk := vocab[j.Model.UnkToken]
		// Continuation pieces by their text without the prefix, so that matching a piece
		// inside a word looks up a substring of it (no allocation).
		cont := map[string]int32{}
		for tok, id := range vocab {
			if rest, ok := strings.CutPrefix(tok, prefix); ok && prefix != "" {
				cont[rest] = id
			}
		}
		w := &wordPieceModel{vocab: newPieceTable(vocab), cont: newPieceTable(cont), maxChars: maxChars, unk: unk, hasUnk: hasUnk}
		for c := range w.punct {
			w.punct[c] = -1
			if bertByteClass[c] == bcPunct {
				if ids := w.encode(string(rune(c)), nil); len(ids) == 1 {
					w.punct[c] = ids[0]
				}
			}
		}
		t.wp, t.encode = w, w.encode
		t.bert, t.opts = bertPipeline(j.Normalizer, j.PreTokenizer)
	case "Unigram":
		var entries [][2]json.RawMessage
		if err := json.Unmarshal(j.Model.Vocab, &entries); err != nil {
			return nil, fmt.Errorf("tokenizer.json: Unigram vocab: %w", err)
		}
		u := &unigram{pieces: map[string]unigramPiece{}, unk: -1}
		t.vocab = map[string]int32{}
		for id, e := range entries {
			var piece string
			var score float64
			if err := json.Unmarshal(e[0], &piece); err != nil {
				return nil, fmt.Errorf("tokenizer.json: Unigram vocab entry %d: %w", id, err)
			}
			if err := json.Unmarshal(e[1], &score); err != nil {
				return nil, fmt.Errorf("tokenizer.json: Unigram vocab entry %d: %w", id, err)
			}
			u.pieces[piece] = unigramPiece{id: int32(id), score: score}
			t.vocab[piece] = int32(id)
			u.maxLen = max(u.maxLen, utf8.RuneCountInString(piece))
			u.minScore = min(u.minScore, score)
		}
		if j.Model.UnkID != nil {
			u.unk = int32(*j.Model.UnkID)
		}
		t.encode = u.encode
	default:
		return nil, fmt.Errorf("tokenizer.json: model type %q is not supported (WordPiece and Unigram are)", j.Model.Type)
	}
	return t, nil
}

// tokenize returns text's token ids.
func (t *hfTokenizer) tokenize(text string, ids []int32) []int32 {
	if t.bert {
		return t.bertFast(text, ids)
	}
	for _, piece := range t.split(t.normalize(text)) {
		ids = t.encode(piece, ids)
	}
	return ids
}

type unigramPiece struct {
	id    int32
	score float64
}

type unigram struct {
	pieces   map[string]unigramPiece
	maxLen   int // in runes
	unk      int32
	minScore float64
}

// encode segments piece by Viterbi over the vocabulary's log-probabilities (SentencePiece's
// unigram model); a character no piece covers is the unknown token (consecutive unknowns
// merge into one, as SentencePiece does).
func (u *unigram) encode(piece string, ids []int32) []int32 {
	runes := []rune(piece)
	n := len(runes)
	if n == 0 {
		return ids
	}
	// best[i]: the best score of a segmentation of runes[:i]; from[i], the start of its
	// last piece; pid[i], that piece's id (-1: the unknown token).
	best := make([]float64, n+1)
	from := make([]int, n+1)
	pid := make([]int32, n+1)
	for i := 1; i <= n; i++ {
		best[i] = math.Inf(-1)
	}
	unkScore := u.minScore - 10
	for i := range n {
		if math.IsInf(best[i], -1) {
			continue
		}
		matched := false
		for l := 1; l <= u.maxLen && i+l <= n; l++ {
			if p, ok := u.pieces[string(runes[i:i+l])]; ok {
				matched = matched || l == 1
				if s := best[i] + p.score; s > best[i+l] {
					best[i+l], from[i+l], pid[i+l] = s, i, p.id
				}
			}
		}
		if !matched { // no single-character piece: this character is unknown
			if s := best[i] + unkScore; s > best[i+1] {
				best[i+1], from[i+1], pid[i+1] = s, i, -1
			}
		}
	}
	var rev []int32
	for i := n; i > 0; i = from[i] {
		rev = append(rev, pid[i])
	}
	prevUnk := false
	for k := len(rev) - 1; k >= 0; k-- {
		id := rev[k]
		if id < 0 {
			if !prevUnk && u.unk >= 0 {
				ids = append(ids, u.unk)
			}
			prevUnk = true
			continue
		}
		prevUnk = false
		ids = append(ids, id)
	}
	return ids
}

// bertOptions are a BertNormalizer's switches.
type bertOptions struct{ clean, chinese, strip, lower bool }

func newBertOptions(clean, chinese, strip, lower *bool) bertOptions {
	o := bertOptions{clean: clean == nil || *clean, chinese: chinese == nil || *chinese, lower: lower == nil || *lower}
	o.strip = o.lower // strip_accents defaults to the value of lowercase
	if strip != nil {
		o.strip = *strip
	}
	return o
}

// bertPipeline reports whether a tokenizer.json's normalizer is BERT's (or none: all
// switches off) and its pre-tokenizer BERT's, what bertFast reproduces, and the switches.
func bertPipeline(normalizer, preTokenizer json.RawMessage) (bool, bertOptions) {
	var p struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(preTokenizer, &p) != nil || p.Type != "BertPreTokenizer" {
		return false, bertOptions{}
	}
	if len(normalizer) == 0 || string(normalizer) == "null" {
		return true, bertOptions{}
	}
	var n struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	}
	if json.Unmarshal(normalizer, &n) != nil || n.Type != "BertNormalizer" {
		return false, bertOptions{}
	}
	return true, newBertOptions(n.CleanText, n.HandleChineseChars, n.StripAccents, n.Lowercase)
}

// hfNormalizer builds a normalizer from its JSON (null: none).
func hfNormalizer(raw json.RawMessage) (func(string) string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return func(s string) string { return s }, nil
	}
	var n struct {
		Type               string            `json:"type"`
		Normalizers        []json.RawMessage `json:"normalizers"`
		CleanText          *bool             `json:"clean_text"`
		HandleChineseChars *bool             `json:"handle_chinese_chars"`
		StripAccents       *bool             `json:"strip_accents"`
		Lowercase          *bool             `json:"lowercase"`
		Pattern            struct {
			String *string `json:"String"`
		} `json:"pattern"`
		Content string `json:"content"`
		Left    *bool  `json:"left"`
		Right   *bool  `json:"right"`
		Prepend string `json:"prepend"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	switch n.Type {
	case "Sequence":
		var fs []func(string) string
		for _, sub := range n.Normalizers {
			f, err := hfNormalizer(sub)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		return func(s string) string {
			for _, f := range fs {
				s = f(s)
			}
			return s
		}, nil
	case "BertNormalizer":
		o := newBertOptions(n.CleanText, n.HandleChineseChars, n.StripAccents, n.Lowercase)
		return func(s string) string { return bertNormalize(s, o.clean, o.chinese, o.strip, o.lower) }, nil
	case "Lowercase":
		return strings.ToLower, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFC":
		return norm.NFC.String, nil
	case "NFKC":
		return norm.NFKC.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "StripAccents":
		return stripAccents, nil
	case "Strip":
		left, right := n.Left == nil || *n.Left, n.Right == nil || *n.Right
		return func(s string) string {
			if left {
				s = strings.TrimLeftFunc(s, unicode.IsSpace)
			}
			if right {
				s = strings.TrimRightFunc(s, unicode.IsSpace)
			}
			return s
		}, nil
	case "Replace":
		if n.Pattern.String == nil {
			return nil, fmt.Errorf("Replace with a regex pattern is not supported (a String pattern is)")
		}
		from, to := *n.Pattern.String, n.Content
		return func(s string) string { return strings.ReplaceAll(s, from, to) }, nil
	case "Prepend":
		p := n.Prepend
		return func(s string) string {
			if s == "" {
				return s
			}
			return p + s
		}, nil
	case "Nmt":
		// SentencePiece's nmt_nfkc control-character cleanup: drop control characters,
		// make other whitespace a space.
		return func(s string) string {
			return strings.Map(func(r rune) rune {
				switch {
				case r == '\t' || r == '\n' || r == '\r' || unicode.IsSpace(r):
					return ' '
				case unicode.IsControl(r) || r == 0xFEFF:
					return -1
				}
				return r
			}, s)
		}, nil
	}
	return nil, fmt.Errorf("normalizer type %q is not supported", n.Type)
}

// bertNormalize is BERT's BasicTokenizer normalization: drop control characters and make
// whitespace a space, put spaces around CJK characters, lower-case and strip accents.
func bertNormalize(s string, clean, chinese, strip, lower bool) string {
	if ascii, out := bertASCII(s, clean, lower); ascii {
		return out // accents and CJK need no work in ASCII text
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case clean && (r == 0 || r == 0xFFFD || (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r')):
			continue
		case clean && unicode.IsSpace(r):
			b.WriteByte(' ')
		case chinese && isCJKIdeograph(r):
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if lower {
		out = strings.ToLower(out)
	}
	if strip {
		out = stripAccents(out)
	}
	return out
}

// stripAccents removes combining marks after canonical decomposition.
func stripAccents(s string) string {
	d := norm.NFD.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, d)
}

func isCJKIdeograph(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0x20000 && r <= 0x2A6DF ||
		r >= 0x2A700 && r <= 0x2B73F || r >= 0x2B740 && r <= 0x2B81F || r >= 0x2B820 && r <= 0x2CEAF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x2F800 && r <= 0x2FA1F
}

// hfPreTokenizer builds a pre-tokenizer from its JSON (null: the whole text is one piece).
func hfPreTokenizer(raw json.RawMessage) (func(string) []string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return func(s string) []string {
			if s == "" {
				return nil
			}
			return []string{s}
		}, nil
	}
	var p struct {
		Type          string            `json:"type"`
		PreTokenizers []json.RawMessage `json:"pretokenizers"`
		Replacement   string            `json:"replacement"`
		AddPrefix     *bool             `json:"add_prefix_space"`
		PrependScheme string            `json:"prepend_scheme"`
		Split         *bool             `json:"split"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	switch p.Type {
	case "Sequence":
		var fs []func(string) []string
		for _, sub := range p.PreTokenizers {
			f, err := hfPreTokenizer(sub)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		return func(s string) []string {
			pieces := []string{s}
			for _, f := range fs {
				var next []string
				for _, x := range pieces {
					next = append(next, f(x)...)
				}
				pieces = next
			}
			return pieces
		}, nil
	case "BertPreTokenizer":
		return splitWordsAndPunct(unicode.IsSpace, isBertPunct), nil
	case "Whitespace":
		// \w+|[^\w\s]+
		return splitWhitespaceRegex, nil
	case "WhitespaceSplit":
		return strings.Fields, nil
	case "Punctuation":
		return splitWordsAndPunct(func(rune) bool { return false }, isBertPunct), nil
	case "Metaspace":
		repl := p.Replacement
		if repl == "" {
			repl = "▁"
		}
		prepend := p.PrependScheme != "never"
		if p.AddPrefix != nil && !*p.AddPrefix {
			prepend = false
		}
		split := p.Split == nil || *p.Split
		return func(s string) []string {
			s = strings.ReplaceAll(s, " ", repl)
			if prepend && !strings.HasPrefix(s, repl) && s != "" {
				s = repl + s
			}
			if !split {
				return []string{s}
			}
			// Split before every replacement character, keeping it with the piece after.
			var out []string
			for len(s) > 0 {
				i := strings.Index(s[len(repl):], repl)
				if i < 0 {
					out = append(out, s)
					break
				}
				out = append(out, s[:len(repl)+i])
				s = s[len(repl)+i:]
			}
			return out
		}, nil
	}
	return nil, fmt.Errorf("pre-tokenizer type %q is not supported", p.Type)
}

// splitWordsAndPunct splits at spaces (dropped) and around punctuation (kept, one
// character each).
func splitWordsAndPunct(space, punct func(rune) bool) func(string) []string {
	return func(s string) []string {
		var out []string
		start := -1
		for i, r := range s {
			switch {
			case space(r):
				if start >= 0 {
					out = append(out, s[start:i])
					start = -1
				}
			case punct(r):
				if start >= 0 {
					out = append(out, s[start:i])
					start = -1
				}
				out = append(out, string(r))
			default:
				if start < 0 {
					start = i
				}
			}
		}
		if start >= 0 {
			out = append(out, s[start:])
		}
		return out
	}
}

// splitWhitespaceRegex is \w+|[^\w\s]+ (word characters: letters, digits, '_').
func splitWhitespaceRegex(s string) []string {
	var out []string
	start, kind := -1, 0 // kind 1: word, 2: other
	word := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }
	for i, r := range s {
		k := 2
		if unicode.IsSpace(r) {
			k = 0
		} else if word(r) {
			k = 1
		}
		if k != kind && start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
		if k != 0 && start < 0 {
			start = i
		}
		kind = k
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// isBertPunct is BERT's punctuation: ASCII symbol ranges and Unicode P* categories.
func isBertPunct(r rune) bool {
	if r >= 33 && r <= 47 || r >= 58 && r <= 64 || r >= 91 && r <= 96 || r >= 123 && r <= 126 {
		return true
	}
	return unicode.IsPunct(r)
}

// bertASCII is bertNormalize for ASCII text, in one pass and one allocation; it reports
// false (and does nothing) for other text.
func bertASCII(s string, clean, lower bool) (bool, string) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false, ""
		}
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case clean && (c == 0 || (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n' && c != '\r'):
			continue
		case clean && (c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'):
			c = ' '
		case lower && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return true, string(b)
}
