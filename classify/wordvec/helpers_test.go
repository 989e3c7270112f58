package wordvec

import (
	"sync"
	"testing"
)

// The model is read-only once built, so one instance serves every test of the binary.
var builtinOnce = sync.OnceValues(NewBuiltin)

func testBuiltin(tb testing.TB) *Model {
	tb.Helper()
	b, err := builtinOnce()
	if err != nil {
		tb.Fatalf("NewBuiltin: %v", err)
	}
	return b
}
