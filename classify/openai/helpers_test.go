package openai

import (
	"sync"
	"testing"

	"github.com/classer-ai/classer-batch/classify/wordvec"
)

// The model is read-only once built, so one instance serves every test of the binary.
var builtinOnce = sync.OnceValues(wordvec.NewBuiltin)

func testBuiltin(tb testing.TB) *wordvec.Model {
	tb.Helper()
	b, err := builtinOnce()
	if err != nil {
		tb.Fatalf("NewBuiltin: %v", err)
	}
	return b
}
