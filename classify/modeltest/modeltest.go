// Package modeltest writes small static embedding models in the real file formats
// (Model2Vec directories, word-vector text files) for tests. No weights of any real model
// are involved: the callers choose the vocabulary and the vectors.
package modeltest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Model2Vec writes a Model2Vec directory at dir: config.json, tokenizer.json (a BERT-style
// WordPiece tokenizer over vocab, "[UNK]" included by the caller) and model.safetensors with
// one "embeddings" row per token in dtype "F32", "F16" or "I8" (I8 adds per-row "scales").
func Model2Vec(dir string, vocab []string, vecs [][]float32, dtype string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ids := map[string]int{}
	for i, t := range vocab {
		ids[t] = i
	}
	tok := map[string]any{
		"version":        "1.0",
		"normalizer":     map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer":  map[string]any{"type": "BertPreTokenizer"},
		"post_processor": nil,
		"model":          map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": ids},
	}
	if err := writeJSON(filepath.Join(dir, "tokenizer.json"), tok); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "config.json"), map[string]any{"model_type": "model2vec", "normalize": true, "hidden_dim": len(vecs[0])}); err != nil {
		return err
	}
	n, d := len(vecs), len(vecs[0])
	tensors := map[string]Tensor{}
	switch dtype {
	case "F32":
		b := make([]byte, 0, 4*n*d)
		for _, v := range vecs {
			for _, x := range v {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			}
		}
		tensors["embeddings"] = Tensor{"F32", []int{n, d}, b}
	case "F16":
		b := make([]byte, 0, 2*n*d)
		for _, v := range vecs {
			for _, x := range v {
				b = binary.LittleEndian.AppendUint16(b, FloatToHalf(x))
			}
		}
		tensors["embeddings"] = Tensor{"F16", []int{n, d}, b}
	case "I8":
		b := make([]byte, 0, n*d)
		sc := make([]byte, 0, 4*n)
		for _, v := range vecs {
			var mx float64
			for _, x := range v {
				mx = math.Max(mx, math.Abs(float64(x)))
			}
			s := mx / 127
			if s == 0 {
				s = 1
			}
			for _, x := range v {
				b = append(b, byte(int8(math.Round(float64(x)/s))))
			}
			sc = binary.LittleEndian.AppendUint32(sc, math.Float32bits(float32(s)))
		}
		tensors["embeddings"] = Tensor{"I8", []int{n, d}, b}
		tensors["scales"] = Tensor{"F32", []int{n, 1}, sc}
	default:
		return fmt.Errorf("modeltest: dtype %q", dtype)
	}
	return Safetensors(filepath.Join(dir, "model.safetensors"), tensors)
}

// Tensor is one safetensors tensor.
type Tensor struct {
	Dtype string
	Shape []int
	Data  []byte
}

// Safetensors writes tensors (in name order) in the safetensors format.
func Safetensors(path string, tensors map[string]Tensor) error {
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, name := range names {
		t := tensors[name]
		header[name] = map[string]any{"dtype": t.Dtype, "shape": t.Shape, "data_offsets": []int{len(data), len(data) + len(t.Data)}}
		data = append(data, t.Data...)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(out, h...)
	out = append(out, data...)
	return os.WriteFile(path, out, 0o644)
}

// WordVectors writes a GloVe/fastText text file: "word v1 … vD" lines, with fastText's
// "count dims" first line if header.
func WordVectors(path string, words []string, vecs [][]float32, header bool) error {
	var b strings.Builder
	if header {
		fmt.Fprintf(&b, "%d %d\n", len(words), len(vecs[0]))
	}
	for i, w := range words {
		b.WriteString(w)
		for _, x := range vecs[i] {
			fmt.Fprintf(&b, " %.6f", x)
		}
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// FloatToHalf converts to IEEE 754 half precision (round to nearest even; no subnormals
// below 2^-14, which the tests' vectors do not need).
func FloatToHalf(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23&0xff) - 127 + 15
	mant := bits & 0x7fffff
	switch {
	case exp <= 0:
		return sign
	case exp >= 0x1f:
		return sign | 0x7c00
	}
	h := uint32(exp)<<10 | mant>>13
	rest := mant & 0x1fff
	if rest > 0x1000 || rest == 0x1000 && h&1 == 1 {
		h++
	}
	return sign | uint16(h)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
