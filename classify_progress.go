package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

// progressBar draws `classify`'s progress on stderr, only when it is a terminal: the
// share of the input read, lines, throughput, the time elapsed and an estimate of the
// time left.
type progressBar struct {
	w     io.Writer
	size  int64
	start time.Time
	last  time.Time
	now   func() time.Time
}

func newProgressBar(w io.Writer, size int64, start time.Time) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressBar{w: w, size: size, start: start, now: time.Now}
}

func (b *progressBar) update(p batch.Progress) {
	now := b.now()
	if now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	b.draw(p)
}

func (b *progressBar) draw(p batch.Progress) {
	elapsed := b.now().Sub(b.start)
	rate := float64(p.InputBytes) / 1e6 / max(elapsed.Seconds(), 1e-3)
	lines := p.Completed + p.Failed
	if b.size <= 0 { // standard input: no total, so no share and no ETA
		fmt.Fprintf(b.w, "\r%d lines  %.1f MB/s  elapsed %s ", lines, rate, clock(elapsed))
		return
	}
	frac := min(float64(p.InputBytes)/float64(b.size), 1)
	const width = 30
	filled := int(frac * width)
	bar := strings.Repeat("#", filled) + strings.Repeat("-", width-filled)
	eta := "--"
	if frac > 0 {
		eta = clock(time.Duration(float64(elapsed) * (1 - frac) / frac))
	}
	fmt.Fprintf(b.w, "\r[%s] %5.1f%%  %d lines  %.1f MB/s  elapsed %s  ETA %s ", bar, frac*100, lines, rate, clock(elapsed), eta)
}

func (b *progressBar) done(p batch.Progress) {
	b.draw(p)
	fmt.Fprintln(b.w)
}

// clock formats d as 1h02m03s, 2m03s or 4s.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// labelCounter counts the labels of result lines as they are written: the summary's
// per-label counts. It reads the results' own format ("label":"…" in each answer, the
// multi-label answers included) without decoding whole lines. A literal "label":" cannot
// occur inside a JSON string (its quotes would be escaped), so every match is a label.
type labelCounter struct {
	counts  map[string]int64
	noLabel int64 // multi-label lines that got no label
	part    []byte
}

func newLabelCounter() *labelCounter { return &labelCounter{counts: map[string]int64{}} }

var (
	labelKey = []byte(`"label":"`)
	errorKey = []byte(`"error":`)
)

func (c *labelCounter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.part = append(c.part, p...)
			break
		}
		line := p[:i]
		if len(c.part) > 0 {
			c.part = append(c.part, line...)
			line = c.part
		}
		c.line(line)
		c.part = c.part[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (c *labelCounter) line(b []byte) {
	if bytes.Contains(b, errorKey) {
		return // a failed line: counted as failed, not by label
	}
	found := false
	for {
		i := bytes.Index(b, labelKey)
		if i < 0 {
			break
		}
		b = b[i+len(labelKey):]
		end, esc := 0, false
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				esc = true
				end++
			}
			end++
		}
		if end > len(b) {
			break
		}
		raw := b[:end]
		label := string(raw)
		if esc {
			if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &label); err != nil {
				label = string(raw)
			}
		}
		c.counts[label]++
		found = true
		b = b[min(end+1, len(b)):]
	}
	if !found {
		c.noLabel++
	}
}

// summaryLine is the line `classify` ends with: lines, failures, tokens, the time it took,
// and how many lines each label got, in the spec's order (a label no line got shows 0).
func summaryLine(p batch.Progress, lc *labelCounter, spec classify.Spec, elapsed time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "classified %d lines (%d failed, %d tokens) in %s", p.Completed+p.Failed, p.Failed, p.Tokens, clockFine(elapsed))
	if len(spec.Labels) > 0 {
		b.WriteString(":")
		for i, l := range spec.Labels {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s %d", l, lc.counts[l])
		}
		if spec.Mode == classify.ModeMulti && lc.noLabel > 0 {
			fmt.Fprintf(&b, ", no label %d", lc.noLabel)
		}
	}
	return b.String()
}

// clockFine is clock with tenths under a minute: a small run takes a fraction of a second.
func clockFine(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return clock(d)
}
