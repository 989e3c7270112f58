// Package classify owns what every model shares (DESIGN.md §4): the spec, its
// normalisation, labels and glossary; the provider contract (provider.go: VectorSource,
// Embedder and the optional capabilities; words.go: WordVectors, a word-vector model as
// the decision layer reads it, one call per text); Models, the configured models by name,
// which routes by capability; and the decision layer that turns any provider's vectors into
// answers (WordClassifier over a word-vector model, Embeddings over an Embedder: real-time
// scoring, the examples head, the corpus fit and its student, preview).
//
// The providers live in their own packages, which this one never imports: classify/wordvec
// (the built-in word vectors, static model files, tokenizers) and classify/openai (the
// OpenAI-compatible servers). The factory that builds models from the configuration (the
// root package's models.go) wires them; batch and server see models through this package's
// interfaces only.
package classify
