package server

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// Rerun with corrections (issue 26): a new job over the same input whose spec gains the
// reviewed lines as examples, and the comparison of its answers with the original's.
//
// Fairness: lines of the original job's audit sample are never used as examples. The
// rerun's accuracy on those audited lines (GET .../changes, "audit") is then measured on
// lines it has not seen, a held-out estimate, not one inflated by having learnt the
// answers; the worst-first corrections are what teach it.

type rerunResponse struct {
	JobID         string         `json:"job_id"`
	Status        string         `json:"status"` // "queued" (started) or "pending"
	ExamplesAdded map[string]int `json:"examples_added"`
	Message       string         `json:"message"`
}

// rerunExamples picks, for each label, up to maxRerunExamplesPerLabel reviewed lines
// outside the audit sample, most informative first: corrections (the job got them wrong)
// before confirmations, then the least confident. It returns the chosen line indexes per
// label, and all of them ascending.
func rerunExamples(reviews []store.Review) (map[string][]int64, []int64) {
	var cand []store.Review
	for _, r := range reviews {
		if !r.Audit {
			cand = append(cand, r)
		}
	}
	slices.SortStableFunc(cand, func(a, b store.Review) int {
		if a.Correct != b.Correct {
			return boolInt(a.Correct) - boolInt(b.Correct)
		}
		return cmp.Or(cmp.Compare(a.Confidence, b.Confidence), cmp.Compare(a.Index, b.Index))
	})
	per := map[string][]int64{}
	seen := map[int64]bool{}
	for _, r := range cand {
		truth := r.Labels
		if r.Label != "" {
			truth = []string{r.Label}
		}
		for _, l := range truth {
			if len(per[l]) < maxRerunExamplesPerLabel {
				per[l] = append(per[l], r.Index)
				seen[r.Index] = true
			}
		}
	}
	all := slices.Sorted(maps.Keys(seen))
	return per, all
}

func (s *Server) handleRerun(c echo.Context) error {
	ctx := c.Request().Context()
	old, err := s.completedJob(c)
	if err != nil {
		return err
	}
	reviews, err := s.store.Reviews(ctx, account(c), old.ID)
	if err != nil {
		return jobErr(old.ID, err)
	}
	per, want := rerunExamples(reviews)
	texts, err := s.runner.Texts(ctx, old, want, false)
	if err != nil {
		return previewErr(err)
	}
	text := make(map[int64]string, len(texts))
	for _, t := range texts {
		text[t.Index] = cutExample(strings.TrimSpace(t.Text))
	}
	spec := old.Spec
	spec.Examples = map[string][]string{}
	for l, ex := range old.Spec.Examples {
		spec.Examples[l] = slices.Clone(ex)
	}
	added := map[string]int{}
	for _, l := range slices.Sorted(maps.Keys(per)) {
		for _, idx := range per[l] {
			t := text[idx]
			if t == "" || slices.Contains(spec.Examples[l], t) {
				continue
			}
			spec.Examples[l] = append(spec.Examples[l], t)
			added[l]++
		}
	}
	if len(spec.Examples) == 0 {
		spec.Examples = nil
	}
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		return err
	}
	if err := s.checkCompiles(spec); err != nil {
		return err
	}
	now := s.now()
	id := batch.NewJobID()
	nj := &batch.Job{
		ID:            id,
		Account:       old.Account,
		Spec:          spec,
		Name:          old.Name,
		Metadata:      old.Metadata,
		InputFilename: old.InputFilename,
		RerunOf:       old.ID,
		Status:        batch.StatusPending,
		InputKey:      batch.InputKey(id),
		OutputKey:     batch.OutputKey(id),
		CreatedAt:     now,
	}
	// The saved classifier the original came from is not this spec any more (it has the
	// examples), so the rerun names none: its "Save as classifier" makes a new version.
	if err := s.store.CreateJob(ctx, nj); err != nil {
		return fmt.Errorf("creating rerun job: %w", err)
	}
	// The input is copied inside the storage rather than shared: a shared object would
	// need a reference count so that deleting either job keeps it for the other, in both
	// stores and both storages. A copy costs nothing on local disk (a hard link) and no
	// transfer on S3 (a server-side copy, multipart above 5 GB), and each job keeps owning
	// everything under its own prefix, so delete and retention stay as they are.
	if err := s.blobs.Copy(ctx, old.InputKey, nj.InputKey); err != nil {
		if _, derr := s.store.DeleteJob(ctx, nj.Account, nj.ID); derr != nil {
			s.log.Error("removing a rerun job whose input could not be copied", "job_id", nj.ID, "err", derr)
		}
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, blob.ErrNotExist) {
			return &apiError{Status: http.StatusConflict, Code: "CONFLICT",
				Message: fmt.Sprintf("job %s's input is no longer in storage, so it cannot be rerun: create a new job and upload the file", old.ID),
				Details: map[string]any{"job_id": old.ID}}
		}
		return fmt.Errorf("copying the input of %s for rerun %s: %w", old.ID, nj.ID, err)
	}
	resp := rerunResponse{JobID: nj.ID, Status: "queued", ExamplesAdded: added,
		Message: fmt.Sprintf("rerunning job %s with %d reviewed lines as examples; follow it with GET /v1/batch/%s", old.ID, sumValues(added), nj.ID)}
	started, err := s.store.StartJob(ctx, nj.Account, nj.ID, s.cfg.MaxActiveJobsPerAccount, s.now())
	var le *batch.ActiveLimitError
	switch {
	case errors.As(err, &le):
		resp.Status = string(batch.StatusPending)
		resp.Message = fmt.Sprintf("created rerun job %s, not started: the account already has %d active job(s) (%s); start it with POST /v1/batch/%s/start when they have finished",
			nj.ID, len(le.Active), strings.Join(le.Active, ", "), nj.ID)
	case err != nil:
		return jobErr(nj.ID, err)
	default:
		s.runner.Run(started.ID)
	}
	return writeJSON(c, http.StatusCreated, resp)
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

type movedView struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Lines int    `json:"lines"`
}

type auditChange struct {
	Lines  int     `json:"lines"`
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

type changesResponse struct {
	RerunOf      string       `json:"rerun_of"`
	Moved        int          `json:"moved"`
	MovedByLabel []movedView  `json:"moved_by_label"`
	Audit        *auditChange `json:"audit"`
}

// maxMovedPairs bounds moved_by_label: with many labels the pairs are many, and the
// largest moves are the ones worth reading.
const maxMovedPairs = 100

// answerKey is a line's answer as one string: the label, or the sorted labels joined by
// ", " in multi mode ("" for none).
func answerKey(multi bool, v *batch.LineView) string {
	label, labels, _ := answerOf(multi, v)
	if !multi {
		return label
	}
	slices.Sort(labels)
	return strings.Join(labels, ", ")
}

func (s *Server) handleChanges(c echo.Context) error {
	ctx := c.Request().Context()
	nj, err := s.job(c)
	if err != nil {
		return err
	}
	if nj.RerunOf == "" {
		return notFound(fmt.Sprintf("job %s is not a rerun: POST /v1/batch/{id}/rerun makes one", nj.ID))
	}
	old, err := s.store.Job(ctx, account(c), nj.RerunOf)
	if err != nil {
		if errors.Is(err, batch.ErrNotFound) {
			return notFound(fmt.Sprintf("job %s reran job %s, which has since been deleted", nj.ID, nj.RerunOf))
		}
		return err
	}
	for _, j := range []*batch.Job{nj, old} {
		if j.Status != batch.StatusCompleted {
			return batch.NewStateError(j, "review")
		}
	}
	reviews, err := s.store.Reviews(ctx, account(c), old.ID)
	if err != nil {
		return jobErr(old.ID, err)
	}
	audited := map[int64]*store.Review{}
	for i := range reviews {
		if reviews[i].Audit {
			audited[reviews[i].Index] = &reviews[i]
		}
	}
	multi := nj.Spec.Mode == classify.ModeMulti
	resp := changesResponse{RerunOf: old.ID, MovedByLabel: []movedView{}}
	moved := map[[2]string]int{}
	var before, after int
	err = s.runner.CompareAnswers(ctx, old, nj, func(x, y *batch.LineView) error {
		a, b := answerKey(multi, x), answerKey(multi, y)
		if a != b && x.Error == "" && y.Error == "" {
			resp.Moved++
			moved[[2]string{a, b}]++
		}
		if r := audited[x.Index]; r != nil {
			if r.Correct {
				before++
			}
			label, labels, _ := answerOf(multi, y)
			if label == r.Label && sameSet(labels, r.Labels) {
				after++
			}
		}
		return nil
	})
	if err != nil {
		return previewErr(err)
	}
	for k, n := range moved {
		resp.MovedByLabel = append(resp.MovedByLabel, movedView{From: k[0], To: k[1], Lines: n})
	}
	slices.SortFunc(resp.MovedByLabel, func(a, b movedView) int {
		return cmp.Or(cmp.Compare(b.Lines, a.Lines), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	resp.MovedByLabel = resp.MovedByLabel[:min(len(resp.MovedByLabel), maxMovedPairs)]
	if n := len(audited); n > 0 {
		resp.Audit = &auditChange{Lines: n, Before: float64(before) / float64(n), After: float64(after) / float64(n)}
	}
	return writeJSON(c, http.StatusOK, resp)
}
