package main

// Issue 23, slice I: the providers' contract (classify/classifytest) holds for each provider.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a chat model's answer counts its text's tokens (the contract)",
			file:  "classify/openai/chat.go",
			old:   "tokens := m.c.words.Tokens(text)",
			new:   "tokens := 0",
			tests: []string{"classify/openai:TestContract"},
		},
		{
			name:  "an embedding model's answer counts its text's tokens (the contract)",
			file:  "classify/embeddings.go",
			old:   "tokens := m.e.words.Tokens(text)",
			new:   "tokens := len(text) % 7",
			tests: []string{"classify/openai:TestContract"},
		},
		{
			name:  "a text a chat model cannot answer fails alone (the contract)",
			file:  "classify/openai/chat.go",
			old:   "return classify.Result{Err: fmt.Sprintf(\"the model's answer %q is not one of the labels\", classify.Cut(lastAnswer, 200)), Tokens: tokens}, nil",
			new:   "return classify.Result{}, fmt.Errorf(\"the model's answer %q is not one of the labels\", lastAnswer)",
			tests: []string{"classify/openai:TestContract", "classify/openai:TestChat"},
		},
	}...)
}
