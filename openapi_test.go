package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/classer-ai/classer-batch/server"
)

// Every response the end-to-end tests get through newClient's client is checked against
// the OpenAPI document (server/openapi.yaml) with kin-openapi: its status must be
// documented for the operation, and a JSON body must match the schema, which is strict
// (no undocumented fields, every always-present field required).

type docOp struct {
	method, path string
	re           *regexp.Regexp
	route        *routers.Route
}

var apiDoc struct {
	once sync.Once
	doc  *openapi3.T
	ops  []docOp
	err  error
}

func loadAPIDoc() (*openapi3.T, []docOp, error) {
	apiDoc.once.Do(func() {
		b, err := server.OpenAPIDocument("", "test")
		if err != nil {
			apiDoc.err = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(b)
		if err != nil {
			apiDoc.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			apiDoc.err = fmt.Errorf("the document does not validate: %w", err)
			return
		}
		// After QuoteMeta a parameter reads \{name\}: {key} (the blob downloads) spans
		// path segments, any other parameter is one segment.
		param := regexp.MustCompile(`\\\{([^}\\]+)\\\}`)
		for path, item := range doc.Paths.Map() {
			re := regexp.MustCompile("^" + param.ReplaceAllStringFunc(regexp.QuoteMeta(path), func(p string) string {
				if p == `\{key\}` {
					return ".+"
				}
				return "[^/]+"
			}) + "$")
			for method, op := range item.Operations() {
				apiDoc.ops = append(apiDoc.ops, docOp{method: method, path: path, re: re,
					route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}})
			}
		}
		// Literal paths before templated ones of the same shape.
		slices.SortFunc(apiDoc.ops, func(a, b docOp) int { return strings.Count(a.path, "{") - strings.Count(b.path, "{") })
		apiDoc.doc = doc
	})
	return apiDoc.doc, apiDoc.ops, apiDoc.err
}

// findOp is the documented operation of a request, or nil.
func findOp(method, path string) *docOp {
	_, ops, _ := loadAPIDoc()
	for i := range ops {
		if ops[i].method == method && ops[i].re.MatchString(path) {
			return &ops[i]
		}
	}
	return nil
}

// checkAgainstDoc validates one real response. body is nil for a body that was not read
// (not JSON); then only the status and the content type are checked.
func checkAgainstDoc(req *http.Request, status int, header http.Header, body []byte) (op string, err error) {
	if _, _, err := loadAPIDoc(); err != nil {
		return "", err
	}
	o := findOp(req.Method, req.URL.Path)
	if o == nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return "", nil // a route that does not exist, asked on purpose
		}
		return "", fmt.Errorf("%s %s answered %d but is not in the document", req.Method, req.URL.Path, status)
	}
	name := o.method + " " + o.path
	rvi := &openapi3filter.RequestValidationInput{Request: req, Route: o.route}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: rvi,
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if body == nil {
		in.Options.ExcludeResponseBody = true
		body = []byte{}
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return name, fmt.Errorf("%s %s → %d does not match the document: %v\nbody: %.600s", req.Method, req.URL.Path, status, err, body)
	}
	return name, nil
}

// validatingTransport checks every response against the document and reports a mismatch
// as a test error; seen, if not nil, records "METHOD /path STATUS" of each checked answer.
type validatingTransport struct {
	t    testing.TB
	next http.RoundTripper
	seen *sync.Map
	host string // the appliance's host:port; other hosts (S3 URLs) are not checked
}

func (v validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil || (v.host != "" && req.URL.Host != v.host) {
		return resp, err
	}
	var body []byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && req.Method != http.MethodHead {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	op, err := checkAgainstDoc(req, resp.StatusCode, resp.Header, body)
	if err != nil {
		v.t.Errorf("OpenAPI: %v", err)
	}
	if v.seen != nil && op != "" {
		v.seen.Store(fmt.Sprintf("%s %d", op, resp.StatusCode), true)
	}
	return resp, nil
}

// validating wraps an HTTP client's transport with the document check of the answers of
// the appliance at base (a presigned S3 URL goes to the store, which the document does not
// describe).
func validating(t testing.TB, base string, next http.RoundTripper, seen *sync.Map) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	host := ""
	if u, err := url.Parse(base); err == nil {
		host = u.Host
	}
	return validatingTransport{t: t, next: next, seen: seen, host: host}
}

// TestOpenAPIEndToEnd calls every documented operation of a running appliance at least
// once with a success, and checks each answer against the document (the transport does).
// Together with server.TestOpenAPIRoutes (the document against the route table, both
// ways), the document describes what the appliance really answers.
func TestOpenAPIEndToEnd(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
	hold, held := holdInputAt(100_000) // far past the small job's input, half-way through the big one's
	m := startMain(t, cfg, hold)
	defer m.Close()
	seen := &sync.Map{}
	hc := &http.Client{Timeout: time.Minute, Transport: validating(t, m.URL, nil, seen)}
	c := &client{t: t, base: m.URL, key: acmeKey, http: hc}
	admin := &client{t: t, base: m.URL, key: adminKey, http: hc}
	anon := &client{t: t, base: m.URL, http: hc}

	for _, p := range []string{"/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/version"} {
		if code, _ := anon.do("GET", p, nil, nil); code != 200 {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	anon.do("HEAD", "/", nil, nil)
	spec := map[string]any{"labels": []string{"billing", "technical", "sales"}}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{"labels": spec["labels"]}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	c.do("POST", "/v1/classify", with(map[string]any{"text": "I was charged twice"}), nil)
	c.do("POST", "/v1/tag", with(map[string]any{"text": "refund my invoice, the app crashed"}), nil)
	c.do("POST", "/v1/classify/batch", with(map[string]any{"texts": []string{"the app crashed", " "}}), nil)
	c.do("POST", "/v1/tag/batch", with(map[string]any{"texts": []string{"the app crashed", ""}}), nil)
	c.do("POST", "/v1/preview", with(map[string]any{"texts": []string{"the app crashed", "my invoice is wrong", "a quote for 50 seats"}}), nil)
	c.do("POST", "/v1/classifiers", map[string]any{"name": "tickets", "labels": spec["labels"], "descriptions": map[string]string{"sales": "pricing and quotes"}}, nil)
	c.do("GET", "/v1/classifiers", nil, nil)
	c.do("GET", "/v1/classifiers/tickets@v1", nil, nil)

	job := c.createJob(with(map[string]any{"name": "march", "metadata": map[string]string{"team": "support"}}))
	c.do("PATCH", "/v1/batch/"+job.JobID, map[string]any{"descriptions": map[string]string{"billing": "invoices and charges"}}, nil)
	if code, body := uploadWith(t, hc, job.UploadURL, allFields(job), seedInput); code != 204 {
		t.Fatalf("upload: %d %s", code, body)
	}
	c.do("POST", "/v1/batch/"+job.JobID+"/preview", nil, nil)
	c.do("GET", "/v1/batch/"+job.JobID+"/lines?limit=3", nil, nil)
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	c.waitStatus(job.JobID, time.Minute, "completed")
	c.do("GET", "/v1/batch?limit=5", nil, nil)
	c.do("GET", "/v1/batch/"+job.JobID+"/lines?label=billing", nil, nil)
	var res struct {
		DownloadURL string `json:"download_url"`
	}
	c.do("GET", "/v1/batch/"+job.JobID+"/results", nil, &res)
	for _, method := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(method, res.DownloadURL, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	req, _ := http.NewRequest("GET", res.DownloadURL, nil)
	req.Header.Set("Range", "bytes=0-9")
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
	}

	// Reviews (issue 26).
	rv := "/v1/batch/" + job.JobID
	c.do("PUT", rv+"/lines/0/review", map[string]any{"label": "technical"}, nil)
	c.do("PUT", rv+"/lines/1/review", map[string]any{"ok": true}, nil)
	c.do("GET", rv+"/reviews", nil, nil)
	c.do("GET", rv+"/review-queue?kind=worst", nil, nil)
	c.do("GET", rv+"/review-queue?kind=audit", nil, nil)
	var rerun struct {
		JobID string `json:"job_id"`
	}
	c.do("POST", rv+"/rerun", nil, &rerun)
	c.waitStatus(rerun.JobID, time.Minute, "completed")
	c.do("GET", "/v1/batch/"+rerun.JobID+"/changes", nil, nil)
	c.do("DELETE", rv+"/lines/1/review", nil, nil)

	// A job held half-way through its input (holdInputAt), to cancel.
	running := c.createJob(spec)
	var big bytes.Buffer
	big.ReadFrom(newCorpus(5, 2_000))
	if code, body := uploadWith(t, hc, running.UploadURL, allFields(running), big.String()); code != 204 {
		t.Fatalf("upload: %d %s", code, body)
	}
	c.do("POST", "/v1/batch/"+running.JobID+"/start", nil, nil)
	waitHeld(t, held)
	if code, _ := c.do("POST", "/v1/batch/"+running.JobID+"/cancel", nil, nil); code != 202 {
		t.Errorf("cancel: %d", code)
	}
	c.do("POST", "/v1/batch/"+job.JobID+"/cancel", nil, nil) // 409: completed
	c.do("DELETE", "/v1/batch/"+job.JobID, nil, nil)
	c.do("DELETE", "/v1/classifiers/tickets", nil, nil)
	c.do("GET", "/v1/usage", nil, nil)
	c.do("GET", "/v1/models", nil, nil)

	var made struct {
		ID string `json:"id"`
	}
	admin.do("POST", "/v1/keys", map[string]any{"account": "gamma"}, &made)
	admin.do("GET", "/v1/keys", nil, nil)
	admin.do("DELETE", "/v1/keys/"+made.ID, nil, nil)
	if code, _ := admin.do("GET", "/v1/cluster", nil, nil); code != http.StatusNotImplemented {
		t.Errorf("GET /v1/cluster on a single node: %d, want 501", code)
	}
	if code := getFile(t, admin, "/v1/admin/backup", t.TempDir()+"/b.db"); code != 200 {
		t.Errorf("backup: %d", code)
	}
	admin.do("GET", "/v1/admin/jobs?limit=5", nil, nil)
	admin.do("GET", "/v1/admin/system", nil, nil)

	// Errors are checked too: each is the one error shape.
	c.do("POST", "/v1/batch", map[string]any{"labelz": []string{"a"}}, nil)
	c.do("GET", "/v1/batch/batch_0000000000000000", nil, nil)
	anon.do("GET", "/v1/batch", nil, nil)
	c.do("GET", "/v1/keys", nil, nil)

	// Every documented operation got a success checked against the document.
	_, ops, err := loadAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		name := o.method + " " + o.path
		if name == "GET /v1/cluster" {
			continue // a single node answers 501: TestClusterShardedJob checks its success
		}
		ok := false
		seen.Range(func(k, _ any) bool {
			if s := k.(string); strings.HasPrefix(s, name+" 2") {
				ok = true
				return false
			}
			return true
		})
		if !ok {
			t.Errorf("%s: no success was checked against the document", name)
		}
	}
}
