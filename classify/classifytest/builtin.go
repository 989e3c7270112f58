package classifytest

import (
	"sync"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/wordvec"
)

// NewBuiltin builds the built-in model as the factory does (the decision layer over the
// embedded word vectors), for tests of packages that must not import a provider
// themselves (batch, server).
func NewBuiltin() (*classify.WordClassifier, error) {
	w, err := wordvec.NewBuiltin()
	if err != nil {
		return nil, err
	}
	return classify.NewWordClassifier(w, w), nil
}

// The model is read-only once built, so one instance serves every test of a binary.
var builtinOnce = sync.OnceValues(NewBuiltin)

// Builtin returns the test binary's shared built-in model.
func Builtin(tb testing.TB) *classify.WordClassifier {
	tb.Helper()
	b, err := builtinOnce()
	if err != nil {
		tb.Fatalf("NewBuiltin: %v", err)
	}
	return b
}
