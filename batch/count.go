package batch

import (
	"bytes"
	"context"
	"io"
)

// inputCount is the result of the count pass over an input.
type inputCount struct {
	bytes, lines, tokens int64
	// marks is a sparse index of the input's lines: where a line starts, about every
	// markBytes, so that a page of lines is read without a pass from the start.
	marks []lineMark
	// shards are where the cluster's shards start (Limits.ShardBytes; none when it is 0).
	shards []Shard
	// split are the objects a compressed input's shards were written to (splitter).
	split []string
}

// lineMark says that 0-based line Line starts at byte Offset of the (decompressed) input.
type lineMark struct {
	Line, Offset int64
}

// markBytes is how far apart the line index's marks are: reading one page of lines reads at
// most this much before it. A 5 GB input has about 5,000 marks (80 KB).
const markBytes = 1 << 20

// inputCounter counts an input's non-blank lines and draws its sample (see sampler) from
// the input's bytes in pieces of any size, without decoding JSON. The count pass feeds it
// the stored input; a local upload feeds it the bytes on their way to disk (Runner.
// CountUpload), so a job counted at upload starts without a pass over its input. Both
// give the same counts and the same sample, hence the same fit and results.
//
// Lines are what lineReader returns: split at '\n', without the terminator ('\n' or
// "\r\n"); a final line needs no newline; the first line loses a UTF-8 BOM; a line over
// max bytes counts as a line (it will fail alone) but is neither kept nor sampled.
type inputCounter struct {
	max          int // longest line kept (Limits.maxLineBytes)
	maxTextChars int
	shardBytes   int64
	smp          *sampler
	c            inputCount
	physical     int64 // lines seen, blank ones included

	// The current line while it spans pieces.
	part     []byte
	partSize int64
	tooLong  bool

	head  [4]byte // the stream's first bytes, for plain
	nhead int
}

func newInputCounter(limits Limits, smp *sampler) *inputCounter {
	limits = limits.withDefaults()
	if smp == nil {
		smp = newSampler()
	}
	return &inputCounter{max: limits.maxLineBytes(), maxTextChars: limits.MaxTextChars, shardBytes: limits.ShardBytes, smp: smp}
}

// Write takes the next piece of the input. It never fails.
func (ic *inputCounter) Write(p []byte) (int, error) {
	n := len(p)
	if ic.nhead < len(ic.head) {
		ic.nhead += copy(ic.head[ic.nhead:], p)
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			ic.add(p)
			break
		}
		seg := p[:i+1]
		p = p[i+1:]
		if ic.partSize == 0 { // the whole line is in this piece: no copy
			ic.line(seg, int64(len(seg)), false)
			continue
		}
		ic.add(seg)
		ic.line(ic.part, ic.partSize, ic.tooLong)
		ic.part, ic.partSize, ic.tooLong = ic.part[:0], 0, false
	}
	return n, nil
}

// add appends to the current line, keeping at most max+2 bytes of it (the terminator is
// not part of the line): beyond that it is too long and only its size is tracked.
func (ic *inputCounter) add(b []byte) {
	ic.partSize += int64(len(b))
	if ic.tooLong {
		return
	}
	if len(ic.part)+len(b) > ic.max+2 {
		ic.tooLong, ic.part = true, ic.part[:0]
		return
	}
	ic.part = append(ic.part, b...)
}

// line takes one whole line, raw (with its terminator, if any), of size bytes.
func (ic *inputCounter) line(raw []byte, size int64, tooLong bool) {
	if n := len(ic.c.marks); n == 0 || ic.c.bytes-ic.c.marks[n-1].Offset >= markBytes {
		ic.c.marks = append(ic.c.marks, lineMark{Line: ic.physical, Offset: ic.c.bytes})
	}
	if ic.shardBytes > 0 {
		ic.shardBoundary()
	}
	ic.c.bytes += size
	first := ic.physical == 0
	ic.physical++
	data := trimEOL(raw)
	if tooLong || len(data) > ic.max {
		ic.c.lines++
		return
	}
	if first {
		data = bytes.TrimPrefix(data, utf8BOM)
	}
	if isBlank(data) {
		return
	}
	ic.c.lines++
	ic.smp.offer(data, ic.physical-1, ic.maxTextChars)
}

// finish ends the input (a last line without a newline counts) and returns the count.
func (ic *inputCounter) finish() inputCount {
	if ic.partSize > 0 {
		ic.line(ic.part, ic.partSize, ic.tooLong)
		ic.part, ic.partSize, ic.tooLong = ic.part[:0], 0, false
	}
	ic.c.tokens = ic.smp.tokens()
	if ic.shardBytes > 0 {
		if len(ic.c.shards) == 0 { // an empty input is one empty shard: its job still completes
			ic.c.shards = append(ic.c.shards, Shard{})
		}
		ic.c.shards[len(ic.c.shards)-1].End = ic.c.bytes
	}
	return ic.c
}

// shardBoundary starts a shard at the line about to be counted once the current one
// holds shardBytes: shards start on line boundaries and carry the line number and the
// result index they start at, so their results are those of a single run.
func (ic *inputCounter) shardBoundary() {
	n := len(ic.c.shards)
	if n > 0 && ic.c.bytes-ic.c.shards[n-1].Offset < ic.shardBytes {
		return
	}
	if n > 0 {
		ic.c.shards[n-1].End = ic.c.bytes
	}
	ic.c.shards = append(ic.c.shards, Shard{Offset: ic.c.bytes, Line: ic.physical, Index: ic.c.lines})
}

// plain reports whether the stream so far does not start like a gzip or zstd file: the
// count of a compressed upload's raw bytes means nothing (the count pass at start
// decompresses).
func (ic *inputCounter) plain() bool {
	head := ic.head[:ic.nhead]
	return !bytes.HasPrefix(head, gzipMagic) && !bytes.HasPrefix(head, zstdMagic)
}

// countInput counts non-blank lines in one streaming pass and estimates their
// tokens from a sample (see sampler), so requests_total and estimated_tokens are
// known before processing starts. smp, if not nil, receives the sample (the job's
// fit uses it).
func countInput(ctx context.Context, src io.Reader, limits Limits, smp *sampler) (inputCount, error) {
	limits = limits.withDefaults()
	ic := newInputCounter(limits, smp)
	buf := make([]byte, limits.ReadBuffer)
	for {
		if err := ctx.Err(); err != nil {
			return ic.c, err
		}
		n, err := src.Read(buf)
		ic.Write(buf[:n])
		if err == io.EOF {
			return ic.finish(), nil
		}
		if err != nil {
			return ic.c, err
		}
	}
}
