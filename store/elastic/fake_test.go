package elastic_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/store/elastic"
)

var update = flag.Bool("update", false, "rewrite testdata/requests/*.golden from the requests the store sends")

// request is one HTTP request the store sent.
type request struct {
	Method, Path, Query string
	Body                []byte
}

func (r request) String() string { return r.Method + " " + r.Path + "?" + r.Query }

// reply is a canned response: a status and a body, or a transport error.
type reply struct {
	status int
	body   []byte
	err    error
}

// file returns a reply serving testdata/responses/name.
func file(t *testing.T, status int, name string) reply {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "responses", name))
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: status, body: b}
}

// route answers requests whose method and path match; replies are served in
// order and the last one repeats; fn, when set, computes the reply instead.
type route struct {
	method  string
	path    *regexp.Regexp
	replies []reply
	fn      func(request) reply
	served  int
}

// fakeES is an http.RoundTripper that records every request and answers
// like Elasticsearch: from the routes a test adds, else from defaults that
// make Open succeed on an empty cluster and acknowledge every bulk item.
type fakeES struct {
	t      *testing.T
	mu     sync.Mutex
	reqs   []request
	routes []*route
}

func newFake(t *testing.T) *fakeES { return &fakeES{t: t} }

// on adds a route for method and a path regular expression (anchored).
func (f *fakeES) on(method, path string, replies ...reply) *route {
	r := &route{method: method, path: regexp.MustCompile("^" + path + "$"), replies: replies}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes = append([]*route{r}, f.routes...)
	return r
}

// onFunc adds a route whose replies fn computes.
func (f *fakeES) onFunc(method, path string, fn func(request) reply) {
	r := f.on(method, path)
	r.fn = fn
}

// requests returns the requests recorded so far.
func (f *fakeES) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// reset forgets the recorded requests (not the routes).
func (f *fakeES) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = nil
}

func (f *fakeES) RoundTrip(hr *http.Request) (*http.Response, error) {
	var body []byte
	if hr.Body != nil {
		var err error
		if body, err = io.ReadAll(hr.Body); err != nil {
			return nil, err
		}
		hr.Body.Close()
	}
	if hr.URL.Hostname() != "127.0.0.1" {
		f.t.Errorf("request to %s: tests talk to 127.0.0.1 only", hr.URL.Host)
	}
	req := request{Method: hr.Method, Path: hr.URL.EscapedPath(), Query: hr.URL.RawQuery, Body: body}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	var rep reply
	matched := false
	for _, r := range f.routes {
		if r.method != req.Method || !r.path.MatchString(req.Path) {
			continue
		}
		matched = true
		switch {
		case r.served < len(r.replies):
			rep = r.replies[r.served]
		case r.fn != nil:
			rep = r.fn(req)
		default:
			rep = r.replies[len(r.replies)-1]
		}
		r.served++
		break
	}
	f.mu.Unlock()
	if !matched {
		rep = f.defaultReply(req)
	}
	if rep.err != nil {
		return nil, rep.err
	}
	h := http.Header{}
	h.Set("X-Elastic-Product", "Elasticsearch")
	h.Set("Content-Type", "application/json")
	return &http.Response{
		StatusCode: rep.status,
		Status:     fmt.Sprintf("%d %s", rep.status, http.StatusText(rep.status)),
		Header:     h,
		Body:       io.NopCloser(bytes.NewReader(rep.body)),
		Request:    hr,
	}, nil
}

func (f *fakeES) defaultReply(req request) reply {
	switch {
	case req.Method == http.MethodPut && strings.HasPrefix(req.Path, "/_index_template/"):
		return file(f.t, 200, "acknowledged.json")
	case req.Method == http.MethodHead && strings.HasPrefix(req.Path, "/_alias/"):
		return reply{status: 404}
	case req.Method == http.MethodPut && strings.Count(req.Path, "/") == 1:
		return file(f.t, 200, "create_index.json")
	case req.Method == http.MethodPost && req.Path == "/_bulk":
		return bulkReply(req, nil)
	}
	f.t.Errorf("unexpected request %s", req)
	return reply{status: 500, body: []byte(`{"error":"unexpected request in test","status":500}`)}
}

// bulkReply acknowledges every item of a bulk request the way Elasticsearch
// does (201 created for index and upserts), except those status overrides
// by position.
func bulkReply(req request, status map[int]int) reply {
	type item map[string]any
	var items []map[string]item
	sc := bufio.NewScanner(bytes.NewReader(req.Body))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	errs := false
	for sc.Scan() {
		var meta map[string]map[string]any
		if err := json.Unmarshal(sc.Bytes(), &meta); err != nil {
			return reply{status: 400, body: []byte(`{"error":{"type":"x_content_parse_exception","reason":"bad bulk meta line"},"status":400}`)}
		}
		sc.Scan() // the source line
		for action, m := range meta {
			st := 201
			if s, ok := status[n]; ok {
				st = s
			}
			it := item{"_index": m["_index"], "_id": m["_id"], "status": st}
			if st <= 201 {
				it["result"], it["_version"] = "created", 1
				it["_shards"] = map[string]int{"total": 1, "successful": 1, "failed": 0}
			} else {
				errs = true
				it["error"] = map[string]any{"type": "es_rejected_execution_exception", "reason": "rejected execution of primary operation"}
			}
			items = append(items, map[string]item{action: it})
		}
		n++
	}
	b, _ := json.Marshal(map[string]any{"took": 1, "errors": errs, "items": items})
	return reply{status: 200, body: b}
}

// open opens a store on the fake with retries that do not wait.
func open(t *testing.T, f *fakeES, mod ...func(*elastic.Config)) *elastic.Store {
	t.Helper()
	cfg := elastic.Config{
		URLs:         []string{"http://127.0.0.1:9200"},
		Transport:    f,
		RetryBackoff: func(int) time.Duration { return 0 },
	}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := elastic.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// formatRequests renders requests for a golden file: one block per request,
// the method, path and sorted query, then the body with each JSON value
// indented (bulk and multi-search bodies are one value per line).
func formatRequests(reqs []request) string {
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "### %s %s", r.Method, r.Path)
		if r.Query != "" {
			fmt.Fprintf(&b, "?%s", r.Query)
		}
		b.WriteString("\n")
		for line := range strings.SplitSeq(strings.TrimSpace(string(r.Body)), "\n") {
			if line == "" {
				continue
			}
			var out bytes.Buffer
			if err := json.Indent(&out, []byte(line), "", "  "); err != nil {
				b.WriteString("!! not JSON: " + line + "\n")
				continue
			}
			b.Write(out.Bytes())
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// golden compares the requests with testdata/requests/name.golden, or
// rewrites the file with -update.
func golden(t *testing.T, name string, reqs []request) {
	t.Helper()
	path := filepath.Join("testdata", "requests", name+".golden")
	got := formatRequests(reqs)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing: run go test ./store/elastic -run %s -update", path, t.Name())
	} else if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("requests differ from %s (rerun with -update after checking):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return "(no difference)"
}
