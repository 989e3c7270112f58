package classify

// WordVectors is a word-vector model (classify/wordvec: the built-in one or a static model
// file) as the decision layer reads it. Its methods are called once per text, never per
// token: the model tokenises and sums inside Reader's function.
type WordVectors interface {
	// Dims is the vectors' length.
	Dims() int
	// Reader returns a readFunc with its own scratch space, for one goroutine.
	Reader() func(text string, v []float32, uniform bool, rows *[]int32) (known, tokens int)
	// Tokens counts text's tokens (results' tokens field).
	Tokens(text string) int
	// Calibration returns the weighted mean of a random word of running text's unit vector
	// and its second moment (dims×dims, row-major), which Compile calibrates scores by.
	Calibration() (mean, mom []float64)
	// Vocabulary is the number of rows; Row returns a word's row (-1: none), Word a row's word.
	Vocabulary() int
	Row(word string) int32
	Word(row int32) string
	// Weights returns a row's SIF-weighted and unweighted dequantisation factors (zero for
	// punctuation): factor/scale is the word's SIF weight.
	Weights(row int32) (factor, scale float32)
}

// readFunc reads one text (WordVectors.Reader): it writes the text's unit vector into v and
// returns the number of known words (0: v is all zero) and of tokens; uniform weighs every
// word alike instead of by SIF; a non-nil rows gets each known word's row appended. With v
// nil it only appends the rows of the text's known words.
type readFunc = func(text string, v []float32, uniform bool, rows *[]int32) (known, tokens int)

// WordClassifier is the decision layer over a word-vector model: real-time scoring
// (realtime.go), the examples head (head.go), the corpus fit and its student (fit.go) and
// preview (preview.go). It holds only read-only data, so it is safe for concurrent use.
type WordClassifier struct {
	w WordVectors
	// words is the model whose vocabulary the corpus fit's word-level student and preview
	// keywords use: w itself for the built-in model, the built-in one for a static model.
	words WordVectors
	dims  int
}

// NewWordClassifier returns the decision layer over w; words is the model whose words the
// corpus fit's student and preview keywords use (w itself, or the built-in model for a
// static model with its own tokens).
func NewWordClassifier(w, words WordVectors) *WordClassifier {
	return &WordClassifier{w: w, words: words, dims: w.Dims()}
}

var (
	_ Classifier   = (*WordClassifier)(nil)
	_ Fitter       = (*WordClassifier)(nil)
	_ VectorSource = (*WordClassifier)(nil)
	_ Dimensioned  = (*WordClassifier)(nil)
	_ Previewer    = (*WordClassifier)(nil)
)

// Tokens implements Classifier with the model's tokenizer.
func (b *WordClassifier) Tokens(text string) int { return b.w.Tokens(text) }

// Dims is the length of the model's vectors.
func (b *WordClassifier) Dims() int { return b.dims }

// WordModel implements VectorSource: the model whose words the student uses.
func (b *WordClassifier) WordModel() WordVectors { return b.words }

// vectorAndWords writes text's vector into v and appends to rows the rows of its words in
// the word model (b.words), which the corpus fit's student reads: one pass for the built-in
// model, a second one (wordRead, b.words' reader) for a static model with its own tokens.
func (b *WordClassifier) vectorAndWords(read, wordRead readFunc, text string, v []float32, rows *[]int32) (known, tokens int) {
	if wordRead == nil {
		return read(text, v, false, rows)
	}
	known, tokens = read(text, v, false, nil)
	wordRead(text, nil, false, rows)
	return known, tokens
}

// wordReader returns b.words' reader for vectorAndWords: nil when b reads its own words.
func (b *WordClassifier) wordReader() readFunc {
	if b.words == b.w {
		return nil
	}
	return b.words.Reader()
}

func known(words, _ int) bool { return words > 0 }
