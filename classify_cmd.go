package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

// runClassify is the offline CLI: the same pipeline as a batch job, from a file
// (or stdin) to a file (or stdout), with no server and no database.
func runClassify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("classify", pflag.ContinueOnError)
	jobPath := fs.String("job", "", "job.json: the body you would POST to /v1/batch")
	outPath := fs.StringP("output", "o", "", "results file (default stdout)")
	workers := fs.Int("workers", runtime.NumCPU(), "classification workers")
	maxText := fs.Int("max-text-chars", 100_000, "longest text accepted, in characters")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *jobPath == "" || fs.NArg() != 1 {
		return errors.New("classify: usage: classer-batch classify --job job.json [-o results.ndjson] input.ndjson (- for stdin)")
	}
	spec, err := readJobSpec(*jobPath)
	if err != nil {
		return err
	}
	clf, err := classify.NewBuiltin()
	if err != nil {
		return fmt.Errorf("load built-in model: %w", err)
	}

	limits := batch.Limits{MaxTextChars: *maxText}
	var src io.Reader = stdin
	var size int64
	var model classify.Model
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		src = f
		// Like a batch job: the classifier may first fit on a sample of the file.
		model, err = batch.Compile(ctx, clf, spec, func() (io.ReadCloser, error) { return os.Open(name) }, limits)
		if err != nil {
			return err
		}
	} else {
		// Standard input can be read only once, so there is no corpus fit: the
		// answers are those of the real-time endpoints.
		if model, err = clf.Compile(spec); err != nil {
			return err
		}
	}
	var dst io.Writer = stdout
	var outFile *os.File
	if *outPath != "" {
		// Write beside the destination and rename at the end, so a failed run never
		// leaves a partial file under the final name.
		outFile, err = os.CreateTemp(filepath.Dir(*outPath), ".classer-*.partial")
		if err != nil {
			return err
		}
		defer os.Remove(outFile.Name())
		defer outFile.Close()
		dst = outFile
	}
	bw := bufio.NewWriterSize(dst, 1<<20)

	var report func(batch.Progress)
	bar := newProgressBar(stderr, size)
	if bar != nil {
		report = bar.update
	}
	p, err := batch.Process(ctx, src, bw, spec, model, *workers, limits, report)
	if bar != nil {
		bar.done(p)
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if outFile != nil {
		if err := outFile.Sync(); err != nil {
			return err
		}
		if err := outFile.Close(); err != nil {
			return err
		}
		if err := os.Rename(outFile.Name(), *outPath); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "%d lines classified, %d failed, %d tokens\n", p.Completed, p.Failed, p.Tokens)
	return nil
}

// readJobSpec reads a job.json (the /v1/batch body) and validates its spec with
// the batch defaults.
func readJobSpec(path string) (classify.Spec, error) {
	spec, err := readJobSpecRaw(path)
	if err != nil {
		return classify.Spec{}, err
	}
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		return classify.Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// readJobSpecRaw reads a job.json without validating it, so eval can add
// examples first. A saved classifier reference needs the server's database.
func readJobSpecRaw(path string) (classify.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return classify.Spec{}, err
	}
	var body struct {
		classify.Spec
		SourceType string `json:"source_type"`
		Classifier string `json:"classifier"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return classify.Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	if body.Classifier != "" {
		return classify.Spec{}, fmt.Errorf("%s: saved classifiers need the server; give labels instead", path)
	}
	spec := body.Spec
	if spec.TextType == "" {
		spec.TextType = body.SourceType
	}
	if spec.Model != "" && spec.Model != classify.KindBuiltin {
		return classify.Spec{}, fmt.Errorf("%s: model %q: the offline commands run the built-in model only; run the job through the server to use a configured model", path, spec.Model)
	}
	if spec.Mode == "" {
		spec.Mode = classify.ModeSingle
	}
	return spec, nil
}

// progressBar draws on stderr only when it is a terminal.
type progressBar struct {
	w     io.Writer
	size  int64
	start time.Time
	last  time.Time
}

func newProgressBar(w io.Writer, size int64) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressBar{w: w, size: size, start: time.Now()}
}

func (b *progressBar) update(p batch.Progress) {
	if time.Since(b.last) < 100*time.Millisecond {
		return
	}
	b.last = time.Now()
	b.draw(p)
}

func (b *progressBar) draw(p batch.Progress) {
	secs := time.Since(b.start).Seconds()
	rate := float64(p.InputBytes) / 1e6 / max(secs, 1e-3)
	if b.size <= 0 {
		fmt.Fprintf(b.w, "\r%d lines  %.1f MB/s", p.Completed+p.Failed, rate)
		return
	}
	frac := min(float64(p.InputBytes)/float64(b.size), 1)
	const width = 30
	filled := int(frac * width)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '-'
		if i < filled {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(b.w, "\r[%s] %5.1f%%  %d lines  %.1f MB/s", bar, frac*100, p.Completed+p.Failed, rate)
}

func (b *progressBar) done(p batch.Progress) {
	b.draw(p)
	fmt.Fprintln(b.w)
}
