package classify

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestModels: the registry resolves names, refuses unknown ones naming the configured ones,
// and keeps a model that could not be loaded listed but unusable.
func TestModels(t *testing.T) {
	b := testBuiltin(t)
	ms := NewModels("builtin")
	ms.Add("builtin", KindBuiltin, b, nil)
	ms.Add("broken", KindStatic, nil, errors.New("open /models/x: no such file"))
	if n, err := ms.Resolve(""); n != "builtin" || err != nil {
		t.Fatalf("default: %q %v", n, err)
	}
	var ve *ValidationError
	if _, err := ms.Resolve("gpt"); !errors.As(err, &ve) || ve.Field != "model" || !strings.Contains(ve.Message, "broken, builtin") {
		t.Fatalf("unknown model: %v", err)
	}
	spec := Spec{Labels: []string{"billing", "technical", "sales"}}
	spec.Model = "broken"
	if _, err := ms.Compile(spec); !errors.Is(err, ErrModelUnavailable) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("broken model: %v", err)
	}
	infos := ms.Infos(context.Background())
	if len(infos) != 2 || infos[0].Name != "broken" || infos[0].Ready || infos[1].Dims != 100 || !infos[1].Default {
		t.Fatalf("infos: %+v", infos)
	}
	spec.Model = ""
	if m, err := ms.CompileFitted(spec, nil); err != nil || m == nil {
		t.Fatalf("default model: %v", err)
	}
}
