package wordvec

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
	"unsafe"

	"github.com/classer-ai/classer-batch/classify/internal/vec"
)

// Text vectors of a word model (the built-in or a static one), which the decision layer
// (classify) reads once per text through Reader.

// Reader returns a function that reads texts one at a time with its own scratch space (one
// goroutine's): it writes text's unit vector into v and returns the number of known words
// (0: v is all zero) and of tokens; uniform weighs every word alike instead of by SIF. If
// rows is not nil it also appends each known word's row (the corpus fit's word weights are
// looked up by row: one tokenisation serves both). With v nil it only appends the rows of
// text's known words, with the word tokenizer.
func (b *Model) Reader() func(text string, v []float32, uniform bool, rows *[]int32) (known, tokens int) {
	t := newTokenizer()
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
		return b.embedTokens(t, text, v, rows)
	}
	clear(v)
	// Tokenise and hash the whole text first, then look every token up, then sum: the
	// look-ups of one text do not depend on each other, so the processor overlaps their
	// cache misses instead of waiting for each in turn. Prefetching every token's slot
	// first starts all the misses before the first look-up waits on its own.
	keys := b.keys(t, text)
	tokens = len(keys)
	b.prefetch(keys)
	found, fs := t.rows[:0], t.factors[:0]
	for i := range keys {
		if row := b.find(t, &keys[i]); row >= 0 && b.scale[row] != 0 {
			f := b.factor[row]
			if uniform {
				f = b.scale[row]
			}
			found, fs = append(found, row), append(fs, f)
		}
	}
	t.rows, t.factors = found, fs
	if rows != nil {
		*rows = append(*rows, found...)
	}
	known = len(found)
	vec.SumRowsInt8(v, b.vecs, b.dims, found, fs)
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
func (b *Model) embedTokens(t *tokenizer, text string, v []float32, rows *[]int32) (known, tokens int) {
	clear(v)
	ids := b.hf.tokenize(text, t.ids[:0])
	t.ids = ids
	found, fs := t.rows[:0], t.factors[:0]
	for _, id := range ids {
		if id < 0 || int(id) >= len(b.scale) || b.scale[id] == 0 {
			continue
		}
		found, fs = append(found, id), append(fs, b.factor[id])
	}
	t.rows, t.factors = found, fs
	if rows != nil {
		*rows = append(*rows, found...)
	}
	vec.SumRowsInt8(v, b.vecs, b.dims, found, fs)
	if len(found) == 0 || !vec.Normalize(v) {
		return 0, len(ids)
	}
	return len(found), len(ids)
}

// wordRows appends the rows of text's known words (with the word tokenizer, even for a
// model with its own).
func (b *Model) wordRows(t *tokenizer, text string, rows *[]int32) (known, tokens int) {
	keys := b.keys(t, text)
	b.prefetch(keys)
	for i := range keys {
		if r := b.find(t, &keys[i]); r >= 0 && b.scale[r] != 0 {
			*rows = append(*rows, r)
			known++
		}
	}
	return known, len(keys)
}

// tokenKey is a token's hash and first bytes (wordKey), and where the token is when the first
// bytes do not hold it all. It holds no pointer, so storing one costs no write barrier.
type tokenKey struct {
	h, tag, key uint64
	// The token, if it is longer than 8 bytes: text[off:off+n] for off >= 0, else
	// tokenizer.long[-off-1:][:n].
	off, n int32
}

// keys tokenises text into t.keys.
func (b *Model) keys(t *tokenizer, text string) []tokenKey {
	if useBlockTokens && len(text) <= blockMax {
		return b.blockKeys(t, text)
	}
	return b.scanKeys(t, text)
}

// scanKeys is keys token by token.
func (b *Model) scanKeys(t *tokenizer, text string) []tokenKey {
	t.reset(text)
	keys := t.keys[:0]
	t.long = t.long[:0]
	for {
		if t.pend == 0 {
			// The commonest tokens, inline: an ASCII word of fewer than 8 bytes whose first
			// eight bytes, read once, give its end, its lowered key and its hash, and a lone
			// ASCII punctuation mark (what next and wordKey give them; anything else goes
			// through next).
			i := t.i
			for i < len(text) && text[i] == ' ' {
				i++
			}
			t.i = i
			if i+8 <= len(text) {
				x := binary.LittleEndian.Uint64([]byte(text[i : i+8]))
				up := upperBytes(x)
				if m := notLowerOrDigit(x) &^ up; m&0x80 == 0 && m != 0 {
					n := bits.TrailingZeros64(m) >> 3
					if t.endsWord(i + n) {
						mask := uint64(1)<<(8*n) - 1
						key := (x | (up&mask)>>2) & mask // 'A'|0x20 == 'a'
						h := hashShort(n, key)
						keys = append(keys, tokenKey{h: h, tag: h&^(1<<40-1) | uint64(n)<<32, key: key})
						t.i = i + n
						continue
					}
				}
			}
			if i < len(text) {
				if c := text[i]; c < utf8.RuneSelf && !isWordRune(rune(c)) && !isSpace(rune(c)) &&
					(c != '.' && c != '-' || i+1 == len(text) || text[i+1] != c) {
					key := uint64(c)
					h := hashShort(1, key)
					keys = append(keys, tokenKey{h: h, tag: h&^(1<<40-1) | 1<<32, key: key})
					t.i = i + 1
					continue
				}
			}
		}
		tok, ok := t.next()
		if !ok {
			break
		}
		keys = t.appendKey(keys, text, tok)
	}
	t.keys = keys
	return keys
}

// prefetch starts fetching the table slots of keys (prefetchSlots).
func (b *Model) prefetch(keys []tokenKey) {
	if len(keys) > 0 {
		prefetchSlots(&b.table.slots[0], b.table.mask, &keys[0].h, unsafe.Sizeof(keys[0]), len(keys))
	}
}

// find is lookup for a tokenKey of text (t.keys).
func (b *Model) find(t *tokenizer, k *tokenKey) int32 {
	if k.n > 0 {
		var w []byte
		if k.off >= 0 {
			w = unsafe.Slice(unsafe.StringData(t.s[k.off:]), k.n)
		} else {
			w = t.long[-k.off-1:][:k.n]
		}
		return b.table.find(k.h, k.tag, k.key, w)
	}
	if r := b.table.find(k.h, k.tag, k.key, nil); r >= 0 {
		return r
	}
	// A short token is all in key: rebuild it for the clitic aliases.
	n := int(k.tag>>32) & 0xff
	var w [8]byte
	binary.LittleEndian.PutUint64(w[:], k.key)
	return b.alias(w[:n])
}
