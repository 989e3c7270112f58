package store

import (
	"context"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
)

// The classifiers' behaviour is in the shared suite (storetest, TestSuite); the name
// rule is this package's own.
func TestClassifierNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"tickets": true, "a": true, "a-b_c9": true, string(make([]byte, 65)): false,
		"": false, "Tickets": false, "a b": false, "a@v1": false, "a\x00b": false, "é": false,
		"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234": true,
	} {
		if got := ValidClassifierName(name); got != ok {
			t.Errorf("ValidClassifierName(%q) = %v, want %v", name, got, ok)
		}
	}
	db, _ := openTest(t)
	if _, err := db.SaveClassifier(context.Background(), "acme", "Bad", classify.Spec{Labels: []string{"a"}}); err == nil {
		t.Fatal("SaveClassifier accepted an invalid name")
	}
}
