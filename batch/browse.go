package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"unicode/utf8"

	"github.com/classer-ai/classer-batch/classify"
)

// Paged reading of a job's lines with their answers (issue 12: GET /v1/batch/{id}/lines).
// A page never reads a whole file: the input is entered at the line index's mark before the
// page (written when the input was counted: at most markBytes before it), and the results at
// their own index's mark, made by one pass over them the first time a completed job's lines
// are read. Filtering by answer scans the results from the page's start, at most
// browseScan lines per page; the client follows next_offset.

// ResultsIndexKey is the object key of a completed job's results index (index, offset pairs).
func ResultsIndexKey(id string) string { return "jobs/" + id + "/results.idx" }

const (
	// MaxLinesPage is the largest page of lines.
	MaxLinesPage = 500
	// browseScan bounds the results a filtered page looks at before it answers.
	browseScan = 200000
	// browseTextChars cuts each text in a page (the input holds the whole text).
	browseTextChars = 2000
	// browseCheckEvery is how many lines a page reads between looks at its context: a
	// check costs little next to a JSON decode, and a few thousand lines are under a MB.
	browseCheckEvery = 1024
)

// LinesQuery asks for a page of a job's lines: from input line Offset (0-based), at most
// Limit of them; Label and MaxConfidence, if set, keep only lines whose answer has that label
// or a confidence at or below it (a completed job's only).
type LinesQuery struct {
	Offset        int64
	Limit         int
	Label         string
	MaxConfidence *float64
}

// LineView is one non-blank input line: its text (or, for a line that is not a valid input
// record, "" and the error its result gives) and, once the job is completed, its answer.
type LineView struct {
	Index      int64                 `json:"index"`
	ID         json.RawMessage       `json:"id,omitempty"`
	Text       string                `json:"text"`
	Label      string                `json:"label,omitempty"`
	Labels     []classify.LabelScore `json:"labels,omitempty"`
	Error      string                `json:"error,omitempty"`
	Confidence *float64              `json:"confidence,omitempty"`
}

// LinesPage is a page of lines; NextOffset is where the next page starts (nil: the end).
type LinesPage struct {
	Lines      []LineView `json:"lines"`
	NextOffset *int64     `json:"next_offset"`
}

// resultLine is one line of a job's results as the pipeline writes it.
type resultLine struct {
	Index      int64                 `json:"index"`
	ID         json.RawMessage       `json:"id"`
	Label      string                `json:"label"`
	Labels     []classify.LabelScore `json:"labels"`
	Error      string                `json:"error"`
	Confidence *float64              `json:"confidence"`
}

func (q LinesQuery) filtered() bool { return q.Label != "" || q.MaxConfidence != nil }

func (q LinesQuery) keeps(r *resultLine) bool {
	if r.Error != "" {
		return false
	}
	if q.Label != "" {
		has := r.Label == q.Label
		for _, l := range r.Labels {
			has = has || l.Label == q.Label
		}
		if !has {
			return false
		}
	}
	if q.MaxConfidence != nil {
		c := 0.0
		if r.Confidence != nil {
			c = *r.Confidence
		}
		for _, l := range r.Labels {
			c = max(c, l.Confidence)
		}
		if c > *q.MaxConfidence {
			return false
		}
	}
	return true
}

// Lines returns a page of the job's lines. Errors: ErrNoInput before an upload; ErrConflict
// for a filter on a job that is not completed.
func (r *Runner) Lines(ctx context.Context, job *Job, q LinesQuery) (*LinesPage, error) {
	if q.Limit <= 0 || q.Limit > MaxLinesPage {
		q.Limit = MaxLinesPage
	}
	q.Offset = max(q.Offset, 0)
	done := job.Status == StatusCompleted
	if q.filtered() && !done {
		return nil, fmt.Errorf("%w: filtering lines by label or confidence needs the job's answers: wait until it is completed", ErrConflict)
	}
	if _, err := r.blobs.Stat(ctx, job.InputKey); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: upload the job's file first", ErrNoInput)
	} else if err != nil {
		return nil, err
	}
	page := &LinesPage{Lines: []LineView{}}
	// The answers of the page, by line index.
	answers := map[int64]*resultLine{}
	var want []int64 // filtered: the lines to show, in order
	if done {
		next, err := r.scanResults(ctx, job, q, func(rl *resultLine) bool {
			if q.filtered() {
				if !q.keeps(rl) {
					return true
				}
				want = append(want, rl.Index)
			}
			answers[rl.Index] = rl
			return len(answers) < q.Limit
		})
		if err != nil {
			return nil, err
		}
		if q.filtered() {
			page.NextOffset = next
			if len(want) == 0 {
				return page, nil
			}
		}
	}
	views, next, err := r.readLines(ctx, job, q.Offset, q.Limit, want, cutText)
	if err != nil {
		return nil, err
	}
	if !q.filtered() {
		page.NextOffset = next
	}
	for i := range views {
		v := &views[i]
		if a := answers[v.Index]; a != nil {
			v.Label, v.Labels, v.Error, v.Confidence = a.Label, a.Labels, a.Error, a.Confidence
			if v.ID == nil {
				v.ID = a.ID
			}
		}
	}
	page.Lines = append(page.Lines, views...) // [] rather than null for no lines
	return page, nil
}

// scanResults calls fn with each result from the first whose index is at least q.Offset,
// in order, until fn returns false, the results end or browseScan results were read. It
// returns the line index where a next page should start (nil at the end).
func (r *Runner) scanResults(ctx context.Context, job *Job, q LinesQuery, fn func(*resultLine) bool) (*int64, error) {
	marks, err := r.resultMarks(ctx, job)
	if err != nil {
		return nil, err
	}
	start := markBefore(marks, q.Offset)
	rc, err := r.blobs.Open(ctx, job.OutputKey, start.Offset)
	if err != nil {
		return nil, fmt.Errorf("open results: %w", err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 256<<10)
	scanned := 0
	for n := 0; ; n++ {
		// A filtered page may read browseScan results: it stops when the client goes away.
		if n%browseCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var rl resultLine
			if jerr := json.Unmarshal(line, &rl); jerr != nil {
				return nil, fmt.Errorf("read results: %w", jerr)
			}
			if rl.Index >= q.Offset {
				scanned++
				if !fn(&rl) || scanned >= browseScan {
					next := rl.Index + 1
					if _, perr := br.Peek(1); perr == io.EOF {
						return nil, nil
					}
					return &next, nil
				}
			}
		}
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read results: %w", err)
		}
	}
}

// resultMarks loads the results index of a completed job, making it on first use.
func (r *Runner) resultMarks(ctx context.Context, job *Job) ([]lineMark, error) {
	rc, err := r.blobs.Open(ctx, ResultsIndexKey(job.ID), 0)
	if err == nil {
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, fmt.Errorf("load results index: %w", err)
		}
		return decodeMarks(b), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load results index: %w", err)
	}
	rc, err = r.blobs.Open(ctx, job.OutputKey, 0)
	if err != nil {
		return nil, fmt.Errorf("open results: %w", err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 256<<10)
	var marks []lineMark
	var off int64
	for n := 0; ; n++ {
		// The pass reads all the results: it stops when the client goes away (the index is
		// then made by a later page).
		if n%browseCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("read results: a result line is over 256 KiB")
		}
		if len(line) > 0 {
			if n := len(marks); n == 0 || off-marks[n-1].Offset >= markBytes {
				var head struct {
					Index int64 `json:"index"`
				}
				if jerr := json.Unmarshal(line, &head); jerr != nil {
					return nil, fmt.Errorf("read results: %w", jerr)
				}
				marks = append(marks, lineMark{Line: head.Index, Offset: off})
			}
			off += int64(len(line))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read results: %w", err)
		}
	}
	b := encodeMarks(marks)
	if _, err := r.blobs.Put(ctx, ResultsIndexKey(job.ID), bytes.NewReader(b), int64(len(b))); err != nil {
		return nil, fmt.Errorf("store results index: %w", err)
	}
	return marks, nil
}

// readLines reads the job's non-blank input lines from line offset: the first limit of
// them, or, if want is not nil, exactly the lines it lists (ascending). It returns where the
// next page starts (nil at the end of the input). text copies each line's text out of the
// read buffer (cutText for a page; whole texts for the examples of a rerun).
func (r *Runner) readLines(ctx context.Context, job *Job, offset int64, limit int, want []int64, text func([]byte) string) ([]LineView, *int64, error) {
	marks, err := r.marks(ctx, job.ID)
	if err != nil {
		return nil, nil, err
	}
	limits := r.cfg.Limits.withDefaults()
	var out []LineView
	var src io.ReadCloser
	var lr *lineReader
	lineNo := int64(-1) // the number of the next line lr returns
	seek := func(target int64) error {
		m := markBefore(marks, target)
		if lr != nil && lineNo <= target && (m.Line <= lineNo || target-lineNo < 4096) {
			return nil // reading on is no farther than the mark
		}
		if src != nil {
			src.Close()
		}
		src, err = openInput(ctx, pinned{r.blobs, job.InputVersion}, job.InputKey, m.Offset, limits)
		if err != nil {
			return fmt.Errorf("open input: %w", err)
		}
		lr = newLineReader(src, 256<<10, limits.maxLineBytes())
		lineNo = m.Line
		return nil
	}
	defer func() {
		if src != nil {
			src.Close()
		}
	}()
	// view reads lines up to and including target and returns target's view (ok false at
	// the end of the input or for a blank line).
	view := func(target int64) (LineView, bool, error) {
		for {
			l, err := lr.next()
			if err == io.EOF {
				return LineView{}, false, io.EOF
			}
			if err != nil {
				return LineView{}, false, fmt.Errorf("read input: %w", err)
			}
			n := lineNo
			lineNo++
			if n < target {
				// An input never counted has no line index: the page reads up to it from
				// the start, which stops when the client goes away.
				if n%1024 == 0 && ctx.Err() != nil {
					return LineView{}, false, ctx.Err()
				}
				continue
			}
			data := l.data
			if n == 0 {
				data = bytes.TrimPrefix(data, utf8BOM)
			}
			if !l.tooLong && isBlank(data) {
				return LineView{}, false, nil
			}
			v := LineView{Index: n}
			if !l.tooLong {
				if rec, perr := parseLine(data, limits.MaxTextChars); perr == nil {
					v.Text = text(rec.text)
					if rec.id != nil {
						v.ID = append(json.RawMessage(nil), rec.id...)
					}
				}
			}
			return v, true, nil
		}
	}
	if want != nil {
		for _, idx := range want {
			if err := seek(idx); err != nil {
				return nil, nil, err
			}
			v, ok, err := view(idx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, nil, err
			}
			if ok {
				out = append(out, v)
			}
		}
		return out, nil, nil
	}
	if err := seek(offset); err != nil {
		return nil, nil, err
	}
	target := offset
	for len(out) < limit {
		v, ok, err := view(target)
		if errors.Is(err, io.EOF) {
			return out, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		target = lineNo
		if ok {
			out = append(out, v)
		}
	}
	// Is there a line after the page?
	if _, err := lr.r.Peek(1); err == io.EOF {
		return out, nil, nil
	}
	next := lineNo
	return out, &next, nil
}

// markBefore returns the last mark at or before line (the start of the input if none).
func markBefore(marks []lineMark, line int64) lineMark {
	i := sort.Search(len(marks), func(i int) bool { return marks[i].Line > line })
	if i == 0 {
		return lineMark{}
	}
	return marks[i-1]
}

func encodeMarks(marks []lineMark) []byte {
	b := make([]byte, 0, 16*len(marks))
	for _, m := range marks {
		b = binary.LittleEndian.AppendUint64(b, uint64(m.Line))
		b = binary.LittleEndian.AppendUint64(b, uint64(m.Offset))
	}
	return b
}

func decodeMarks(b []byte) []lineMark {
	marks := make([]lineMark, len(b)/16)
	for i := range marks {
		marks[i] = lineMark{Line: int64(binary.LittleEndian.Uint64(b[16*i:])), Offset: int64(binary.LittleEndian.Uint64(b[16*i+8:]))}
	}
	return marks
}

// cutText shortens a text for a page of lines and copies it out of the line buffer, which
// the next line's read overwrites while the page is still being gathered.
func cutText(b []byte) string {
	if len(b) <= browseTextChars {
		return string(b)
	}
	cut := browseTextChars
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}
