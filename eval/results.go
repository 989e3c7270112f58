package eval

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Results collects the result lines of a batch job (NDJSON, as the pipeline writes them,
// in any number of writes) to score them: write the pipeline's output to it, then call Items.
type Results struct {
	buf  []byte
	rows []resultRow
}

// resultRow is the part of a result line that scoring reads.
type resultRow struct {
	Index      int     `json:"index"`
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
	Labels     []struct {
		Label      string  `json:"label"`
		Confidence float64 `json:"confidence"`
	} `json:"labels"`
	Error string `json:"error"`
}

// Write implements io.Writer.
func (c *Results) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		var r resultRow
		if err := json.Unmarshal(c.buf[:i], &r); err != nil {
			return 0, err
		}
		c.rows = append(c.rows, r)
		c.buf = c.buf[i+1:]
	}
}

// Items pairs each answered line with its gold labels (gold[i] is the gold of the job's
// line i) and counts the lines the classifier could not answer.
func (c *Results) Items(gold [][]string) (items []Item, failed int, err error) {
	if len(bytes.TrimSpace(c.buf)) > 0 {
		return nil, 0, errors.New("eval: truncated result line")
	}
	for _, r := range c.rows {
		if r.Error != "" {
			failed++
			continue
		}
		it := Item{Gold: gold[r.Index], Confidence: r.Confidence}
		if r.Label != "" {
			it.Pred = []string{r.Label}
		}
		for _, l := range r.Labels {
			it.Pred = append(it.Pred, l.Label)
			if it.Scores == nil {
				it.Scores = map[string]float64{}
			}
			it.Scores[l.Label] = l.Confidence
		}
		items = append(items, it)
	}
	return items, failed, nil
}
