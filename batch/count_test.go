package batch

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// countLines is the count pass as it was written before inputCounter, over lineReader:
// the reference inputCounter must agree with.
func countLines(src io.Reader, limits Limits, smp *sampler) (inputCount, error) {
	lr := newLineReader(src, limits.ReadBuffer, limits.maxLineBytes())
	var c inputCount
	for n := 0; ; n++ {
		l, err := lr.next()
		if err == io.EOF {
			c.tokens = smp.tokens()
			return c, nil
		}
		if err != nil {
			return c, err
		}
		c.bytes += l.size
		if n == 0 {
			l.data = bytes.TrimPrefix(l.data, utf8BOM)
		}
		if l.tooLong {
			c.lines++
			continue
		}
		if isBlank(l.data) {
			continue
		}
		c.lines++
		smp.offer(l.data, int64(n), limits.MaxTextChars)
	}
}

// chunky returns r's bytes in pieces of random sizes, as a network body arrives.
type chunky struct {
	b   []byte
	rng *rand.Rand
}

func (c *chunky) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.b), 1+c.rng.IntN(300))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// TestInputCounterMatchesLineReader: the same counts and the same sample as the line
// reader's count pass, whatever the pieces the input arrives in: BOM, CRLF, blank and
// whitespace lines, lines over the limit (within one piece and across many), a last line
// without a newline, more lines than the sample holds.
func TestInputCounterMatchesLineReader(t *testing.T) {
	limits := Limits{MaxTextChars: 40, ReadBuffer: 4096}.withDefaults() // maxLineBytes = 240 + 64 KiB
	long := `{"text":"` + strings.Repeat("x", limits.maxLineBytes()) + `"}`
	rng := rand.New(rand.NewPCG(7, 8))
	inputs := []string{
		"",
		"\n",
		`{"text":"one"}`,
		"\xef\xbb\xbf{\"text\":\"bom\"}\r\n \t\n{\"text\":\"two\"}\n\r",
		long + "\n" + `{"text":"after"}` + "\n" + long,
		strings.Repeat(`{"text":"alpha beta"}`+"\n\n", 5000) + `{"text":"last"}`,
	}
	var b strings.Builder
	for i := range 12000 {
		switch rng.IntN(10) {
		case 0:
			b.WriteString("\n")
		case 1:
			b.WriteString("not json\r\n")
		case 2:
			b.WriteString(long[:rng.IntN(len(long))] + "\n")
		default:
			b.WriteString(`{"id":` + strings.Repeat("9", i%7+1) + `,"text":"words ` + strings.Repeat("ab ", rng.IntN(60)) + `"}` + "\n")
		}
	}
	inputs = append(inputs, b.String(), strings.Repeat(`{"text":"a line of some length, repeated"}`+"\n", 100000))
	mostMarks := 0
	for i, in := range inputs {
		wantSmp := newSampler()
		want, err := countLines(strings.NewReader(in), limits, wantSmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, pieces := range []string{"whole", "random"} {
			gotSmp := newSampler()
			var src io.Reader = strings.NewReader(in)
			if pieces == "random" {
				src = &chunky{b: []byte(in), rng: rand.New(rand.NewPCG(uint64(i), 1))}
			}
			got, err := countInput(context.Background(), src, limits, gotSmp)
			if err != nil {
				t.Fatal(err)
			}
			marks := got.marks
			mostMarks = max(mostMarks, len(marks))
			if [3]int64{got.bytes, got.lines, got.tokens} != [3]int64{want.bytes, want.lines, want.tokens} {
				t.Errorf("input %d (%s): count %+v; line reader %+v", i, pieces, got, want)
			}
			if !slices.Equal(gotSmp.items(), wantSmp.items()) {
				t.Errorf("input %d (%s): the sample differs from the line reader's", i, pieces)
			}
			// Every mark names where its line starts.
			starts := []int64{0}
			for k := range len(in) {
				if in[k] == '\n' && k+1 < len(in) {
					starts = append(starts, int64(k+1))
				}
			}
			if len(in) > 0 && (len(marks) == 0 || marks[0] != (lineMark{0, 0})) {
				t.Errorf("input %d (%s): marks %v do not start at line 0", i, pieces, marks)
			}
			for _, m := range marks {
				if m.Line >= int64(len(starts)) || starts[m.Line] != m.Offset {
					t.Errorf("input %d (%s): mark %+v is not where that line starts", i, pieces, m)
				}
			}
		}
	}
	if mostMarks < 3 {
		t.Errorf("no input got more than %d line marks: the index's spacing is not exercised", mostMarks)
	}
}

// TestInputCounterPlain: a gzip or zstd stream is recognised from its first bytes, even
// when they arrive one at a time.
func TestInputCounterPlain(t *testing.T) {
	for _, tc := range []struct {
		head  []byte
		plain bool
	}{
		{[]byte(`{"text":"a"}`), true},
		{nil, true},
		{gzipMagic, false},
		{append(slices.Clone(zstdMagic), 1, 2), false},
		{zstdMagic[:3], true},
	} {
		ic := newInputCounter(Limits{}, nil)
		for _, c := range tc.head {
			ic.Write([]byte{c})
		}
		if ic.plain() != tc.plain {
			t.Errorf("%x: plain = %v, want %v", tc.head, ic.plain(), tc.plain)
		}
	}
}
