package batch

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
)

// countResults reads a job's published results and returns the counters they hold. A job
// whose results are published but whose record has no final counters is one restored
// from a database snapshot taken while it ran, with the objects copied after it had
// finished (README "Backups": the snapshot first, then the objects): its last checkpoint
// counts only part of the lines its results hold. Every result line has "tokens", and
// "error" when the line failed. The input position is kept from cp.
func countResults(ctx context.Context, blobs Blobs, key string, cp Checkpoint) (Checkpoint, error) {
	rc, err := blobs.Open(ctx, key, 0)
	if err != nil {
		return cp, err
	}
	defer rc.Close()
	out := Checkpoint{InputOffset: cp.InputOffset, Line: cp.Line}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var r struct {
			Error  *string `json:"error"`
			Tokens int64   `json:"tokens"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return cp, fmt.Errorf("result line %d: %w", out.Index+1, err)
		}
		if r.Error != nil {
			out.Failed++
		} else {
			out.Completed++
		}
		out.Tokens += r.Tokens
		out.Index++
		out.OutputOffset += int64(len(sc.Bytes())) + 1
	}
	if err := sc.Err(); err != nil {
		return cp, err
	}
	return out, nil
}
