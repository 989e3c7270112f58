package wordvec

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Static embedding models from files (issue 13, kind "static"): a Model2Vec directory or a
// word-vector text file. Either becomes a *Model like the embedded model: rows quantised
// to int8 per row, under the same decision layer (classify: prototypes, z-scored real-time
// scores, corpus fit, examples head). The word-level parts of the fit (the naive Bayes
// student, preview keywords) use the built-in model's words: the factory pairs them.

// LoadStatic loads the static model at path: a directory holding config.json,
// model.safetensors and tokenizer.json (Model2Vec), or a .vec/.txt word-vector file (GloVe
// or fastText text format, with or without a "count dims" first line). Errors name the
// file and what is wrong with it.
func LoadStatic(path string) (*Model, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return loadModel2Vec(path)
	}
	return loadWordVectors(path)
}

// staticRows is what a loader hands to buildStatic: the vocabulary in row order and each
// row's vector.
type staticRows struct {
	tokens []string
	dims   int
	row    func(i int, dst []float32) // fills dst with row i
	// ranked: rows are in frequency order (word-vector files): words are weighted by SIF
	// from their rank and the vectors are post-processed as modelgen does the built-in's.
	// Otherwise (Model2Vec) every token weighs alike: its vector already carries its weight.
	ranked bool
}

// buildStatic quantises rows into a *Model.
func buildStatic(r staticRows, hf *hfTokenizer) (*Model, error) {
	n, d := len(r.tokens), r.dims
	if n == 0 || d <= 0 || d > 4096 {
		return nil, fmt.Errorf("%d rows of %d dimensions", n, d)
	}
	b := &Model{
		dims:   d,
		table:  newWordTable(n),
		factor: make([]float32, n),
		scale:  make([]float32, n),
		vecs:   make([]int8, n*d),
		ranked: r.ranked,
		zipfN:  float64(n),
		hf:     hf,
	}
	var mean []float64
	var pcs [][]float64
	if r.ranked {
		mean, pcs = topComponents(r, removePCs, 50000)
	}
	v := make([]float32, d)
	h := math.Log(1.78 * b.zipfN)
	for i, tok := range r.tokens {
		r.row(i, v)
		if r.ranked {
			postProcess(v, mean, pcs)
		}
		var mx float32
		for _, x := range v {
			mx = max(mx, float32(math.Abs(float64(x))))
		}
		if _, dup := b.table.getString(tok); !dup {
			b.table.put(tok, int32(i))
		} else {
			b.table.words[i] = tok
		}
		if mx == 0 || (r.ranked && !hasLetter(tok)) {
			continue // no vector (or punctuation of a word-vector file): never counts
		}
		sc := mx / 127
		q := b.vecs[i*d : (i+1)*d]
		for j, x := range v {
			q[j] = int8(math.Round(float64(x / sc)))
		}
		b.scale[i] = sc
		b.factor[i] = sc
		if r.ranked {
			p := 1 / (float64(i+1) * h)
			b.factor[i] = float32(sifA/(sifA+p)) * sc
		}
	}
	b.index = b.table.words
	b.stats = sync.OnceFunc(b.calibStats)
	go b.stats()
	return b, nil
}

// removePCs is how many top principal components are taken out of a word-vector file's
// vectors, as modelgen does for the built-in model (centred first).
const removePCs = 2

// topComponents returns the mean of the first sampleRows rows and their top k principal
// directions (power iteration with deflation, deterministic start).
func topComponents(r staticRows, k, sampleRows int) ([]float64, [][]float64) {
	n, d := min(len(r.tokens), sampleRows), r.dims
	rows := make([][]float64, n)
	mean := make([]float64, d)
	v := make([]float32, d)
	for i := range n {
		r.row(i, v)
		x := make([]float64, d)
		for j := range v {
			x[j] = float64(v[j])
			mean[j] += x[j]
		}
		rows[i] = x
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for _, x := range rows {
		for j := range x {
			x[j] -= mean[j]
		}
	}
	var pcs [][]float64
	for c := range k {
		u := make([]float64, d)
		for j := range u {
			u[j] = 1 / math.Sqrt(float64(d)) * float64(1+(j+c)%3)
		}
		for range 50 {
			next := make([]float64, d)
			for _, x := range rows {
				var s float64
				for j := range x {
					s += x[j] * u[j]
				}
				for j := range x {
					next[j] += s * x[j]
				}
			}
			for _, p := range pcs { // deflate
				var s float64
				for j := range next {
					s += next[j] * p[j]
				}
				for j := range next {
					next[j] -= s * p[j]
				}
			}
			var nn float64
			for _, x := range next {
				nn += x * x
			}
			if nn == 0 {
				break
			}
			nn = math.Sqrt(nn)
			for j := range next {
				next[j] /= nn
			}
			u = next
		}
		pcs = append(pcs, u)
	}
	return mean, pcs
}

// postProcess centres v and takes its projections on pcs out.
func postProcess(v []float32, mean []float64, pcs [][]float64) {
	x := make([]float64, len(v))
	for j := range v {
		x[j] = float64(v[j]) - mean[j]
	}
	for _, p := range pcs {
		var s float64
		for j := range x {
			s += x[j] * p[j]
		}
		for j := range x {
			x[j] -= s * p[j]
		}
	}
	for j := range v {
		v[j] = float32(x[j])
	}
}

// loadWordVectors reads a GloVe or fastText text file: one "word v1 … vD" a line, in
// frequency order, optionally after a "count dims" header. Words are matched lower-cased
// (the first, most frequent, spelling wins).
func loadWordVectors(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var tokens []string
	var data []float32
	d := 0
	seen := map[string]bool{}
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			fields := strings.Split(strings.TrimRight(line, " "), " ")
			if lineNo == 1 && len(fields) == 2 {
				if _, e1 := strconv.Atoi(fields[0]); e1 == nil {
					if dd, e2 := strconv.Atoi(fields[1]); e2 == nil {
						d = dd
						continue // the "count dims" header
					}
				}
			}
			if d == 0 {
				d = len(fields) - 1
			}
			if len(fields) != d+1 {
				return nil, fmt.Errorf("%s line %d: %d values, want %d", path, lineNo, len(fields)-1, d)
			}
			word := strings.ToLower(fields[0])
			if !seen[word] {
				seen[word] = true
				tokens = append(tokens, word)
				for _, s := range fields[1:] {
					x, perr := strconv.ParseFloat(s, 32)
					if perr != nil {
						return nil, fmt.Errorf("%s line %d: %q is not a number", path, lineNo, s)
					}
					data = append(data, float32(x))
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("%s: no word vectors", path)
	}
	return buildStatic(staticRows{tokens: tokens, dims: d, ranked: true,
		row: func(i int, dst []float32) { copy(dst, data[i*d:(i+1)*d]) }}, nil)
}

// loadModel2Vec reads a Model2Vec directory: tokenizer.json (the vocabulary and how texts
// become token ids) and model.safetensors (one row per token id: "embeddings" in F32, F16
// or I8 with per-row "scales"; an optional per-token "weights" multiplies the rows).
func loadModel2Vec(dir string) (*Model, error) {
	tj, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, err
	}
	hf, err := parseHFTokenizer(tj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		return nil, fmt.Errorf("%s: not a Model2Vec directory: %w", dir, err)
	}
	st, err := readSafetensors(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return nil, err
	}
	emb, ok := st["embeddings"]
	if !ok {
		return nil, fmt.Errorf("%s: model.safetensors has no \"embeddings\" tensor", dir)
	}
	if len(emb.shape) != 2 {
		return nil, fmt.Errorf("%s: embeddings have shape %v, want [tokens, dims]", dir, emb.shape)
	}
	n, d := emb.shape[0], emb.shape[1]
	tokens := make([]string, n)
	for tok, id := range hf.vocab {
		if id < 0 || int(id) >= n {
			return nil, fmt.Errorf("%s: tokenizer id %d (%q) is outside the %d embeddings", dir, id, tok, n)
		}
		tokens[id] = tok
	}
	var scales, weights []float32
	if emb.dtype == "I8" {
		s, ok := st["scales"]
		if !ok || s.numel() != n {
			return nil, fmt.Errorf("%s: I8 embeddings need a \"scales\" tensor of %d values", dir, n)
		}
		if scales, err = s.floats(); err != nil {
			return nil, fmt.Errorf("%s: scales: %w", dir, err)
		}
	}
	if w, ok := st["weights"]; ok {
		if w.numel() != n {
			return nil, fmt.Errorf("%s: \"weights\" has %d values, want %d", dir, w.numel(), n)
		}
		if weights, err = w.floats(); err != nil {
			return nil, fmt.Errorf("%s: weights: %w", dir, err)
		}
	}
	row, err := emb.rowReader(d)
	if err != nil {
		return nil, fmt.Errorf("%s: embeddings: %w", dir, err)
	}
	return buildStatic(staticRows{tokens: tokens, dims: d, row: func(i int, dst []float32) {
		row(i, dst)
		f := float32(1)
		if scales != nil {
			f = scales[i]
		}
		if weights != nil {
			f *= weights[i]
		}
		if f != 1 {
			for j := range dst {
				dst[j] *= f
			}
		}
	}}, hf)
}

// tensor is one safetensors tensor: its dtype, shape and raw little-endian data.
type tensor struct {
	dtype string
	shape []int
	data  []byte
}

func (t tensor) numel() int {
	n := 1
	for _, s := range t.shape {
		n *= s
	}
	return n
}

func dtypeSize(dtype string) int {
	switch dtype {
	case "F32":
		return 4
	case "F16", "BF16":
		return 2
	case "I8":
		return 1
	}
	return 0
}

// rowReader returns a function that reads row i of a [n, d] tensor as float32.
func (t tensor) rowReader(d int) (func(i int, dst []float32), error) {
	switch t.dtype {
	case "F32":
		return func(i int, dst []float32) {
			for j := range d {
				dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(t.data[4*(i*d+j):]))
			}
		}, nil
	case "F16":
		return func(i int, dst []float32) {
			for j := range d {
				dst[j] = halfToFloat(binary.LittleEndian.Uint16(t.data[2*(i*d+j):]))
			}
		}, nil
	case "BF16":
		return func(i int, dst []float32) {
			for j := range d {
				dst[j] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(t.data[2*(i*d+j):])) << 16)
			}
		}, nil
	case "I8":
		return func(i int, dst []float32) {
			for j := range d {
				dst[j] = float32(int8(t.data[i*d+j]))
			}
		}, nil
	}
	return nil, fmt.Errorf("dtype %q is not supported (F32, F16, BF16 and I8 are)", t.dtype)
}

// floats returns a float tensor's values.
func (t tensor) floats() ([]float32, error) {
	n := t.numel()
	read, err := t.rowReader(n)
	if err != nil || t.dtype == "I8" {
		return nil, fmt.Errorf("dtype %q is not a float type", t.dtype)
	}
	out := make([]float32, n)
	read(0, out)
	return out, nil
}

// halfToFloat converts an IEEE 754 half-precision number.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		for mant&0x400 == 0 {
			mant <<= 1
			exp--
		}
		exp++
		mant &= 0x3ff
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// readSafetensors reads a .safetensors file: an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the data.
func readSafetensors(path string) (map[string]tensor, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: not a safetensors file: %s", path, fmt.Sprintf(format, args...))
	}
	if len(raw) < 8 {
		return nil, bad("%d bytes", len(raw))
	}
	hl := binary.LittleEndian.Uint64(raw)
	if hl > uint64(len(raw)-8) || hl > 100<<20 {
		return nil, bad("header of %d bytes", hl)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+hl], &header); err != nil {
		return nil, bad("header: %v", err)
	}
	data := raw[8+hl:]
	out := map[string]tensor{}
	for name, h := range header {
		if name == "__metadata__" {
			continue
		}
		var t struct {
			Dtype   string   `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(h, &t); err != nil {
			return nil, bad("tensor %q: %v", name, err)
		}
		ts := tensor{dtype: t.Dtype, shape: t.Shape}
		size := dtypeSize(t.Dtype)
		if size == 0 {
			return nil, fmt.Errorf("%s: tensor %q has dtype %q (F32, F16, BF16 and I8 are supported)", path, name, t.Dtype)
		}
		if t.Offsets[0] < 0 || t.Offsets[1] < t.Offsets[0] || t.Offsets[1] > int64(len(data)) ||
			t.Offsets[1]-t.Offsets[0] != int64(ts.numel()*size) {
			return nil, bad("tensor %q: data_offsets %v do not hold %v × %s", name, t.Offsets, t.Shape, t.Dtype)
		}
		ts.data = data[t.Offsets[0]:t.Offsets[1]]
		out[name] = ts
	}
	if len(out) == 0 {
		return nil, errors.New(path + ": no tensors")
	}
	return out, nil
}
