// Package classify owns what every model shares (DESIGN.md §4): the spec, its
// normalisation, labels and glossary; the provider contract (provider.go: VectorSource,
// Embedder and the optional capabilities); Models, the configured models by name, which
// routes by capability; and the decision layer that turns any provider's vectors into
// answers (real-time scoring, the examples head, the corpus fit and its student, preview).
// The built-in word-vector model and static model files live here too; the OpenAI-compatible
// providers are in classify/openai.
package classify
