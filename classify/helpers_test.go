package classify

import (
	"sync"
	"testing"

	"github.com/classer-ai/classer-batch/classify/wordvec"
)

// newBuiltin is the factory's built-in model: the decision layer over the embedded word
// vectors.
func newBuiltin() (*WordClassifier, error) {
	w, err := wordvec.NewBuiltin()
	if err != nil {
		return nil, err
	}
	return NewWordClassifier(w, w), nil
}

// The model is read-only once built, so one instance serves every test of the binary.
var builtinOnce = sync.OnceValues(newBuiltin)

func testBuiltin(tb testing.TB) *WordClassifier {
	tb.Helper()
	b, err := builtinOnce()
	if err != nil {
		tb.Fatalf("NewBuiltin: %v", err)
	}
	return b
}
