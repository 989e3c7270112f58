package server

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// Review and correct (issue 26): reviews of a completed job's lines, two queues of lines to
// review, the accuracy the audited lines estimate, their export as labelled NDJSON, and a
// rerun that learns from the corrections.

const (
	// auditSampleSize is the expected size of a job's audit sample: enough for an interval
	// a few points wide (±3 points at 1000 lines), far more than a person reviews.
	auditSampleSize = 1000
	// minAuditedForEstimate is the audited lines below which no accuracy is shown: under
	// 30 a binomial interval is too wide to say anything, and the normal-based reasoning
	// people apply to it breaks down.
	minAuditedForEstimate = 30
	// wilsonZ is the 97.5th percentile of the standard normal: a 95 % interval.
	wilsonZ = 1.959964

	// auditSampleEntries bounds the audit samples kept in memory (about 100 KB each).
	auditSampleEntries = 64

	defaultQueueLimit = 20
	maxQueueLimit     = 200

	defaultReviewsPage = 50
	maxReviewsPage     = 500
	// exportChunk is how many reviewed lines an NDJSON export reads texts for at a time,
	// so an export holds a chunk of texts, not all of them.
	exportChunk = 200

	// maxRerunExamplesPerLabel bounds the reviewed lines a rerun adds as examples of one
	// label. EVAL.md shows most of the gain from examples comes with the first eight per
	// label (atis 0.38 → 0.60, clinc150 0.58 → 0.77 macro-F1); more cost fit time and,
	// for a saved classifier, request size, for little more.
	maxRerunExamplesPerLabel = 8
	// maxExampleChars cuts a reviewed text used as an example: an example says what a
	// label means, and a whole 100,000-character line would swell the spec.
	maxExampleChars = 1000
)

// reviewRequest is the body of PUT .../lines/{index}/review. Labels is raw so that an
// empty list ("none of the labels", multi mode) differs from no list.
type reviewRequest struct {
	Label  *string         `json:"label"`
	Labels json.RawMessage `json:"labels"`
	OK     *bool           `json:"ok"`
}

// lineIndex parses the :index path parameter.
func lineIndex(c echo.Context) (int64, error) {
	n, err := strconv.ParseInt(c.Param("index"), 10, 64)
	if err != nil {
		return 0, validationError("index", fmt.Sprintf("index must be a line number, 0 or more, got %.40q", c.Param("index")))
	}
	if n < 0 {
		return 0, notFound(fmt.Sprintf("line %d is not in the job's input: lines are numbered from 0", n))
	}
	return n, nil
}

// completedJob loads the :id job and refuses one that is not completed: reviews judge
// answers, which only a completed job has.
func (s *Server) completedJob(c echo.Context) (*batch.Job, error) {
	j, err := s.job(c)
	if err != nil {
		return nil, err
	}
	if j.Status != batch.StatusCompleted {
		return nil, batch.NewStateError(j, "review")
	}
	return j, nil
}

// answerOf is what the job answered for a line: its label (single mode) or labels (multi
// mode), and the confidence a review queue orders by: the answer's in single mode, the
// least sure chosen label's in multi mode (0 when no label was chosen).
func answerOf(multi bool, v *batch.LineView) (label string, labels []string, conf float64) {
	if !multi {
		if v.Confidence != nil {
			conf = *v.Confidence
		}
		return v.Label, nil, conf
	}
	labels = []string{}
	conf = 1
	for _, l := range v.Labels {
		labels = append(labels, l.Label)
		conf = min(conf, l.Confidence)
	}
	if len(labels) == 0 {
		conf = 0
	}
	return "", labels, conf
}

func (s *Server) handlePutReview(c echo.Context) error {
	ctx := c.Request().Context()
	j, err := s.completedJob(c)
	if err != nil {
		return err
	}
	idx, err := lineIndex(c)
	if err != nil {
		return err
	}
	var req reviewRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	multi := j.Spec.Mode == classify.ModeMulti
	ok := req.OK != nil && *req.OK
	given := req.Label != nil || len(req.Labels) > 0 && string(req.Labels) != "null"
	switch {
	case ok && given:
		return validationError("ok", `send either {"ok": true} to confirm the job's answer, or the true label(s), not both`)
	case !ok && !given:
		return validationError("label", `send the true label ({"label": ...}; {"labels": [...]} for a multi-label job) or {"ok": true} to confirm the job's answer`)
	}
	var trueLabels []string
	trueLabel := ""
	if given {
		if multi {
			if req.Label != nil {
				return validationError("label", `this job is multi-label: send {"labels": [...]} (an empty list means none of the labels)`)
			}
			if err := json.Unmarshal(req.Labels, &trueLabels); err != nil || trueLabels == nil {
				return validationError("labels", "labels must be a list of label names")
			}
			for i, l := range trueLabels {
				if !slices.Contains(j.Spec.Labels, l) {
					return validationError("labels", fmt.Sprintf("labels[%d] %.60q is not one of the job's labels (%s)", i, l, strings.Join(j.Spec.Labels, ", ")))
				}
				if slices.Index(trueLabels, l) != i {
					return validationError("labels", fmt.Sprintf("labels lists %.60q twice", l))
				}
			}
		} else {
			if req.Label == nil {
				return validationError("labels", `this job is single-label: send {"label": ...}`)
			}
			trueLabel = *req.Label
			if !slices.Contains(j.Spec.Labels, trueLabel) {
				return validationError("label", fmt.Sprintf("label %.60q is not one of the job's labels (%s)", trueLabel, strings.Join(j.Spec.Labels, ", ")))
			}
		}
	}
	page, err := s.runner.Lines(ctx, j, batch.LinesQuery{Offset: idx, Limit: 1})
	if err != nil {
		return previewErr(err)
	}
	if len(page.Lines) == 0 || page.Lines[0].Index != idx {
		return notFound(fmt.Sprintf("line %d is not a line of job %s's input (it has %d non-blank lines; blank lines have no answer)", idx, j.ID, j.RequestsTotal))
	}
	line := &page.Lines[0]
	if line.Error != "" {
		return validationError("index", fmt.Sprintf("line %d has no answer to review: %s", idx, line.Error))
	}
	answer, answerLabels, conf := answerOf(multi, line)
	r := store.Review{Index: idx, OK: ok, Answer: answer, AnswerLabels: answerLabels, Confidence: conf,
		Audit: inAudit(j, idx), ReviewedAt: s.now().Truncate(time.Second)}
	switch {
	case ok && multi:
		r.Labels = answerLabels
	case ok:
		r.Label = answer
	case multi:
		r.Labels = trueLabels
	default:
		r.Label = trueLabel
	}
	r.Correct = r.Label == r.Answer && sameSet(r.Labels, r.AnswerLabels)
	if err := s.store.PutReview(ctx, account(c), j.ID, r); err != nil {
		return jobErr(j.ID, err)
	}
	return writeJSON(c, http.StatusOK, r)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func (s *Server) handleDeleteReview(c echo.Context) error {
	j, err := s.job(c)
	if err != nil {
		return err
	}
	idx, err := lineIndex(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteReview(c.Request().Context(), account(c), j.ID, idx); err != nil {
		if errors.Is(err, batch.ErrNotFound) {
			return notFound(fmt.Sprintf("line %d of job %s has no review", idx, j.ID))
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type reviewsPage struct {
	Data    []store.Review `json:"data"`
	Total   int            `json:"total"`
	HasMore bool           `json:"has_more"`
}

func (s *Server) handleListReviews(c echo.Context) error {
	ctx := c.Request().Context()
	j, err := s.job(c)
	if err != nil {
		return err
	}
	reviews, err := s.store.Reviews(ctx, account(c), j.ID)
	if err != nil {
		return jobErr(j.ID, err)
	}
	switch c.QueryParam("format") {
	case "", "json":
	case "ndjson":
		return s.exportReviews(c, j, reviews)
	default:
		return validationError("format", "format must be json or ndjson")
	}
	offset, limit := 0, defaultReviewsPage
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return validationError("offset", "offset must be an integer, 0 or more")
		}
		offset = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxReviewsPage {
			return validationError("limit", fmt.Sprintf("limit must be an integer from 1 to %d", maxReviewsPage))
		}
		limit = n
	}
	page := reviewsPage{Data: []store.Review{}, Total: len(reviews)}
	if offset < len(reviews) {
		end := min(offset+limit, len(reviews))
		page.Data = append(page.Data, reviews[offset:end]...)
		page.HasMore = end < len(reviews)
	}
	return writeJSON(c, http.StatusOK, page)
}

// exportReviews streams the reviewed lines as labelled NDJSON, the format `classer-batch
// eval` reads: the whole text (not a page's cut) and the true label(s).
func (s *Server) exportReviews(c echo.Context, j *batch.Job, reviews []store.Review) error {
	ctx := c.Request().Context()
	multi := j.Spec.Mode == classify.ModeMulti
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "application/x-ndjson")
	w.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-reviews.ndjson"`, j.ID))
	started := false
	enc := json.NewEncoder(w)
	for chunk := range slices.Chunk(reviews, exportChunk) {
		want := make([]int64, len(chunk))
		for i, r := range chunk {
			want[i] = r.Index
		}
		texts, err := s.runner.Texts(ctx, j, want, false)
		if err != nil {
			if started {
				// The status is sent: all that is left is to stop, which the client sees
				// as a cut-off body; the log says why.
				s.log.Error("export of reviews stopped", "job_id", j.ID, "err", err)
				return nil
			}
			return previewErr(err)
		}
		text := make(map[int64]string, len(texts))
		for _, t := range texts {
			text[t.Index] = t.Text
		}
		if !started {
			w.WriteHeader(http.StatusOK)
			started = true
		}
		for _, r := range chunk {
			rec := map[string]any{"index": r.Index, "text": text[r.Index]}
			if multi {
				rec["labels"] = r.Labels
			} else {
				rec["label"] = r.Label
			}
			if err := enc.Encode(rec); err != nil {
				return nil // the client went away
			}
		}
	}
	if !started {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

// ---- the audit sample ----

// auditSeed is the job's audit seed: from its id, so the sample is the same after a
// restart and on every node, and different from job to job. 53 bits, so that it survives
// a JSON number in a browser.
func auditSeed(id string) uint64 {
	h := sha256.Sum256([]byte("classer-batch audit sample\x00" + id))
	return binary.BigEndian.Uint64(h[:8]) >> 11
}

// splitmix64 is a fast, well-mixed 64-bit hash (Steele et al., SplitMix).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// auditPriority is line idx's place in the job's random order: the audit sample is the
// lines whose priority falls below a threshold, shown lowest first. Each line is in it
// independently with the same probability, whatever its answer: a uniform sample.
func auditPriority(seed uint64, idx int64) uint64 { return splitmix64(seed ^ splitmix64(uint64(idx))) }

// auditMaxShare caps the audit sample at half a small job's lines: audit lines never
// become a rerun's examples, so the other half is left to learn from.
const auditMaxShare = 0.5

// auditThreshold keeps about auditSampleSize of the job's lines, at most half of them.
func auditThreshold(j *batch.Job) uint64 {
	share := auditMaxShare
	if j.RequestsTotal > 0 {
		share = min(share, float64(auditSampleSize)/float64(j.RequestsTotal))
	}
	return uint64(share * math.MaxUint64)
}

// inAudit reports whether line idx is in job j's audit sample. It needs nothing but the
// job: a review knows at once whether it counts for the accuracy estimate.
func inAudit(j *batch.Job, idx int64) bool {
	return auditPriority(auditSeed(j.ID), idx) <= auditThreshold(j)
}

// ---- the accuracy estimate ----

type accuracyView struct {
	Estimate float64 `json:"estimate"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
	Audited  int     `json:"audited"`
}

type labelPrecision struct {
	Reviewed  int     `json:"reviewed"`
	Precision float64 `json:"precision"`
}

// reviewSummary is a job view's "review".
type reviewSummary struct {
	Reviewed int           `json:"reviewed"`
	Audited  int           `json:"audited"`
	Accuracy *accuracyView `json:"accuracy"`
	// AuditToHalve is how many more audit lines would halve the interval's width.
	AuditToHalve *int                      `json:"audit_to_halve"`
	PerLabel     map[string]labelPrecision `json:"per_label"`
}

// wilson is the 95 % Wilson score interval of k successes in n trials: unlike the normal
// approximation it stays inside [0, 1] and is honest near 0 and 1, where a good
// classifier's accuracy lives.
func wilson(k, n int) (low, high float64) {
	p, nf := float64(k)/float64(n), float64(n)
	z2 := wilsonZ * wilsonZ
	d := 1 + z2/nf
	center := (p + z2/(2*nf)) / d
	half := wilsonZ * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / d
	return max(0, center-half), min(1, center+half)
}

// auditToHalve is how many more audited lines, at the same observed accuracy, would make
// the Wilson interval half as wide as it is at n: about 3n (the width shrinks with √n),
// less near accuracy 0 or 1 where the interval narrows faster.
func auditToHalve(k, n int) int {
	low, high := wilson(k, n)
	target := (high - low) / 2
	p := float64(k) / float64(n)
	width := func(m int) float64 {
		l, h := wilson(int(math.Round(p*float64(m))), m)
		return h - l
	}
	lo, hi := n, 64*n+64
	for lo < hi {
		mid := (lo + hi) / 2
		if width(mid) <= target {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - n
}

func summarizeReviews(reviews []store.Review) *reviewSummary {
	if len(reviews) == 0 {
		return nil
	}
	sum := &reviewSummary{Reviewed: len(reviews), PerLabel: map[string]labelPrecision{}}
	correct := 0
	right := map[string]int{}
	for _, r := range reviews {
		if r.Audit {
			sum.Audited++
			if r.Correct {
				correct++
			}
		}
		// Precision of a label: of the reviewed lines the job answered with it, the share
		// whose true label(s) include it.
		answered := r.AnswerLabels
		if r.Answer != "" {
			answered = []string{r.Answer}
		}
		for _, l := range answered {
			p := sum.PerLabel[l]
			p.Reviewed++
			sum.PerLabel[l] = p
			if l == r.Label || slices.Contains(r.Labels, l) {
				right[l]++
			}
		}
	}
	for l, p := range sum.PerLabel {
		p.Precision = float64(right[l]) / float64(p.Reviewed)
		sum.PerLabel[l] = p
	}
	if sum.Audited >= minAuditedForEstimate {
		low, high := wilson(correct, sum.Audited)
		sum.Accuracy = &accuracyView{Estimate: float64(correct) / float64(sum.Audited), Low: low, High: high, Audited: sum.Audited}
		n := auditToHalve(correct, sum.Audited)
		sum.AuditToHalve = &n
	}
	return sum
}

// reviewSummaries fills the "review" of completed jobs' views. A failure to read the
// reviews leaves the view without them (logged): the job itself is still worth showing.
func (s *Server) reviewSummaries(ctx context.Context, jobs []*batch.Job, views []jobView) {
	for i, j := range jobs {
		if j.Status != batch.StatusCompleted {
			continue
		}
		reviews, err := s.store.Reviews(ctx, j.Account, j.ID)
		if err != nil {
			s.log.Warn("reading a job's reviews", "job_id", j.ID, "err", err)
			continue
		}
		views[i].Review = summarizeReviews(reviews)
	}
}

// ---- review queues ----

type queueItem struct {
	Index      int64                 `json:"index"`
	Text       string                `json:"text"`
	Label      string                `json:"label,omitempty"`
	Labels     []classify.LabelScore `json:"labels,omitempty"`
	Confidence *float64              `json:"confidence"`
	Review     *store.Review         `json:"review"`

	key      float64 // worst: the confidence; audit: unused
	priority uint64  // audit: the line's place in the random order
	group    string  // worst: the answered label the line is spread under
}

type queueResponse struct {
	Kind string      `json:"kind"`
	Seed *uint64     `json:"seed,omitempty"`
	Data []queueItem `json:"data"`
}

func (s *Server) handleReviewQueue(c echo.Context) error {
	ctx := c.Request().Context()
	kind := c.QueryParam("kind")
	if kind != "worst" && kind != "audit" {
		return validationError("kind", fmt.Sprintf("kind must be worst or audit, got %.40q", kind))
	}
	limit := defaultQueueLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxQueueLimit {
			return validationError("limit", fmt.Sprintf("limit must be an integer from 1 to %d", maxQueueLimit))
		}
		limit = n
	}
	offset := 0
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > auditSampleSize*2 {
			return validationError("offset", fmt.Sprintf("offset must be an integer from 0 to %d", auditSampleSize*2))
		}
		offset = n
	}
	j, err := s.completedJob(c)
	if err != nil {
		return err
	}
	reviews, err := s.store.Reviews(ctx, account(c), j.ID)
	if err != nil {
		return jobErr(j.ID, err)
	}
	reviewed := make(map[int64]*store.Review, len(reviews))
	for i := range reviews {
		reviewed[reviews[i].Index] = &reviews[i]
	}
	var items []queueItem
	resp := queueResponse{Kind: kind, Data: []queueItem{}}
	if kind == "worst" {
		items, err = s.worstLines(ctx, j, reviewed, limit)
	} else {
		seed := auditSeed(j.ID)
		resp.Seed = &seed
		items, err = s.auditLines(ctx, j, offset, limit)
	}
	if err != nil {
		return previewErr(err)
	}
	want := make([]int64, len(items))
	for i, it := range items {
		want[i] = it.Index
	}
	slices.Sort(want)
	texts, err := s.runner.Texts(ctx, j, want, true)
	if err != nil {
		return previewErr(err)
	}
	text := make(map[int64]string, len(texts))
	for _, t := range texts {
		text[t.Index] = t.Text
	}
	for _, it := range items {
		it.Text = text[it.Index]
		it.Review = reviewed[it.Index]
		resp.Data = append(resp.Data, it)
	}
	return writeJSON(c, http.StatusOK, resp)
}

func newQueueItem(multi bool, v *batch.LineView) queueItem {
	label, _, conf := answerOf(multi, v)
	it := queueItem{Index: v.Index, Label: label, Labels: v.Labels, key: conf}
	c := conf
	it.Confidence = &c
	it.group = label
	if multi && len(v.Labels) > 0 {
		it.group = v.Labels[0].Label
	}
	return it
}

// worstLines picks the lines to fix first from one pass over the results: in each answered
// label, the limit least confident lines (a bounded heap each, so memory is labels ×
// limit), unreviewed before reviewed; then label by label in turn, so one label's many
// unsure lines do not hide another's. The results carry one confidence per answer (per
// chosen label in multi mode), not the fit's separate readings, so "disagreement" is
// measured by that confidence alone.
func (s *Server) worstLines(ctx context.Context, j *batch.Job, reviewed map[int64]*store.Review, limit int) ([]queueItem, error) {
	multi := j.Spec.Mode == classify.ModeMulti
	groups := map[string]*worstHeap{}
	err := s.runner.Answers(ctx, j, func(v *batch.LineView) error {
		if v.Error != "" {
			return nil
		}
		it := newQueueItem(multi, v)
		if reviewed[v.Index] != nil {
			it.key += 2 // after every unreviewed line: confidences are at most 1
		}
		h := groups[it.group]
		if h == nil {
			h = &worstHeap{}
			groups[it.group] = h
		}
		if h.Len() < limit {
			heap.Push(h, it)
		} else if it.key < (*h)[0].key {
			(*h)[0] = it
			heap.Fix(h, 0)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	lists := make([][]queueItem, 0, len(groups))
	for _, h := range groups {
		l := slices.Clone(*h)
		slices.SortFunc(l, func(a, b queueItem) int { return cmpItems(a, b) })
		lists = append(lists, l)
	}
	var out []queueItem
	for round := 0; len(out) < limit; round++ {
		var next []queueItem
		for _, l := range lists {
			if round < len(l) {
				next = append(next, l[round])
			}
		}
		if len(next) == 0 {
			break
		}
		slices.SortFunc(next, cmpItems)
		out = append(out, next...)
	}
	// Each round takes one line of every label, so a reviewed line of one label can come
	// before an unreviewed one of another: unreviewed first, the spread kept otherwise.
	slices.SortStableFunc(out, func(a, b queueItem) int { return boolInt(a.key >= 2) - boolInt(b.key >= 2) })
	return out[:min(len(out), limit)], nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cmpItems(a, b queueItem) int {
	if a.key != b.key {
		if a.key < b.key {
			return -1
		}
		return 1
	}
	return int(a.Index - b.Index)
}

// worstHeap is a max-heap on key: its root is the line to drop when a less sure one comes.
type worstHeap []queueItem

func (h worstHeap) Len() int           { return len(h) }
func (h worstHeap) Less(i, k int) bool { return cmpItems(h[i], h[k]) > 0 }
func (h worstHeap) Swap(i, k int)      { h[i], h[k] = h[k], h[i] }
func (h *worstHeap) Push(x any)        { *h = append(*h, x.(queueItem)) }
func (h *worstHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// auditLines returns lines offset.. of the job's audit sample, in sample order. The sample
// (about auditSampleSize lines, so held whole) comes from one pass over the results, once
// per job while it stays in the cache.
func (s *Server) auditLines(ctx context.Context, j *batch.Job, offset, limit int) ([]queueItem, error) {
	sample, ok := s.audits.Get(j.ID)
	if !ok {
		var err error
		if sample, err = s.auditSample(ctx, j); err != nil {
			return nil, err
		}
		s.audits.Add(j.ID, sample)
	}
	if offset >= len(sample) {
		return nil, nil
	}
	// A copy: the caller fills in texts and reviews, and the cached sample is shared.
	return slices.Clone(sample[offset:min(offset+limit, len(sample))]), nil
}

// auditSample is the job's whole audit sample in sample order, without texts.
func (s *Server) auditSample(ctx context.Context, j *batch.Job) ([]queueItem, error) {
	multi := j.Spec.Mode == classify.ModeMulti
	seed, threshold := auditSeed(j.ID), auditThreshold(j)
	var sample []queueItem
	err := s.runner.Answers(ctx, j, func(v *batch.LineView) error {
		p := auditPriority(seed, v.Index)
		if v.Error != "" || p > threshold {
			return nil
		}
		it := newQueueItem(multi, v)
		it.priority = p
		sample = append(sample, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(sample, func(a, b queueItem) int {
		switch {
		case a.priority < b.priority:
			return -1
		case a.priority > b.priority:
			return 1
		}
		return 0
	})
	return sample, nil
}

// cutExample shortens a reviewed text used as an example to maxExampleChars runes.
func cutExample(t string) string {
	if utf8.RuneCountInString(t) <= maxExampleChars {
		return t
	}
	return string([]rune(t)[:maxExampleChars])
}
