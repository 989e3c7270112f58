package wordvec

import (
	"golang.org/x/text/unicode/norm"
	"math/bits"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// The WordPiece hot path of a static model (issue 23): the vocabulary in a hash table of
// its bytes instead of a map of strings, and BERT's normalise-and-split done in one pass
// over ASCII text with no allocation. Token ids are exactly those of the general path
// (hfTokenizer.normalize, split, then wordPiece on each piece); TestWordPieceSameIDs holds
// them to it.

// pieceTable maps a vocabulary piece's bytes to its id: open addressing over FNV-1a
// hashes, which wordPieceModel.encode computes for every prefix of a word in one pass.
type pieceTable struct {
	slots  []pieceSlot // a power of two, at most half full
	shift  uint        // 64 − log2(len(slots))
	keys   string      // every key, back to back
	maxLen int         // the longest key's bytes: no longer substring is looked up
}

// pieceSlot holds a key's first eight bytes, so that a piece of up to eight bytes (most of
// them) is compared without reading keys: one cache miss a look-up, not two.
type pieceSlot struct {
	k8     uint64 // the key's first eight bytes, little-endian, zero-padded
	h32    uint32 // the hash's top half, made odd: 0 is an empty slot
	off, n uint32 // the key is keys[off:off+n]
	id     int32
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h | 1
}

// first8 is s's first eight bytes as pieceSlot.k8 holds them.
func first8(s string) uint64 {
	var v uint64
	for i := 0; i < len(s) && i < 8; i++ {
		v |= uint64(s[i]) << (8 * i)
	}
	return v
}

func newPieceTable(m map[string]int32) *pieceTable {
	size := 16
	for size < 2*len(m) {
		size *= 2
	}
	t := &pieceTable{slots: make([]pieceSlot, size), shift: uint(64 - bits.Len(uint(size-1)))}
	var keys []byte
	for k, id := range m {
		h := fnvString(k)
		i := t.slot(h)
		for t.slots[i].h32 != 0 {
			i = (i + 1) & (len(t.slots) - 1)
		}
		t.slots[i] = pieceSlot{k8: first8(k), h32: uint32(h>>32) | 1, off: uint32(len(keys)), n: uint32(len(k)), id: id}
		keys = append(keys, k...)
		t.maxLen = max(t.maxLen, len(k))
	}
	t.keys = string(keys)
	return t
}

// slot is h's first slot: the top bits of a multiplicative mix, since FNV's low bits of
// short keys are poorly spread.
func (t *pieceTable) slot(h uint64) int {
	return int((h * 0x9E3779B97F4A7C15) >> t.shift)
}

// get looks key up by its hash (fnvString's, or the same computed incrementally) and
// first eight bytes (first8's).
func (t *pieceTable) get(h, k8 uint64, key string) (int32, bool) {
	mask := len(t.slots) - 1
	h32 := uint32(h>>32) | 1
	for i := t.slot(h); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.h32 == 0 {
			return 0, false
		}
		if s.h32 == h32 && s.k8 == k8 && int(s.n) == len(key) && (len(key) <= 8 || t.keys[s.off+8:s.off+s.n] == key[8:]) {
			return s.id, true
		}
	}
}

// wordPieceModel is the greedy longest-match-first WordPiece of BERT: a word longer than
// maxChars, or one that cannot be split into vocabulary pieces, is the unknown token.
type wordPieceModel struct {
	vocab    *pieceTable
	cont     *pieceTable // the continuation pieces without their prefix
	maxChars int
	unk      int32
	hasUnk   bool
	// punct[c]: the ids of the ASCII punctuation mark c as a word of its own (-1: none),
	// which the ASCII path appends without a lookup.
	punct [128]int32
}

// hashRun bounds the prefix hashes encode keeps on its stack; a piece longer than this
// (no real vocabulary has one) is hashed on its own.
const hashRun = 64

// encode appends word's piece ids to ids.
func (w *wordPieceModel) encode(word string, ids []int32) []int32 {
	if len(word) > w.maxChars && utf8.RuneCountInString(word) > w.maxChars {
		if w.hasUnk {
			ids = append(ids, w.unk)
		}
		return ids
	}
	start := len(ids)
	var hs [hashRun]uint64
	var k8s [8]uint64 // k8s[i]: first8 of the candidate of i+1 bytes (8 and more: of 8)
	for pos := 0; pos < len(word); {
		t := w.vocab
		if pos > 0 {
			t = w.cont
		}
		// Every end is tried, longest first. The general algorithm steps back one rune at a
		// time; the ends it skips fall inside a valid multi-byte rune, where the substring is
		// not valid UTF-8 and so equals no piece: the first match is the same.
		lim := min(len(word), pos+t.maxLen)
		h, k8 := uint64(fnvOffset), uint64(0)
		for i := pos; i < lim && i-pos < hashRun; i++ {
			h = (h ^ uint64(word[i])) * fnvPrime
			hs[i-pos] = h | 1
			if i-pos < 8 {
				k8 |= uint64(word[i]) << (8 * (i - pos))
				k8s[i-pos] = k8
			}
		}
		found := int32(-1)
		for end := lim; end > pos; end-- {
			var h uint64
			if end-pos <= hashRun {
				h = hs[end-pos-1]
			} else {
				h = fnvString(word[pos:end])
			}
			if id, ok := t.get(h, k8s[min(end-pos, 8)-1], word[pos:end]); ok {
				found, pos = id, end
				break
			}
		}
		if found < 0 {
			ids = ids[:start]
			if w.hasUnk {
				ids = append(ids, w.unk)
			}
			return ids
		}
		ids = append(ids, found)
	}
	return ids
}

// Byte classes of BERT's normaliser and pre-tokeniser for the ASCII path.
const (
	bcWord  = iota // a letter or digit: part of a word, unchanged but for case
	bcUpper        // an upper-case letter
	bcSpace        // ' ', \t, \n, \r: ends a word (with or without clean_text)
	bcPunct        // ASCII punctuation: a word of its own
	bcOther        // non-ASCII, or a control character: its word goes through bertRunes
)

var bertByteClass = func() (c [256]uint8) {
	for i := range c {
		switch b := byte(i); {
		case b >= utf8.RuneSelf || b < 0x20 || b == 0x7f:
			c[i] = bcOther
		case 'A' <= b && b <= 'Z':
			c[i] = bcUpper
		case 'a' <= b && b <= 'z' || '0' <= b && b <= '9':
			c[i] = bcWord
		case b == ' ':
			c[i] = bcSpace
		default:
			c[i] = bcPunct
		}
	}
	for _, b := range []byte{'\t', '\n', '\r'} {
		c[b] = bcSpace
	}
	return c
}()

// bertFast tokenizes text for a BertNormalizer (or none) and BertPreTokenizer in front of
// WordPiece. Both act on each character on its own (clean-up, CJK spacing, lower case; NFD
// and accent stripping do not reach across an ASCII character, which is a starter), so
// text is cut at ASCII spaces and punctuation, which both leave in place as boundaries:
// a word of ASCII letters and digits is lowered on the stack and looked up; any other word
// (non-ASCII, control characters) is normalised and split rune by rune (bertRunes), or
// where that could differ, by the general normaliser and pre-tokeniser on its own.
func (t *hfTokenizer) bertFast(text string, ids []int32) []int32 {
	w := t.wp
	var buf [128]byte
	for i := 0; i < len(text); {
		switch bertByteClass[text[i]] {
		case bcSpace:
			i++
			continue
		case bcPunct:
			if id := w.punct[text[i]]; id >= 0 {
				ids = append(ids, id)
			}
			i++
			continue
		}
		j, upper, other := i, false, false
	scan:
		for ; j < len(text); j++ {
			switch bertByteClass[text[j]] {
			case bcSpace, bcPunct:
				break scan
			case bcUpper:
				upper = true
			case bcOther:
				other = true
			}
		}
		word := text[i:j]
		switch {
		case other:
			var ok bool
			if ids, ok = t.bertRunes(word, ids); !ok {
				for _, p := range t.split(t.normalize(word)) {
					ids = w.encode(p, ids)
				}
			}
		case upper && t.opts.lower && len(word) <= len(buf):
			for k := 0; k < len(word); k++ {
				c := word[k]
				if bertByteClass[c] == bcUpper {
					c += 'a' - 'A'
				}
				buf[k] = c
			}
			// encode keeps nothing of word: the lowered copy may live on the stack.
			ids = w.encode(unsafe.String(&buf[0], len(word)), ids)
		case upper && t.opts.lower:
			ids = w.encode(asciiLower(word), ids)
		default:
			ids = w.encode(word, ids)
		}
		i = j
	}
	return ids
}

func asciiLower(s string) string {
	b := []byte(s)
	for k, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[k] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// bertRunes is BERT's normaliser and pre-tokeniser over word one rune at a time, into a
// stack buffer, encoding each piece. It reports false, leaving ids as they were, where
// that could differ from normalising word whole: no clean_text (which drops invalid UTF-8
// here as there), Hangul (decomposed by rule), a piece longer than the buffer, or a
// combining character that accent stripping keeps (NFD orders those across characters).
func (t *hfTokenizer) bertRunes(word string, ids []int32) ([]int32, bool) {
	o, w := t.opts, t.wp
	if !o.clean {
		return ids, false
	}
	start := len(ids)
	var piece [256]byte
	var one [utf8.UTFMax]byte
	n := 0
	for k := 0; k < len(word); {
		r, size := utf8.DecodeRuneInString(word[k:])
		k += size
		switch {
		case r == 0 || r == utf8.RuneError || unicode.IsControl(r): // (also invalid UTF-8; \t, \n and \r end words before this)
			continue
		case unicode.IsSpace(r):
			ids, n = w.flush(piece[:n], ids), 0
			continue
		}
		cjk := o.chinese && isCJKIdeograph(r)
		if cjk {
			ids, n = w.flush(piece[:n], ids), 0
		}
		if o.lower {
			r = unicode.ToLower(r)
		}
		out := utf8.AppendRune(one[:0], r)
		if o.strip && r >= 0xC0 { // (nothing below À decomposes)
			if r >= 0xAC00 && r <= 0xD7A3 {
				return ids[:start], false // Hangul decomposes by rule, not by table
			}
			if d := norm.NFD.Properties(out).Decomposition(); d != nil {
				out = d // (the tables hold full canonical decompositions)
			}
		}
		for len(out) > 0 {
			d, dsize := utf8.DecodeRune(out)
			b := out[:dsize]
			out = out[dsize:]
			switch {
			case o.strip && d >= 0x300 && unicode.Is(unicode.Mn, d):
				continue
			case o.strip && d >= 0x300 && norm.NFD.Properties(b).CCC() != 0:
				return ids[:start], false
			case unicode.IsSpace(d):
				ids, n = w.flush(piece[:n], ids), 0
			case isBertPunct(d):
				ids, n = w.flush(piece[:n], ids), 0
				ids = w.encode(unsafe.String(&b[0], len(b)), ids)
			case n+len(b) > len(piece):
				return ids[:start], false
			default:
				n += copy(piece[n:], b)
			}
		}
		if cjk {
			ids, n = w.flush(piece[:n], ids), 0
		}
	}
	return w.flush(piece[:n], ids), true
}

// flush encodes a piece of bertRunes's buffer, if it has one.
func (w *wordPieceModel) flush(piece []byte, ids []int32) []int32 {
	if len(piece) == 0 {
		return ids
	}
	return w.encode(unsafe.String(&piece[0], len(piece)), ids)
}
