package openai

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/modeltest"
)

// The secrets of a model's configured URL and key, which no error may show.
const (
	secretUser     = "operator"
	secretPassword = "hunter2-s3cret"
	secretAPIKey   = "sk-live-abcdef0123456789"
)

// failureKinds is the kind of classify.RemoteError each of modeltest.FailingServers gives.
var failureKinds = map[string]string{
	"refused": classify.RemoteUnreachable, "silent": classify.RemoteTimeout, "failing": classify.RemoteFailed,
	"malformed": classify.RemoteBadAnswer, "keyecho": classify.RemoteRefused, "redirect": classify.RemoteRefused,
}

// leaks says which secret of a model's configuration msg shows, if any: the URL's
// userinfo, the API key, or the server's address.
func leaks(msg string) string {
	for _, s := range []string{secretUser, secretPassword, secretAPIKey, "127.0.0.1", "http://"} {
		if strings.Contains(msg, s) {
			return s
		}
	}
	return ""
}

// TestRemoteFailureKinds: every way a model server fails is a *classify.RemoteError of its kind,
// whose text names the model and never the URL, its credentials or the API key; a
// redirect is not followed (issue 22, findings 6, 11 and 15).
func TestRemoteFailureKinds(t *testing.T) {
	hold := make(chan struct{})
	fs, err := modeltest.NewFailingServers(hold)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	defer close(hold)
	for name, want := range failureKinds {
		c := struct{ name, url, kind string }{name, modeltest.WithUserinfo(fs.URLs[name], secretUser, secretPassword), want}
		for _, kind := range []string{classify.KindOpenAIEmbeddings, classify.KindOpenAIChat} {
			cfg := Config{Name: c.name, URL: c.url, Model: "m", APIKey: secretAPIKey,
				Timeout: 300 * time.Millisecond, Retries: -1, Backoff: time.Millisecond}
			var m classify.Model
			var err error
			if kind == classify.KindOpenAIEmbeddings {
				m, err = NewEmbeddings(cfg, testBuiltin(t)).Compile(remoteSpec)
			} else {
				m, err = NewChat(cfg, testBuiltin(t)).Compile(remoteSpec)
				if err == nil {
					err = m.(classify.ContextModel).ClassifyContext(context.Background(), remoteTexts[:1], make([]classify.Result, 1))
				}
			}
			var re *classify.RemoteError
			if !errors.As(err, &re) || re.Kind != c.kind || re.Model != c.name {
				t.Errorf("%s %s: %v (%#v), want a classify.RemoteError of kind %s for model %s", kind, c.name, err, re, c.kind, c.name)
				continue
			}
			if !strings.HasPrefix(err.Error(), "model "+c.name+": ") {
				t.Errorf("%s %s: %q does not start by naming the model", kind, c.name, err)
			}
			if s := leaks(err.Error()); s != "" {
				t.Errorf("%s %s: the error shows %q: %s", kind, c.name, s, err)
			}
		}
	}
	if n := fs.Redirected.Load(); n != 0 {
		t.Errorf("a redirect was followed %d times", n)
	}
}

// TestRemoteCompileDeadline: a Compile whose own deadline passes while the server retries
// is a timeout, not a bare context error (which the server would answer with a 500).
func TestRemoteCompileDeadline(t *testing.T) {
	srv := modeltest.NewOpenAIServer(8)
	defer srv.Close()
	srv.Fail500 = 1 << 30
	// Compile allows Timeout × (Retries+1); backoffs of at least a second each outlast it.
	e := NewEmbeddings(Config{Name: "slowretry", URL: srv.URL, Model: "m", Timeout: 50 * time.Millisecond,
		Retries: 3, Backoff: 2 * time.Second, MaxBackoff: 2 * time.Second}, testBuiltin(t))
	_, err := e.Compile(remoteSpec)
	var re *classify.RemoteError
	if !errors.As(err, &re) || re.Kind != classify.RemoteTimeout || !strings.Contains(err.Error(), "model slowretry") {
		t.Fatalf("Compile past its deadline: %v, want a timeout classify.RemoteError", err)
	}
}
