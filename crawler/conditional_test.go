package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// memRevalidator remembers the validators and bodies of a first crawl.
type memRevalidator struct {
	mu     sync.Mutex
	etag   map[string]string
	mod    map[string]string
	body   map[string][]byte
	lost   map[string]bool // Cached fails for these
	cached atomic.Int64
}

func (m *memRevalidator) Validators(url string) (string, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.etag[url], m.mod[url]
}

func (m *memRevalidator) Cached(_ context.Context, url string) ([]byte, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cached.Add(1)
	if m.lost[url] {
		return nil, "", errors.New("capture gone")
	}
	return m.body[url], "text/html; charset=utf-8", nil
}

// TestConditionalRequestsOnRecrawl crawls a site whose pages carry ETags
// (and one only Last-Modified), then crawls it again with their validators:
// unchanged pages answer 304 and are handed over with the first capture's
// body and NotModified set, links in them are still followed, a changed page
// comes back whole, and a 304 whose capture is gone is fetched again
// without conditions.
func TestConditionalRequestsOnRecrawl(t *testing.T) {
	const lastMod = "Mon, 02 Jan 2006 15:04:05 GMT"
	var version atomic.Int64
	var conditional, unconditional atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := map[string]string{
			"/":  `<a href="/a">a</a> <a href="/b">b</a> <a href="/c">c</a>`,
			"/a": `<p>page a</p><a href="/d">d</a>`,
			"/b": fmt.Sprintf("<p>page b version %d</p>", version.Load()),
			"/c": "<p>page c</p>",
			"/d": "<p>page d</p>",
		}[r.URL.Path]
		if body == "" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			conditional.Add(1)
		} else {
			unconditional.Add(1)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/c" {
			w.Header().Set("Last-Modified", lastMod)
			if r.Header.Get("If-Modified-Since") == lastMod {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		} else {
			etag := fmt.Sprintf(`"%x-%d"`, len(body), len(r.URL.Path))
			if r.URL.Path == "/b" {
				etag = fmt.Sprintf(`"b%d"`, version.Load())
			}
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		fmt.Fprint(w, body)
	}))
	defer srv.Close()

	crawl := func(rv Revalidator) (*recorder, Stats) {
		t.Helper()
		c := newCrawler(t, Config{Revalidate: rv})
		seen := NewMemorySeen()
		scope, frontier := start(t, seen, srv.URL+"/")
		rec := &recorder{}
		rest, st, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
		if err != nil || len(rest) != 0 {
			t.Fatalf("crawl: %v, %d left", err, len(rest))
		}
		return rec, st
	}
	first, st := crawl(nil)
	if len(first.pages) != 5 || st.NotModified != 0 || conditional.Load() != 0 {
		t.Fatalf("first crawl: %d pages, %d not modified, %d conditional requests; want 5, 0, 0", len(first.pages), st.NotModified, conditional.Load())
	}
	rv := &memRevalidator{etag: map[string]string{}, mod: map[string]string{}, body: map[string][]byte{}, lost: map[string]bool{}}
	for _, p := range first.pages {
		rv.etag[p.Request.URL] = p.Header.Get("ETag")
		rv.mod[p.Request.URL] = p.Header.Get("Last-Modified")
		rv.body[p.Request.URL] = p.Body
	}
	rv.lost[srv.URL+"/d"] = true
	version.Add(1)
	unconditional.Store(0)

	again, st := crawl(rv)
	byPath := map[string]*Page{}
	for _, p := range again.pages {
		byPath[strings.TrimPrefix(p.Request.URL, srv.URL)] = p
	}
	if len(again.pages) != 5 {
		t.Fatalf("re-crawl handed over %d pages, want 5 (links of 304 pages followed)", len(again.pages))
	}
	for _, path := range []string{"/", "/a", "/c"} {
		p := byPath[path]
		if !p.NotModified || p.Status != http.StatusNotModified || string(p.Body) != string(rv.body[srv.URL+path]) || p.Doc == nil {
			t.Errorf("%s: NotModified %v, status %d, body %q, doc %v; want the first capture's body after a 304", path, p.NotModified, p.Status, p.Body, p.Doc != nil)
		}
	}
	if p := byPath["/b"]; p.NotModified || p.Status != 200 || !strings.Contains(string(p.Body), "version 1") {
		t.Errorf("/b changed but was handed over as NotModified %v, status %d, body %q", p.NotModified, p.Status, p.Body)
	}
	if p := byPath["/d"]; p.NotModified || p.Status != 200 || !strings.Contains(string(p.Body), "page d") {
		t.Errorf("/d (capture gone) handed over as NotModified %v, status %d, body %q; want a full fetch", p.NotModified, p.Status, p.Body)
	}
	if st.NotModified != 3 || conditional.Load() != 5 || unconditional.Load() != 1 {
		t.Errorf("re-crawl: %d not modified, %d conditional and %d unconditional requests; want 3, 5, 1", st.NotModified, conditional.Load(), unconditional.Load())
	}
}
