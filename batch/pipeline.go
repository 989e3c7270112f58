package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/classer-ai/classer-batch/classify"
)

// Limits bound what one pipeline holds in memory.
type Limits struct {
	MaxTextChars int // a line whose text is longer fails alone
	ChunkLines   int // lines per chunk handed to a worker
	ReadBuffer   int // bytes of the input read buffer
	// MaxInputBytes bounds the decompressed size of a compressed input.
	MaxInputBytes int64
	// ShardBytes, when not 0, makes the count pass split the input into shards of about
	// this many bytes (cluster mode's cluster.shard_bytes; see Shard).
	ShardBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxTextChars <= 0 {
		l.MaxTextChars = 100_000
	}
	if l.ChunkLines <= 0 {
		l.ChunkLines = 256
	}
	if l.ReadBuffer <= 0 {
		l.ReadBuffer = 1 << 20
	}
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = 50 << 30
	}
	return l
}

// maxLineBytes is the longest line kept: room for MaxTextChars characters written
// as \u escapes, plus the other fields. Longer lines fail alone without being held.
func (l Limits) maxLineBytes() int { return 6*l.MaxTextChars + 64<<10 }

// progress is what the ordered writer reports after each chunk it wrote.
type progress struct {
	cp       Checkpoint
	firstErr string // the first per-line error of this chunk, if any
}

// pipeline streams one input through the shared pool into ordered results.
type pipeline struct {
	pool    *Pool
	ownPool bool // pool is this pipeline's (a remote model's): closed when run ends
	jm      *jobModel
	limits  Limits
}

func newPipeline(pool *Pool, model classify.Model, spec classify.Spec, limits Limits) *pipeline {
	limits = limits.withDefaults()
	own := false
	if cm, ok := model.(classify.ContextModel); ok {
		// A model that waits on a server gets workers of its own, as many as the requests
		// it may have in flight, so it never holds the shared CPU workers while it waits
		// (other jobs keep their speed; a server that is down stalls only its own jobs).
		pool, own = NewPool(max(cm.Concurrency(), 1)), true
	}
	return &pipeline{
		pool:    pool,
		ownPool: own,
		limits:  limits,
		jm: &jobModel{
			model:        model,
			enc:          newResultEncoder(spec),
			multi:        spec.Mode == classify.ModeMulti,
			maxTextChars: limits.MaxTextChars,
			maxLineBytes: limits.maxLineBytes(),
		},
	}
}

// run reads src, which starts at the checkpoint cp, and writes one result line per
// non-blank input line to dst in input order. After each chunk is written it calls
// onChunk with the new position; an error from onChunk stops the run and is
// returned. run returns the position of the last chunk written, which is exact
// even when it stops early, so the caller can checkpoint it.
func (p *pipeline) run(ctx context.Context, src io.Reader, dst io.Writer, cp Checkpoint, onChunk func(progress) error) (Checkpoint, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if p.ownPool {
		defer p.pool.Close()
	}
	p.jm.ctx = ctx

	workers := cap(p.pool.tasks)
	inflight := make(chan *chunk, 2*workers+2)
	free := make(chan *chunk, 2*workers+4)
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(inflight)
		readErr = p.read(ctx, src, cp, inflight, free)
	}()

	var err error
	for c := range inflight {
		<-c.done
		if err != nil {
			continue // draining after a stop: the workers still finish what was queued
		}
		if c.err != nil {
			err = fmt.Errorf("classify: %w", c.err)
			cancel()
			continue
		}
		if _, werr := dst.Write(c.out); werr != nil {
			err = fmt.Errorf("write results: %w", werr)
			cancel()
			continue
		}
		cp.InputOffset = c.endOffset
		cp.Line = c.endLine
		cp.OutputOffset += int64(len(c.out))
		cp.Completed += c.completed
		cp.Failed += c.failed
		cp.Tokens += c.tokens
		if cerr := onChunk(progress{cp: cp, firstErr: c.firstErr}); cerr != nil {
			err = cerr
			cancel()
		}
		select {
		case free <- c:
		default:
		}
	}
	wg.Wait()
	if err != nil {
		return cp, err
	}
	if readErr != nil {
		return cp, readErr
	}
	return cp, ctx.Err()
}

// read splits src into chunks, hands each to the pool and queues it, in order,
// for the writer.
func (p *pipeline) read(ctx context.Context, src io.Reader, cp Checkpoint, inflight chan<- *chunk, free chan *chunk) error {
	lr := newLineReader(src, p.limits.ReadBuffer, p.jm.maxLineBytes)
	offset, lineNo := cp.InputOffset, cp.Line
	var c *chunk
	flush := func() error {
		c.endOffset, c.endLine = offset, lineNo
		select {
		case p.pool.tasks <- c:
		case <-ctx.Done():
			return ctx.Err()
		}
		// inflight has room for every chunk that can be queued in the pool, so
		// this send never waits on a chunk the writer cannot reach.
		select {
		case inflight <- c:
		case <-ctx.Done():
			// The pool owns c now; wait for it so the chunk is not recycled while in use.
			<-c.done
			return ctx.Err()
		}
		c = nil
		return nil
	}
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read input at byte %d: %w", offset, err)
		}
		offset += l.size
		lineNo++
		if lineNo == 1 {
			l.data = bytes.TrimPrefix(l.data, utf8BOM)
		}
		if !l.tooLong && isBlank(l.data) {
			continue // no result; the next chunk's end offset covers it
		}
		if c == nil {
			select {
			case c = <-free:
			default:
				c = newChunk()
			}
			c.reset(p.jm)
		}
		c.add(l, lineNo)
		if len(c.lines) >= p.limits.ChunkLines || len(c.data) >= 4<<20 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if c == nil {
		// Trailing blank lines: emit an empty chunk so the checkpoint covers them.
		c = newChunk()
		c.reset(p.jm)
	}
	return flush()
}
