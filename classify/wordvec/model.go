package wordvec

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// modelFile is the quantised GloVe model written by classify/modelgen (format documented there
// and in parseModel). A string, not a []byte, so the embedded bytes stay immutable.
//
//go:embed model/glove100k.bin
var modelFile string

const (
	// sifA is the SIF smoothing constant a in a/(a+p(w)) (Arora et al. 2017 use 1e-3..1e-4): the
	// smaller it is, the less frequent words count against rare ones. Chosen by leave-one-set-out
	// on the suite's batch macro-F1 (EVAL.md) among 1e-4..3e-3: 4e-4 in 13 of 14 folds; against
	// 1e-3 the mean rose by +0.003 / +0.006 / +0.008 (names / descriptions / text_type), no set
	// lost more than 0.015, and real-time calls gained too. (The reference keeps its own 1e-3.)
	sifA = 4e-4
	// gloveVocab is the vocabulary size of GloVe 6B. The Zipf estimate of p(w) needs the size
	// of the full ranked vocabulary, not of our pruned 100k rows.
	gloveVocab = 400000
	// statsWords is how many of the most frequent words the label-score calibration
	// statistics are computed over (see calibStats). Their frequency weights cover most of
	// the mass of running text; more words only cost load time.
	statsWords = 20000
)

// Model is a word-vector model: the built-in one (GloVe word embeddings embedded in the
// binary, NewBuiltin) or a static model loaded from files (LoadStatic). It holds only
// read-only data once built, so it is safe for concurrent use.
type Model struct {
	dims  int
	table wordTable // word -> row
	index []string  // row -> word (the table's keys)
	vecs  []int8    // rows*dims quantised components
	// factor[row] = scale[row] * sifWeight[row]: multiplying the int8 row by it gives the
	// row's weighted contribution to a sentence sum in one step. Zero for punctuation.
	factor []float32
	// scale[row] dequantises a row without weighting (label names weigh every word alike);
	// zero for punctuation too, so that punctuation never counts.
	scale []float32
	// Calibration statistics (calibStats): the frequency-weighted mean of the unit word
	// vectors and their weighted second-moment matrix (dims*dims, row-major).
	refMean []float64
	refMom  []float64
	// stats computes refMean and refMom once. NewBuiltin starts it in the background (it
	// takes ~60 ms, several times that under the race detector) and Calibration (which the
	// decision layer's Compile calls) waits only if it has not finished; sync.Once orders the
	// writes before reads.
	stats func()

	// ranked: rows are in frequency order, of a vocabulary of zipfN words (SIF weights and
	// the calibration's "random word of running text" come from the rank). Static models
	// without ranks (Model2Vec) weigh every token alike.
	ranked bool
	zipfN  float64
	// hf, when set, tokenises texts into rows (a Model2Vec tokenizer.json); nil: the word
	// tokenizer of tokenize.go, which the built-in model uses.
	hf *hfTokenizer
}

// NewBuiltin parses the embedded model. It returns an error only if the embedded file is
// corrupt, which means a broken build. It takes a few tens of milliseconds; callers create
// one and share it.
func NewBuiltin() (*Model, error) {
	b, err := parseModel(modelFile)
	if err != nil {
		return nil, fmt.Errorf("builtin model: %w", err)
	}
	return b, nil
}

// parseModel reads format version 2 (little-endian; version 1 had the same layout with raw,
// not post-processed, vectors and is refused so that an old file is never mixed with the
// calibration that expects centred ones):
//
//	"GLV2" | uint32 N | uint32 D | N × (uvarint len, word bytes) | N × float32 scale | N*D int8
//
// Row i is the i-th most frequent word; component d of row i is scale[i]*int8[i*D+d]. The
// vectors are centred and have their top principal components removed (modelgen).
func parseModel(s string) (*Model, error) {
	if len(s) < 12 || s[:4] != "GLV2" {
		return nil, errors.New("bad magic")
	}
	n := int(binary.LittleEndian.Uint32([]byte(s[4:8])))
	dims := int(binary.LittleEndian.Uint32([]byte(s[8:12])))
	if n <= 0 || dims <= 0 || n > 1<<24 || dims > 4096 {
		return nil, fmt.Errorf("bad header: %d words, %d dims", n, dims)
	}
	b := &Model{
		dims:   dims,
		table:  newWordTable(n),
		factor: make([]float32, n),
		scale:  make([]float32, n),
		ranked: true,
		zipfN:  gloveVocab,
	}
	off := 12
	punct := make([]bool, n)
	for i := range n {
		l, k := uvarint(s[off:])
		if k <= 0 || l > uint64(len(s)-off-k) {
			return nil, fmt.Errorf("word %d: bad length", i)
		}
		off += k
		// Substrings share the embedded bytes: no copy per word.
		w := s[off : off+int(l)]
		off += int(l)
		b.table.put(w, int32(i))
		punct[i] = !hasLetter(w)
	}
	if len(s)-off != n*4+n*dims {
		return nil, fmt.Errorf("size mismatch: %d bytes left, want %d", len(s)-off, n*4+n*dims)
	}
	h := math.Log(1.78 * gloveVocab) // Zipf: p(rank r) ≈ 1/(r·ln(1.78·V))
	vecOff := off + n*4
	b.vecs = make([]int8, n*dims)
	for i := range b.vecs {
		b.vecs[i] = int8(s[vecOff+i])
	}
	for i := range n {
		if punct[i] {
			continue
		}
		sc := math.Float32frombits(binary.LittleEndian.Uint32([]byte(s[off+4*i : off+4*i+4])))
		p := 1 / (float64(i+1) * h)
		w := sifA / (sifA + p)
		b.scale[i] = sc
		b.factor[i] = float32(w) * sc
	}
	b.index = b.table.words
	b.stats = sync.OnceFunc(b.calibStats)
	go b.stats()
	return b, nil
}

// calibStats computes the reference distribution that label scores are calibrated against
// (classify/realtime.go): a "random word of running text" drawn with probability proportional to its
// weight in a SIF sentence sum, p(w)·a/(a+p(w)), over the statsWords most frequent words.
// It stores the weighted mean m of their unit vectors and the weighted second moment M, so
// that for any unit prototype p the mean cosine is m·p and the variance pᵀMp − (m·p)²,
// in O(D²) per label at Compile time instead of a scan of the vocabulary.
// Sequential float64 sums in a fixed order: the statistics are identical on every load.
//
// A model without ranks weighs every token alike, over a deterministic spread of at most
// statsWords rows (fewer for wide vectors: the cost is rows × dims²).
func (b *Model) calibStats() {
	d := b.dims
	n := min(statsWords, len(b.scale))
	step := 1
	if !b.ranked {
		n = min(len(b.scale), statsWords*100*100/(d*d))
		step = max(1, len(b.scale)/max(n, 1))
	}
	h := math.Log(1.78 * b.zipfN)
	b.refMean = make([]float64, d)
	b.refMom = make([]float64, d*d)
	u := make([]float64, d)
	var total float64
	for k := range n {
		r := k * step
		if r >= len(b.scale) || b.scale[r] == 0 {
			continue
		}
		q := b.vecs[r*d : r*d+d]
		var ss float64
		for j, x := range q {
			u[j] = float64(x)
			ss += float64(u[j] * u[j])
		}
		if ss == 0 {
			continue
		}
		w := 1.0
		if b.ranked {
			p := 1 / (float64(r+1) * h)
			w = p * sifA / (sifA + p)
		}
		total += w
		// Fold the weight and the normalisation into one factor: w·u uᵀ/|u|².
		f := w / ss
		for a := range d {
			b.refMean[a] += float64(w * u[a] / math.Sqrt(ss))
			fa := float64(f * u[a])
			row := b.refMom[a*d : a*d+d]
			for c := a; c < d; c++ {
				row[c] += float64(fa * u[c])
			}
		}
	}
	for a := range d {
		b.refMean[a] /= total
		for c := a; c < d; c++ {
			b.refMom[a*d+c] /= total
			b.refMom[c*d+a] = b.refMom[a*d+c]
		}
	}
}

// uvarint is binary.Uvarint for a string, so parsing does not copy the embedded file.
func uvarint(s string) (uint64, int) {
	var x uint64
	var sh uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<sh, i + 1
		}
		x |= uint64(c&0x7f) << sh
		sh += 7
	}
	return 0, 0
}

func hasLetter(w string) bool {
	for _, r := range w {
		if isWordRune(r) {
			return true
		}
	}
	return false
}

// lookup returns tok's row or -1. Contraction pieces that GloVe's pruned wink vocabulary lacks
// map to the full words they stand for, so "don't" still carries "not".
func (b *Model) lookup(tok []byte) int32 {
	if r := b.table.get(tok); r >= 0 {
		return r
	}
	return b.alias(tok)
}

// alias is lookup for a token that is not in the table.
func (b *Model) alias(tok []byte) int32 {
	var alias string
	switch string(tok) {
	case "n't":
		alias = "not"
	case "'re":
		alias = "are"
	case "'ve":
		alias = "have"
	case "'ll":
		alias = "will"
	case "'m":
		alias = "am"
	case "'d":
		alias = "would"
	default:
		return -1
	}
	return b.table.get([]byte(alias))
}

// wordTable maps words to rows: open addressing with linear probing over a power-of-two
// array of 16-byte slots, at most half full. A slot holds 24 bits of the word's hash, its
// length (capped at 255) and its row, and the word's first 8 bytes: a word of up to 8 bytes
// (most of them) is matched exactly within its slot's cache line; one of 9 to 16 bytes (a
// tenth of a text's tokens) by its last 8 bytes, read from one array at its row; a longer one
// is then compared in full. Exact, like the map it replaces.
type wordTable struct {
	slots []wordSlot
	words []string // row -> word (substrings of the embedded model)
	// last[row]: the last 8 bytes of a word of 9 to 16 bytes (lastBytes). Comparing them is
	// one read, where comparing the word is a read of its string header, then of its bytes.
	last []uint64
	mask uint64
}

type wordSlot struct {
	meta uint64 // hash bits 40..63 | min(len, 255)<<32 | row+1; 0 is empty
	key  uint64 // the word's first 8 bytes, little-endian, zero-padded
}

func newWordTable(n int) wordTable {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return wordTable{slots: make([]wordSlot, size), words: make([]string, n), last: make([]uint64, n), mask: uint64(size - 1)}
}

// lastBytes is the last 8 bytes of w (len(w) >= 8), little-endian.
func lastBytes(w []byte) uint64 {
	return binary.LittleEndian.Uint64(w[len(w)-8:])
}

// wordKey returns w's hash (hashWord's), the tag part of meta (hash bits and length) and the
// first 8 bytes of w. A short word's bytes are read once, for both.
func wordKey(w []byte) (h, tag, key uint64) {
	n := len(w)
	if n >= 8 {
		h, key = hashWord(w), binary.LittleEndian.Uint64(w)
	} else {
		switch {
		case n >= 4:
			// Two overlapping 4-byte reads: the bytes they share are the same.
			key = uint64(binary.LittleEndian.Uint32(w)) | uint64(binary.LittleEndian.Uint32(w[n-4:]))<<(8*(n-4))
		case n > 0:
			key = uint64(w[0]) | uint64(w[n/2])<<(8*(n/2)) | uint64(w[n-1])<<(8*(n-1))
		}
		h = hashShort(n, key)
	}
	return h, h&^(1<<40-1) | uint64(min(n, 255))<<32, key
}

// put maps w to row; a word seen twice keeps its last row, as a map assignment would.
func (t *wordTable) put(w string, row int32) {
	h, tag, key := wordKey(unsafe.Slice(unsafe.StringData(w), len(w)))
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.meta == 0 || s.meta&^0xffffffff == tag && s.key == key && t.words[uint32(s.meta)-1] == w {
			*s = wordSlot{meta: tag | uint64(row+1), key: key}
			t.words[row] = w
			if len(w) > 8 && len(w) <= 16 {
				t.last[row] = lastBytes(unsafe.Slice(unsafe.StringData(w), len(w)))
			}
			return
		}
	}
}

// getString is get for a string, and whether w is in the table.
func (t *wordTable) getString(w string) (int32, bool) {
	r := t.get(unsafe.Slice(unsafe.StringData(w), len(w)))
	return r, r >= 0
}

// get returns w's row or -1.
func (t *wordTable) get(w []byte) int32 {
	h, tag, key := wordKey(w)
	return t.find(h, tag, key, w)
}

// find is get with w's wordKey computed; w is needed only if it is longer than 8 bytes.
func (t *wordTable) find(h, tag, key uint64, w []byte) int32 {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.meta == 0 {
			return -1
		}
		if s.meta&^0xffffffff == tag && s.key == key {
			// The tag holds the length (up to 255) and key the first 8 bytes.
			r := uint32(s.meta) - 1
			if len(w) <= 8 || len(w) <= 16 && t.last[r] == lastBytes(w) || len(w) > 16 && t.words[r] == string(w) {
				return int32(r)
			}
		}
	}
}

// hashWord mixes w 8 bytes at a time (words are short: usually one or two steps).
func hashWord(w []byte) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(w)) * 0xC2B2AE3D27D4EB4F
	for len(w) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(w)) * m
		h ^= h >> 29
		w = w[8:]
	}
	var x uint64
	for i, c := range w {
		x |= uint64(c) << (8 * i)
	}
	return mixTail(h, x)
}

// hashShort is hashWord of a word of n < 8 bytes, little-endian in x.
func hashShort(n int, x uint64) uint64 {
	return mixTail(uint64(n)*0xC2B2AE3D27D4EB4F, x)
}

func mixTail(h, x uint64) uint64 {
	h = (h ^ x) * 0x9E3779B97F4A7C15
	h ^= h >> 32
	h *= 0xD6E8FEB86659FD93
	return h ^ h>>32
}

// Dims is the length of the model's vectors.
func (b *Model) Dims() int { return b.dims }

// Calibration returns the calibration statistics (calibStats): the weighted mean of a
// random word of running text's unit vector and its second moment (dims×dims, row-major).
// The first call right after loading waits for them to be computed.
func (b *Model) Calibration() (mean, mom []float64) {
	b.stats()
	return b.refMean, b.refMom
}

// Vocabulary is the number of rows.
func (b *Model) Vocabulary() int { return len(b.scale) }

// Row returns word's row, or -1 if the model has no such word.
func (b *Model) Row(word string) int32 {
	r, _ := b.table.getString(word)
	return r
}

// Word returns row's word.
func (b *Model) Word(row int32) string { return b.index[row] }

// Weights returns row's SIF-weighted and unweighted dequantisation factors (factor and
// scale above; both zero for punctuation): factor/scale is the word's SIF weight.
func (b *Model) Weights(row int32) (factor, scale float32) { return b.factor[row], b.scale[row] }

// WordVector returns word's vector (dequantised, as the model stores it) and its 0-based
// frequency rank, for tools that work on the raw word vectors (eval's reference).
func (b *Model) WordVector(word string) (vec []float32, rank int, ok bool) {
	r := b.table.get([]byte(word))
	if r < 0 || b.scale[r] == 0 {
		return nil, 0, false
	}
	vec = make([]float32, b.dims)
	for j, x := range b.vecs[int(r)*b.dims : int(r)*b.dims+b.dims] {
		vec[j] = b.scale[r] * float32(x)
	}
	return vec, int(r), true
}
