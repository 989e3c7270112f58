package batch

import (
	"context"

	"github.com/classer-ai/classer-batch/classify"
)

// chunk is a run of consecutive input lines classified together by one worker.
// Its lines are copied into one buffer so a chunk costs a few allocations, not
// one per line, and chunks are recycled by the pipeline that owns them.
type chunk struct {
	job *jobModel

	data  []byte      // the lines' bytes, back to back
	lines []chunkLine // where each line sits in data

	// Filled by process.
	out       []byte // encoded result lines, in order
	completed int64
	failed    int64
	tokens    int64
	firstErr  string
	err       error // the model failed as a whole (a remote server): the run stops

	// Input position after this chunk, for the checkpoint.
	endOffset int64
	endLine   int64

	texts   []string
	recs    []record
	slots   []int // which line each text belongs to
	results []classify.Result
	errs    []string // per line: its error, "" if it parsed
	unesc   []byte   // decoded escaped texts; recs' texts may point into it or data

	done chan struct{}
}

type chunkLine struct {
	start, end int
	lineNo     int64 // 1-based physical line number
	tooLong    bool
}

// jobModel is what every chunk of one job shares.
type jobModel struct {
	ctx          context.Context // the run's: a remote model's calls stop with it
	model        classify.Model
	enc          *resultEncoder
	multi        bool
	maxTextChars int
	maxLineBytes int
}

func newChunk() *chunk { return &chunk{done: make(chan struct{}, 1)} }

func (c *chunk) reset(jm *jobModel) {
	c.job = jm
	c.data = c.data[:0]
	c.lines = c.lines[:0]
	c.out = c.out[:0]
	c.completed, c.failed, c.tokens = 0, 0, 0
	c.firstErr = ""
	c.err = nil
}

func (c *chunk) add(l line, lineNo int64) {
	start := len(c.data)
	c.data = append(c.data, l.data...)
	c.lines = append(c.lines, chunkLine{start: start, end: len(c.data), lineNo: lineNo, tooLong: l.tooLong})
}

// process parses, classifies and encodes the chunk's lines. It runs on a pool worker.
func (c *chunk) process() {
	jm := c.job
	c.texts = c.texts[:0]
	c.slots = c.slots[:0]
	if cap(c.recs) < len(c.lines) {
		c.recs = make([]record, len(c.lines))
	}
	c.recs = c.recs[:len(c.lines)]
	if cap(c.errs) < len(c.lines) {
		c.errs = make([]string, len(c.lines))
	}
	errs := c.errs[:len(c.lines)]
	clear(errs)
	c.unesc = c.unesc[:0]
	for i, cl := range c.lines {
		if cl.tooLong {
			c.recs[i] = record{}
			errs[i] = lineError(cl.lineNo, "line is longer than %d bytes, the longest line that limits.max_text_chars (%d) allows (6 bytes a character, room for \\u escapes, plus 64 KiB for other fields)", jm.maxLineBytes, jm.maxTextChars)
			continue
		}
		rec, err := parseLineBuf(c.data[cl.start:cl.end], jm.maxTextChars, &c.unesc)
		c.recs[i] = rec
		if err != nil {
			errs[i] = lineError(cl.lineNo, "%s", err.Error())
			continue
		}
		// Borrowed, not copied: the texts are used only until process returns, while
		// c.data and c.unesc stay as they are (no per-line allocation on the hot path).
		c.texts = append(c.texts, borrowString(rec.text))
		c.slots = append(c.slots, i)
	}
	if cap(c.results) < len(c.texts) {
		c.results = make([]classify.Result, len(c.texts))
	}
	c.results = c.results[:len(c.texts)]
	if len(c.texts) > 0 {
		if cm, ok := jm.model.(classify.ContextModel); ok {
			clear(c.results)
			if err := cm.ClassifyContext(jm.ctx, c.texts, c.results); err != nil {
				c.err = err
				clear(c.texts)
				clear(c.recs)
				clear(errs)
				return
			}
		} else {
			jm.model.Classify(c.texts, c.results)
		}
	}
	next := 0
	for i, cl := range c.lines {
		index := cl.lineNo - 1
		if errs[i] != "" {
			c.out = appendError(c.out, index, c.recs[i].id, errs[i])
			c.failed++
			if c.firstErr == "" {
				c.firstErr = errs[i]
			}
			continue
		}
		r := &c.results[next]
		next++
		if r.Err != "" { // the model could not answer this text: it fails alone
			msg := lineError(cl.lineNo, "%s", r.Err)
			c.out = appendError(c.out, index, c.recs[i].id, msg)
			c.failed++
			if c.firstErr == "" {
				c.firstErr = msg
			}
			continue
		}
		c.out = jm.enc.appendResult(c.out, index, c.recs[i].id, jm.multi, r)
		c.completed++
		c.tokens += int64(r.Tokens)
	}
	// Drop references to the texts so a recycled chunk does not pin them.
	clear(c.texts)
	clear(c.recs)
	clear(errs)
}
