package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

const classifyUsage = `Usage: classer-batch classify --job job.json [--config FILE] [--model NAME] [-o results.ndjson] input.ndjson

Classifies an NDJSON file offline with the batch pipeline, without a server or database.
job.json is the body you would POST to /v1/batch; input.ndjson may be - for stdin.
--model runs a model of the config's models section (default: the job's "model", else
default_model, which is builtin unless configured).
A progress bar with the elapsed time and an ETA shows when stderr is a terminal; a summary
line (lines, failed, tokens, per-label counts, elapsed) ends every run.
`

// runClassify is the offline CLI: the same pipeline as a batch job, from a file
// (or stdin) to a file (or stdout), with no server and no database.
func runClassify(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("classify", pflag.ContinueOnError)
	jobPath := fs.String("job", "", "job.json: the body you would POST to /v1/batch")
	outPath := fs.StringP("output", "o", "", "results file (default stdout)")
	workers := fs.Int("workers", runtime.NumCPU(), "classification workers")
	maxText := fs.Int("max-text-chars", 100_000, "longest text accepted, in characters")
	modelFlags(fs)
	if err := parseFlags(fs, args, classifyUsage, stdout, stderr); err != nil {
		return err
	}
	start := time.Now()
	if *jobPath == "" || fs.NArg() != 1 {
		return errors.New("classify: usage: classer-batch classify --job job.json [--config FILE] [--model NAME] [-o results.ndjson] input.ndjson (- for stdin)")
	}
	spec, err := readJobSpec(*jobPath)
	if err != nil {
		return err
	}
	clf, err := offlineModels(fs, environ, &spec, stderr)
	if err != nil {
		return err
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
	labels := newLabelCounter()
	bw := bufio.NewWriterSize(io.MultiWriter(dst, labels), 1<<20)

	var report func(batch.Progress)
	bar := newProgressBar(stderr, size, start)
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
	fmt.Fprintln(stderr, summaryLine(p, labels, spec, time.Since(start)))
	return nil
}
