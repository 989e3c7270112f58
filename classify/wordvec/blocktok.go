package wordvec

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"
)

// blockKeys is keys for a text of up to blockMax bytes, with no dependence from one token's
// end to the next one's start in the common case. A first pass classifies every byte at once
// (32 at a time), and from the classes marks the text's boundaries: spaces, and bytes that
// are always a token of their own (ASCII punctuation that cannot join a word, and a joiner,
// ", - . / : '", whose next byte is ASCII and not a letter or digit, except in "..", "--"
// and an abbreviation's final dot). No token crosses a boundary, so the runs between them
// (segments) tokenise independently: a run of ASCII letters and digits, with '-' and '.'
// between two of them and ',' ':' '/' between two digits, is one word, hashed inline; any
// other run (apostrophes, non-ASCII, abbreviations) is tokenised by next, over the text cut
// at the run's end. The result is exactly keys' (TestBlockKeysAgree).
func (b *Model) blockKeys(t *tokenizer, text string) []tokenKey {
	t.reset(text)
	keys := t.keys[:0]
	t.long = t.long[:0]
	n := len(text)
	if n == 0 {
		t.keys = keys
		return keys
	}
	if t.blk == nil {
		t.blk = new(blockScratch)
	}
	s := t.blk
	s.classify(text)
	nw := (n + 63) / 64
	ew, ebits := -1, uint64(0) // the segment-end cursor
	cw, cbits := 0, s.cplx[0]  // the cursor over non-word bytes in segments
	for w := 0; w < nw; w++ {
		nb, punct := s.nonB[w], s.punct[w]
		prev := uint64(0)
		if w > 0 {
			prev = s.nonB[w-1]
		}
		for ev := nb&^(nb<<1|prev>>63) | punct; ev != 0; ev &= ev - 1 {
			bit := bits.TrailingZeros64(ev)
			i := w*64 + bit
			if punct>>bit&1 != 0 {
				key := uint64(text[i])
				h := hashShort(1, key)
				keys = append(keys, tokenKey{h: h, tag: h&^(1<<40-1) | 1<<32, key: key})
				continue
			}
			for ebits == 0 {
				ew++
				ebits = s.endBits(ew, nw)
			}
			e := ew*64 + bits.TrailingZeros64(ebits) + 1
			ebits &= ebits - 1
			for cbits == 0 && cw+1 < nw {
				cw++
				cbits = s.cplx[cw]
			}
			if cbits != 0 && cw*64+bits.TrailingZeros64(cbits) < e {
				keys = t.segmentKeys(keys, text, i, e)
				if cw = e >> 6; cw < nw {
					cbits = s.cplx[cw] &^ (1<<(e&63) - 1)
				} else {
					cw, cbits = nw-1, 0
				}
				continue
			}
			keys = t.plainKey(keys, text, i, e)
		}
	}
	t.keys = keys
	return keys
}

// plainKey appends the key of text[i:e], one word of ASCII letters, digits and inner
// joiners, lowercased.
func (t *tokenizer) plainKey(keys []tokenKey, text string, i, e int) []tokenKey {
	l := e - i
	if l < 8 {
		var x uint64
		switch n := len(text); {
		case i+8 <= n:
			x = binary.LittleEndian.Uint64([]byte(text[i : i+8]))
		case n >= 8:
			x = binary.LittleEndian.Uint64([]byte(text[n-8:])) >> (8 * (i + 8 - n))
		default:
			for k := l - 1; k >= 0; k-- {
				x = x<<8 | uint64(text[i+k])
			}
		}
		mask := uint64(1)<<(8*l) - 1
		key := (x | upperBytes(x)>>2) & mask // 'A'|0x20 == 'a'
		h := hashShort(l, key)
		return append(keys, tokenKey{h: h, tag: h&^(1<<40-1) | uint64(l)<<32, key: key})
	}
	tok := unsafe.Slice(unsafe.StringData(text[i:]), l)
	off := int32(i)
	for _, c := range tok {
		if 'A' <= c && c <= 'Z' {
			off = -int32(len(t.long)) - 1
			start := len(t.long)
			t.long = append(t.long, tok...)
			tok = t.long[start:]
			for k, c := range tok {
				if 'A' <= c && c <= 'Z' {
					tok[k] = c + ('a' - 'A')
				}
			}
			if l == 8 {
				t.long = t.long[:start] // a key holds all of it
			}
			break
		}
	}
	k := tokenKey{}
	k.h, k.tag, k.key = wordKey(tok)
	if l > 8 {
		k.n, k.off = int32(l), off
	}
	return append(keys, k)
}

// segmentKeys appends the keys of the tokens of text[i:e], a segment, by next. Cutting the
// text at e changes none of them: what follows a segment (a space or a boundary character)
// neither continues a word nor a clitic, which is all that next looks ahead for.
func (t *tokenizer) segmentKeys(keys []tokenKey, text string, i, e int) []tokenKey {
	t.s, t.i, t.pend = text[:e], i, 0
	for {
		tok, ok := t.next()
		if !ok {
			break
		}
		keys = t.appendKey(keys, text, tok)
	}
	t.s = text
	return keys
}

// appendKey appends tok's key, tok a token of text from next.
func (t *tokenizer) appendKey(keys []tokenKey, text string, tok []byte) []tokenKey {
	k := tokenKey{}
	k.h, k.tag, k.key = wordKey(tok)
	if len(tok) > 8 {
		k.n = int32(len(tok))
		if p := uintptr(unsafe.Pointer(unsafe.SliceData(tok))) - uintptr(unsafe.Pointer(unsafe.StringData(text))); p < uintptr(min(len(text), math.MaxInt32)) {
			k.off = int32(p) // the text's own bytes
		} else {
			// The tokenizer's buffer, which the next token overwrites.
			k.off = -int32(len(t.long)) - 1
			t.long = append(t.long, tok...)
		}
	}
	return append(keys, k)
}

// blockMax is the longest text blockKeys takes; its scratch space is fixed.
const blockMax = 4096

// blockScratch is blockKeys' scratch space: bit i of word w is the text's byte 64w+i.
type blockScratch struct {
	cls   [blockMax/32 + 1]chunkClasses
	nonB  [blockMax / 64]uint64 // bytes in segments (not boundaries)
	punct [blockMax / 64]uint64 // boundaries that are tokens
	cplx  [blockMax / 64]uint64 // bytes in segments that make it more than one plain word
	tail  [32]byte
}

// chunkClasses are the classes of 32 bytes: bit i is byte i.
type chunkClasses struct {
	word  uint32 // ASCII letters and digits
	digit uint32
	space uint32 // ' ', '\t'..'\r'
	dot   uint32
	dash  uint32
	ccs   uint32 // ',' ':' '/'
	apos  uint32 // '\''
	hi    uint32 // 0x80 and above
}

// classConsts are classes32AVX2's byte constants, each repeated over 32 bytes.
var classConsts = func() (k [12][32]byte) {
	for i, c := range []byte{0x20, 0x60, 0x7b, 0x2f, 0x3a, 0x08, 0x0e, ',', '/', '\'', '.', '-'} {
		for j := range k[i] {
			k[i][j] = c
		}
	}
	return k
}()

// classes32Go is classes32AVX2 in Go: the classes of len(out) chunks of 32 bytes of p.
func classes32Go(p []byte, out []chunkClasses) {
	for k := range out {
		var c chunkClasses
		for i, x := range p[32*k : 32*k+32] {
			bit := uint32(1) << i
			if l := x | 0x20; 'a' <= l && l <= 'z' {
				c.word |= bit
			}
			if '0' <= x && x <= '9' {
				c.word |= bit
				c.digit |= bit
			}
			switch {
			case x == ' ' || '\t' <= x && x <= '\r':
				c.space |= bit
			case x == '.':
				c.dot |= bit
			case x == '-':
				c.dash |= bit
			case x == ',' || x == ':' || x == '/':
				c.ccs |= bit
			case x == '\'':
				c.apos |= bit
			case x >= 0x80:
				c.hi |= bit
			}
		}
		out[k] = c
	}
}

// classes64 are chunkClasses of 64 bytes.
type classes64 struct{ word, digit, space, dot, dash, ccs, apos, hi uint64 }

func (s *blockScratch) classes64(w int) classes64 {
	a, b := &s.cls[2*w], &s.cls[2*w+1]
	return classes64{
		word:  uint64(a.word) | uint64(b.word)<<32,
		digit: uint64(a.digit) | uint64(b.digit)<<32,
		space: uint64(a.space) | uint64(b.space)<<32,
		dot:   uint64(a.dot) | uint64(b.dot)<<32,
		dash:  uint64(a.dash) | uint64(b.dash)<<32,
		ccs:   uint64(a.ccs) | uint64(b.ccs)<<32,
		apos:  uint64(a.apos) | uint64(b.apos)<<32,
		hi:    uint64(a.hi) | uint64(b.hi)<<32,
	}
}

// classify fills s.nonB, s.punct and s.cplx for text (1 to blockMax bytes). The bytes past
// the text's end count as zero bytes: ASCII punctuation, boundaries that end a segment.
func (s *blockScratch) classify(text string) {
	n := len(text)
	p := unsafe.Slice(unsafe.StringData(text), n)
	full, nc := n/32, (n+31)/32
	if full > 0 {
		classes32(p, s.cls[:full])
	}
	if full < nc {
		s.tail = [32]byte{}
		copy(s.tail[:], p[full*32:])
		classes32(s.tail[:], s.cls[full:nc])
	}
	nw := (n + 63) / 64
	if nc < 2*nw {
		s.cls[nc] = chunkClasses{}
	}
	var pr classes64 // before the text: nothing
	c := s.classes64(0)
	for w := range nw {
		var nx classes64 // past the text: zero bytes
		if w+1 < nw {
			nx = s.classes64(w + 1)
		}
		joiner := c.dot | c.dash | c.ccs | c.apos
		nextPlain := ^(c.word|c.hi)>>1 | ^(nx.word|nx.hi)<<63 // the next byte is ASCII, not a letter or digit
		prevDot, nextDot := c.dot<<1|pr.dot>>63, c.dot>>1|nx.dot<<63
		prevDash, nextDash := c.dash<<1|pr.dash>>63, c.dash>>1|nx.dash<<63
		prevHi, prev2Dot := c.hi<<1|pr.hi>>63, c.dot<<2|pr.dot>>62
		alone := joiner & nextPlain &^ (c.dot & (prevDot | nextDot | prevHi | prev2Dot)) &^ (c.dash & (prevDash | nextDash))
		punct := ^(c.word | c.space | joiner | c.hi) | alone
		nonB := ^(c.space | punct)
		if r := n - 64*w; r < 64 {
			punct &= 1<<r - 1
		}
		// Joiners that word keeps inside a word: '-' and '.' between letters or digits, and
		// ',' ':' '/' between digits. A segment of these and letters and digits is one word.
		prevWord, nextWord := c.word<<1|pr.word>>63, c.word>>1|nx.word<<63
		prevDigit, nextDigit := c.digit<<1|pr.digit>>63, c.digit>>1|nx.digit<<63
		inner := (c.dot|c.dash)&prevWord&nextWord | c.ccs&prevDigit&nextDigit
		s.nonB[w], s.punct[w], s.cplx[w] = nonB, punct, nonB&^(c.word|inner)
		pr, c = c, nx
	}
}

// endBits returns the last bytes of segments in word w (none past the text).
func (s *blockScratch) endBits(w, nw int) uint64 {
	if w >= nw {
		return 0
	}
	nb := s.nonB[w]
	next := uint64(0)
	if w+1 < nw {
		next = s.nonB[w+1]
	}
	return nb &^ (nb>>1 | next<<63)
}
