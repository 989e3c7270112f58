package wordvec

import "github.com/classer-ai/classer-batch/classify/internal/vec"

// Text vectors of a word model (the built-in or a static one), which the decision layer
// (classify) reads once per text through Reader.

// Reader returns a function that reads texts one at a time with its own scratch space (one
// goroutine's): it writes text's unit vector into v and returns the number of known words
// (0: v is all zero) and of tokens; uniform weighs every word alike instead of by SIF. If
// rows is not nil it also appends each known word's row (the corpus fit's word weights are
// looked up by row: one tokenisation serves both). With v nil it only appends the rows of
// text's known words, with the word tokenizer.
func (b *Model) Reader() func(text string, v []float32, uniform bool, rows *[]int32) (known, tokens int) {
	t := &tokenizer{buf: make([]byte, 0, 64)}
	return func(text string, v []float32, uniform bool, rows *[]int32) (int, int) {
		if v == nil {
			return b.wordRows(t, text, rows)
		}
		return b.embed(t, text, v, uniform, rows)
	}
}

// embed is Reader's text vector.
func (b *Model) embed(t *tokenizer, text string, v []float32, uniform bool, rows *[]int32) (known, tokens int) {
	if b.hf != nil {
		return b.embedTokens(text, v, rows)
	}
	clear(v)
	t.reset(text)
	d := b.dims
	for {
		tok, ok := t.next()
		if !ok {
			break
		}
		tokens++
		row := b.lookup(tok)
		if row < 0 || b.scale[row] == 0 {
			continue
		}
		if rows != nil {
			*rows = append(*rows, row)
		}
		f := b.factor[row]
		if uniform {
			f = b.scale[row]
		}
		q := b.vecs[int(row)*d : int(row)*d+d]
		q = q[:len(v)]
		// Unrolled by 4 (each component's operations are unchanged, so the sum is too).
		// The explicit float32 conversion forbids fusing into an FMA, so results are the
		// same on every architecture, not only run to run.
		j := 0
		if vec.UseAVX2 && len(v) >= 8 {
			j = len(v) &^ 7
			vec.AxpyInt8AVX2(&v[0], &q[0], f, j)
		}
		for ; j+4 <= len(v); j += 4 {
			w := v[j : j+4 : j+4]
			x := q[j : j+4 : j+4]
			w[0] += float32(f * float32(x[0]))
			w[1] += float32(f * float32(x[1]))
			w[2] += float32(f * float32(x[2]))
			w[3] += float32(f * float32(x[3]))
		}
		for ; j < len(v); j++ {
			v[j] += float32(f * float32(q[j]))
		}
		known++
	}
	if known == 0 {
		return 0, tokens
	}
	// Cosines ignore length, so the weighted sum needs no division by the total weight.
	// (Label bias is handled by the post-processed vectors and the per-label calibration in
	// Compile; removing a common component from text vectors here cost macro-F1 on
	// reuters_grain before catch-all labels were scored separately.)
	if !vec.Normalize(v) {
		return 0, tokens
	}
	return known, tokens
}

// embedTokens is embed for a model with a Hugging Face tokenizer: the mean of its token
// rows (each weighs as its vector does: the model's own weighting), normalised.
func (b *Model) embedTokens(text string, v []float32, rows *[]int32) (known, tokens int) {
	clear(v)
	ids := b.hf.tokenize(text, nil)
	d := b.dims
	for _, id := range ids {
		if id < 0 || int(id) >= len(b.scale) || b.scale[id] == 0 {
			continue
		}
		if rows != nil {
			*rows = append(*rows, id)
		}
		q := b.vecs[int(id)*d : int(id)*d+d]
		j := 0
		if vec.UseAVX2 && d >= 8 {
			j = d &^ 7
			vec.AxpyInt8AVX2(&v[0], &q[0], b.factor[id], j)
		}
		axpyRow(v[j:], q[j:], b.factor[id])
		known++
	}
	if known == 0 || !vec.Normalize(v) {
		return 0, len(ids)
	}
	return known, len(ids)
}

// axpyRow adds f times the int8 row q to v.
func axpyRow(v []float32, q []int8, f float32) {
	q = q[:len(v)]
	for j := range v {
		v[j] += float32(f * float32(q[j]))
	}
}

// wordRows appends the rows of text's known words (with the word tokenizer, even for a
// model with its own).
func (b *Model) wordRows(t *tokenizer, text string, rows *[]int32) (known, tokens int) {
	t.reset(text)
	for {
		tok, ok := t.next()
		if !ok {
			return known, tokens
		}
		tokens++
		if r := b.lookup(tok); r >= 0 && b.scale[r] != 0 {
			*rows = append(*rows, r)
			known++
		}
	}
}
