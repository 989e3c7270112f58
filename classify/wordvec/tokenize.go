package wordvec

import (
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// The tokenizer follows the Stanford (PTB-style) tokenisation that GloVe 6B was trained on,
// lowercased:
//
//   - words are runs of letters, digits and combining marks; a '-' or '.' between two word
//     characters stays inside the word ("well-known", "3.5", "e.g"), and so do ',' ':' '/'
//     between two digits ("1,000", "10:30", "1986/87"); an abbreviation such as "u.s." keeps
//     its final dot;
//   - English contractions split off their clitic: "don't" -> "do" "n't", "it's" -> "it" "'s",
//     "we're" -> "we" "'re" (also 've 'll 'd 'm, with ' or ’); "can't"/"won't" give two tokens
//     as in PTB ("ca" "n't"), which this tokenizer spells "can" "n't" / "will" "n't" so that
//     the words are found in the vocabulary; other apostrophes inside words stay ("o'neill");
//   - Han, Hiragana and Katakana characters are one token each (no spaces to split on);
//   - every other non-space character is a punctuation or symbol token of its own, except that
//     runs of '.' ("...") and of '-' ("--") are one token;
//   - invisible format characters (soft hyphen, zero-width joiner, BOM) are ignored.
//
// Tokens counts these tokens; it is the number reported as a result's `tokens`.

// tokenizer iterates over the tokens of one text. The zero value is not usable; use reset.
// Its buffer is reused across texts, so tokenising does not allocate once it has grown.
type tokenizer struct {
	s    string
	i    int
	buf  []byte
	pend int // >0: buf[pend:] is a clitic still to be returned

	// Scratch space of Model.keys and embed, reused across texts.
	keys    []tokenKey
	long    []byte
	rows    []int32
	factors []float32
	ids     []int32 // a Hugging Face tokenizer's ids (embedTokens)
	blk     *blockScratch

	// Room for a typical text's tokens, in the same allocation as the tokenizer.
	bufArr     [64]byte
	keysArr    [64]tokenKey
	rowsArr    [64]int32
	factorsArr [64]float32
}

func newTokenizer() *tokenizer {
	t := &tokenizer{}
	t.buf, t.keys, t.rows, t.factors = t.bufArr[:0], t.keysArr[:0], t.rowsArr[:0], t.factorsArr[:0]
	return t
}

func (t *tokenizer) reset(s string) {
	t.s, t.i, t.pend = s, 0, 0
	t.buf = t.buf[:0]
}

// Tokens returns the number of tokens in text (see the tokenizer rules above); it is what
// results' `tokens` field counts. It never fails; an empty text has 0 tokens. It allocates
// one small scratch buffer per call, not per token.
func (b *Model) Tokens(text string) int {
	if b.hf != nil {
		return len(b.hf.tokenize(text, nil))
	}
	t := tokenizer{buf: make([]byte, 0, 64)}
	t.reset(text)
	n := 0
	for {
		if _, ok := t.next(); !ok {
			return n
		}
		n++
	}
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.IsDigit(r)
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return unicode.IsSpace(r)
}

// isIgnorable reports format characters that are invisible and should neither split a word
// nor be a token.
func isIgnorable(r rune) bool {
	return r >= 0x80 && unicode.Is(unicode.Cf, r)
}

// isCJK reports scripts written without spaces, tokenised one character at a time.
func isCJK(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r))
}

func (t *tokenizer) rune(i int) (rune, int) {
	if i >= len(t.s) {
		return -1, 0
	}
	if c := t.s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(t.s[i:])
}

func (t *tokenizer) appendLower(r rune) {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		t.buf = append(t.buf, byte(r))
		return
	}
	t.buf = utf8.AppendRune(t.buf, unicode.ToLower(r))
}

// next returns the next token, lowercased. The slice is valid until the following call and
// must not be written to: it may be the text's own bytes.
func (t *tokenizer) next() ([]byte, bool) {
	if t.pend > 0 {
		tok := t.buf[t.pend:]
		t.pend = 0
		return tok, true
	}
	t.buf = t.buf[:0]
	// Fast path: ASCII spaces, then an ASCII letter or digit starts a word.
	for t.i < len(t.s) && t.s[t.i] == ' ' {
		t.i++
	}
	if t.i < len(t.s) {
		if c := t.s[t.i]; 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' {
			if tok, ok := t.plainWord(); ok {
				return tok, true
			}
			return t.word(), true
		}
	}
	// Skip spaces and ignorable characters.
	var r rune
	var size int
	for {
		r, size = t.rune(t.i)
		if size == 0 {
			return nil, false
		}
		if !isSpace(r) && !isIgnorable(r) {
			break
		}
		t.i += size
	}
	if r < utf8.RuneSelf && !isWordRune(r) {
		// ASCII punctuation is its own lowercase: the token is the text's own bytes.
		j := t.i + 1
		if r == '.' || r == '-' {
			for j < len(t.s) && rune(t.s[j]) == r {
				j++
			}
		}
		tok := t.s[t.i:j]
		t.i = j
		return unsafe.Slice(unsafe.StringData(tok), len(tok)), true
	}
	if !isWordRune(r) || isCJK(r) {
		t.appendLower(r)
		t.i += size
		if r == '.' || r == '-' {
			for t.i < len(t.s) && rune(t.s[t.i]) == r {
				t.buf = append(t.buf, byte(r))
				t.i++
			}
		}
		return t.buf, true
	}
	return t.word(), true
}

// plainWord is word for the common case: a run of ASCII letters and digits at t.i that ends
// the word (at the end of the text, or at an ASCII character that cannot continue it). A
// lowercase one is the text's own bytes, with no copy; one with uppercase letters is lowered
// into t.buf. Otherwise it returns false and leaves t.i alone.
func (t *tokenizer) plainWord() ([]byte, bool) {
	s := t.s
	j := t.i
	var upper uint64 // non-zero: the word has uppercase letters
	// Eight bytes at a time while eight remain: most words end within the first eight.
	for j+8 <= len(s) {
		x := binary.LittleEndian.Uint64([]byte(s[j : j+8]))
		up := upperBytes(x)
		if m := notLowerOrDigit(x) &^ up; m != 0 {
			k := bits.TrailingZeros64(m) // the high bit of the first byte past the word
			upper |= up & (1<<k - 1)
			j += k >> 3
			goto end
		}
		upper |= up
		j += 8
	}
	for ; j < len(s); j++ {
		if c := s[j]; 'A' <= c && c <= 'Z' {
			upper = 1
		} else if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			break
		}
	}
end:
	if !t.endsWord(j) {
		return nil, false // a character that may continue the word (word)
	}
	tok := s[t.i:j]
	t.i = j
	if upper == 0 {
		return unsafe.Slice(unsafe.StringData(tok), len(tok)), true
	}
	buf := append(t.buf[:0], tok...)
	k := 0
	for ; k+8 <= len(buf); k += 8 {
		x := binary.LittleEndian.Uint64(buf[k:])
		binary.LittleEndian.PutUint64(buf[k:], x|upperBytes(x)>>2) // 'A'|0x20 == 'a'
	}
	for ; k < len(buf); k++ {
		if c := buf[k]; 'A' <= c && c <= 'Z' {
			buf[k] = c + ('a' - 'A')
		}
	}
	t.buf = buf
	return buf, true
}

// endsWord reports whether a word of ASCII letters and digits ending before s[j] ends there
// under word's rules: at the end of the text or at an ASCII character that cannot continue it.
func (t *tokenizer) endsWord(j int) bool {
	s := t.s
	if j >= len(s) {
		return true
	}
	switch c := s[j]; {
	case c >= utf8.RuneSelf:
		return false // an ignorable, a letter, a mark or ’: word's full rules
	case c == '-' || c == '.' || c == ',' || c == ':' || c == '/' || c == '\'':
		// These join what follows a word character to the word; anything else ends it.
		return j+1 >= len(s) || s[j+1] < utf8.RuneSelf && !isWordRune(rune(s[j+1]))
	}
	return true
}

// notLowerOrDigit returns the high bit of each byte of x (eight bytes of text, little-endian)
// that is not an ASCII lowercase letter or digit.
func notLowerOrDigit(x uint64) uint64 {
	const high = 0x8080808080808080
	word := (byteRange(x, 'a', 'z') | byteRange(x, '0', '9')) &^ x
	return ^word & high
}

// upperBytes returns the high bit of each byte of x that is an ASCII uppercase letter.
func upperBytes(x uint64) uint64 {
	return byteRange(x, 'A', 'Z') &^ x
}

// byteRange returns the high bit of each byte of x whose low seven bits are in lo..hi (the
// caller clears bytes of 0x80 and above). Each byte's low seven bits plus a constant of at
// most 0x80 stay within the byte, so no carry crosses into the next.
func byteRange(x, lo, hi uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	x7 := x &^ high
	return (x7 + (0x80-lo)*ones) &^ (x7 + (0x80-hi-1)*ones) & high
}

// word scans a word starting at t.i (a word rune) into t.buf and sets t.pend if a clitic
// was split off.
func (t *tokenizer) word() []byte {
	prevDigit := false
	dotted := false // the word contains an inner '.', so a final '.' may be an abbreviation's
	lastSeg := 0    // word characters since the last inner '.'
	for {
		// ASCII fast path: most text is ASCII letters and digits.
		if t.i < len(t.s) {
			c := t.s[t.i]
			if 'a' <= c && c <= 'z' {
				// A run of lowercase letters is copied in one go.
				j := t.i + 1
				for j < len(t.s) && 'a' <= t.s[j] && t.s[j] <= 'z' {
					j++
				}
				t.buf = append(t.buf, t.s[t.i:j]...)
				lastSeg += j - t.i
				t.i = j
				prevDigit = false
				continue
			}
			if l := c | 0x20; 'a' <= l && l <= 'z' {
				t.buf = append(t.buf, l)
				t.i++
				prevDigit = false
				lastSeg++
				continue
			}
			if '0' <= c && c <= '9' {
				t.buf = append(t.buf, c)
				t.i++
				prevDigit = true
				lastSeg++
				continue
			}
		}
		r, size := t.rune(t.i)
		if size == 0 {
			break
		}
		if isIgnorable(r) {
			t.i += size
			continue
		}
		if isWordRune(r) && !isCJK(r) {
			t.appendLower(r)
			t.i += size
			prevDigit = isDigit(r)
			lastSeg++
			continue
		}
		r2, size2 := t.rune(t.i + size)
		next := size2 > 0 && isWordRune(r2) && !isCJK(r2)
		switch r {
		case '-':
			if next {
				t.buf = append(t.buf, '-')
				t.i += size
				prevDigit = false
				continue
			}
		case '.':
			if next {
				t.buf = append(t.buf, '.')
				t.i += size
				dotted, lastSeg, prevDigit = true, 0, false
				continue
			}
			if dotted && lastSeg == 1 && !prevDigit {
				// "u.s." / "e.g.": the final dot belongs to the abbreviation.
				t.buf = append(t.buf, '.')
				t.i += size
			}
		case ',', ':', '/':
			if prevDigit && size2 > 0 && isDigit(r2) {
				t.buf = append(t.buf, byte(r))
				t.i += size
				prevDigit = false
				continue
			}
		case '\'', '’':
			if next {
				if t.clitic(t.i+size, size) {
					return t.buf[:t.pend]
				}
				t.buf = append(t.buf, '\'')
				t.i += size
				prevDigit = false
				continue
			}
		}
		break
	}
	return t.buf
}

// clitic handles an apostrophe at t.i (of asize bytes) followed by letters at j. If the
// letters are an English clitic that ends the word, it records the split, advances t.i past
// the word and returns true.
func (t *tokenizer) clitic(j, asize int) bool {
	// Read up to 3 ASCII letters after the apostrophe; a longer tail is not a clitic.
	var sfx [3]byte
	n := 0
	k := j
	for k < len(t.s) {
		c := t.s[k]
		if c >= utf8.RuneSelf {
			if r, _ := utf8.DecodeRuneInString(t.s[k:]); isWordRune(r) {
				return false
			}
			break
		}
		if !isWordRune(rune(c)) {
			break
		}
		if n == len(sfx) {
			return false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		sfx[n] = c
		n++
		k++
	}
	switch string(sfx[:n]) {
	case "s", "re", "ve", "ll", "d", "m":
		t.pend = len(t.buf)
		t.buf = append(t.buf, '\'')
		t.buf = append(t.buf, sfx[:n]...)
	case "t":
		w := t.buf
		if len(w) < 2 || w[len(w)-1] != 'n' {
			return false
		}
		stem := w[:len(w)-1]
		switch string(stem) {
		case "ca":
			stem = append(stem, 'n')
		case "wo":
			stem = append(stem[:0], "will"...)
		case "sha":
			stem = append(stem[:0], "shall"...)
		}
		// stem may have grown in place (over the 'n' and beyond): rebuild buf from it.
		t.buf = append(stem, "n't"...)
		t.pend = len(stem)
	default:
		return false
	}
	t.i = k
	return true
}
