// Package wordvec is the word-vector provider (DESIGN.md §4): the built-in model embedded
// in the binary (model.go: the quantised GloVe table, its word look-up and the calibration
// statistics; info.go: what `version` reports about it), static models loaded from files
// (static.go: Model2Vec directories and .vec word-vector files; hftok.go: their Hugging
// Face tokenizers), the word tokenizer (tokenize.go; blocktok.go: its keys for a whole text
// at once, from byte classes found 32 bytes at a time) and the per-text embedding (embed.go:
// tokenise, look up, SIF-weighted int8 sums with the classify/internal/vec kernels).
//
// A *Model satisfies classify.WordVectors without importing classify: the decision layer
// (classify.WordClassifier) calls it once per text through Reader, never per token. The
// factory (the root package's models.go) pairs a static model with the built-in one, whose
// words the corpus fit's student uses.
package wordvec
