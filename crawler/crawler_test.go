package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil"
)

// start validates seeds and marks them in seen, as the caller of Crawl does.
func start(t *testing.T, seen Seen, seeds ...string) (Scope, []Request) {
	t.Helper()
	scope, reqs, err := ScopeFor(seeds)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if !seen.MarkNew(r.URL) {
			t.Fatalf("seed %s already marked", r.URL)
		}
	}
	return scope, reqs
}

func newCrawler(t *testing.T, cfg Config) *Crawler {
	t.Helper()
	if cfg.Transport == nil {
		tr := loopbackTransport()
		t.Cleanup(tr.CloseIdleConnections)
		cfg.Transport = tr
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recorder is a Handler that records what it receives.
type recorder struct {
	mu     sync.Mutex
	pages  []*Page
	images []*ImageFetch
	errs   map[string]error
}

func (r *recorder) handler() Handler {
	return Handler{
		OnPage: func(p *Page) error {
			r.mu.Lock()
			r.pages = append(r.pages, p)
			r.mu.Unlock()
			return nil
		},
		OnImage: func(img *ImageFetch) {
			// The crawler drops img.Body when OnImage returns: keep a copy.
			cp := *img
			cp.Body = bytes.Clone(img.Body)
			r.mu.Lock()
			r.images = append(r.images, &cp)
			r.mu.Unlock()
		},
		OnError: func(req Request, err error) {
			r.mu.Lock()
			if r.errs == nil {
				r.errs = map[string]error{}
			}
			r.errs[req.URL] = err
			r.mu.Unlock()
		},
	}
}

func (r *recorder) page(url string) *Page {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pages {
		if p.Request.URL == url {
			return p
		}
	}
	return nil
}

// countingSeen counts MarkNew calls per URL.
type countingSeen struct {
	*MemorySeen
	mu    sync.Mutex
	calls map[string]int
}

func (s *countingSeen) MarkNew(url string) bool {
	s.mu.Lock()
	s.calls[url]++
	s.mu.Unlock()
	return s.MemorySeen.MarkNew(url)
}

func TestNewRequiresATransport(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "transport") {
		t.Fatalf("New(Config{}) err = %v", err)
	}
	c, err := New(Config{Transport: http.DefaultTransport})
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.Config()
	if cfg.Concurrency != 8 || cfg.RequestTimeout != DefaultRequestTimeout || cfg.MaxBodyBytes != 10<<20 || cfg.MaxImageBytes != 10<<20 || cfg.UserAgent == "" {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestA300PageSiteIsCrawledWithEachPageFetchedExactlyOnce(t *testing.T) {
	s := newSite(t, 300)
	c := newCrawler(t, Config{Concurrency: 16})
	seen := &countingSeen{MemorySeen: NewMemorySeen(), calls: map[string]int{}}
	scope, frontier := start(t, seen, s.seed())
	var rec recorder
	remaining, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
	if err != nil {
		t.Fatal(err)
	}
	if len(remaining) != 0 {
		t.Errorf("remaining = %d requests, want 0", len(remaining))
	}
	if stats.Pages != 300 || stats.Errors != 0 {
		t.Errorf("stats = %+v, want 300 pages, 0 errors", stats)
	}
	hits := s.hits.snapshot()
	if len(hits) != 300 {
		t.Errorf("server saw %d distinct paths, want 300", len(hits))
	}
	for path, n := range hits {
		if n != 1 {
			t.Errorf("%s fetched %d times", path, n)
		}
	}
	if n := len(s.outHits.snapshot()); n != 0 {
		t.Errorf("out-of-scope server was hit on %d paths", n)
	}
	if n := s.leaks.Load(); n != 0 {
		t.Errorf("%d requests carried the internal %s header", n, fetchHeader)
	}
	s.uas.Range(func(ua, _ any) bool {
		if ua != DefaultUserAgent {
			t.Errorf("User-Agent %q sent", ua)
		}
		return true
	})
	for url, n := range seen.calls {
		if n != 1 {
			t.Errorf("Seen.MarkNew(%s) called %d times in one crawl, want 1", url, n)
		}
		if strings.ContainsAny(url, "#") || !strings.HasPrefix(url, s.srv.URL) {
			t.Errorf("Seen was offered %q", url)
		}
	}
	if len(rec.pages) != 300 {
		t.Fatalf("OnPage called %d times", len(rec.pages))
	}
	for _, p := range rec.pages {
		if p.Status != 200 || p.Doc == nil || !strings.HasPrefix(p.ContentType, "text/html") {
			t.Fatalf("page %s: status %d doc %v type %q", p.URL, p.Status, p.Doc != nil, p.ContentType)
		}
		if want := "Page " + strings.TrimPrefix(p.URL, s.srv.URL+"/p/"); p.Doc.Find("title").Text() != want {
			t.Errorf("page %s: title %q, want %q", p.URL, p.Doc.Find("title").Text(), want)
		}
	}
}

func TestBatchesOf50CoverTheWholeSiteWithoutDuplicates(t *testing.T) {
	s := newSite(t, 300)
	c := newCrawler(t, Config{Concurrency: 16})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, s.seed())
	total, batches := 0, 0
	for len(frontier) > 0 {
		batches++
		if batches > 20 {
			t.Fatal("more than 20 batches")
		}
		remaining, stats, err := c.Crawl(context.Background(), frontier, scope, 50, seen, Handler{})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Pages > 50 || (stats.Pages < 50 && len(remaining) > 0) {
			t.Fatalf("batch %d fetched %d pages with %d remaining", batches, stats.Pages, len(remaining))
		}
		total += stats.Pages
		frontier = remaining
	}
	if total != 300 || batches != 6 {
		t.Errorf("%d pages in %d batches, want 300 in 6", total, batches)
	}
	for path, n := range s.hits.snapshot() {
		if n != 1 {
			t.Errorf("%s fetched %d times", path, n)
		}
	}
	if n := len(s.hits.snapshot()); n != 300 {
		t.Errorf("%d distinct pages fetched, want 300", n)
	}
}

func TestTheDepthLimitStopsFollowingLinks(t *testing.T) {
	var hits hitCounter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.URL.Path)
		var i int
		fmt.Sscanf(r.URL.Path, "/d/%d", &i)
		fmt.Fprintf(w, `<html><body><a href="/d/%d">next</a></body></html>`, i+1)
	}))
	defer srv.Close()
	for _, tt := range []struct {
		name             string
		cfgDepth, scopeD int
		want             int
	}{
		{"config depth 3", 3, 0, 4},
		{"scope depth 2", 0, 2, 3},
		{"the smaller of both", 5, 1, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hits = hitCounter{}
			c := newCrawler(t, Config{MaxDepth: tt.cfgDepth})
			seen := NewMemorySeen()
			scope, frontier := start(t, seen, srv.URL+"/d/0")
			scope.MaxDepth = tt.scopeD
			var rec recorder
			remaining, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
			if err != nil || len(remaining) != 0 {
				t.Fatal(err, remaining)
			}
			if stats.Pages != tt.want || len(hits.snapshot()) != tt.want {
				t.Errorf("fetched %d pages (%v), want %d", stats.Pages, hits.snapshot(), tt.want)
			}
			if hits.get(fmt.Sprintf("/d/%d", tt.want)) != 0 {
				t.Errorf("page beyond the depth limit fetched")
			}
			if p := rec.page(fmt.Sprintf("%s/d/%d", srv.URL, tt.want-1)); p == nil || p.Request.Depth != tt.want-1 {
				t.Errorf("deepest page = %+v", p)
			}
		})
	}
}

func TestRedirects(t *testing.T) {
	var outHits hitCounter
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { outHits.add(r.URL.Path) }))
	defer outside.Close()
	var hits hitCounter
	var leaks atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.URL.Path)
		if _, ok := r.Header[fetchHeader]; ok {
			leaks.Add(1)
		}
		var i int
		switch {
		case strings.HasPrefix(r.URL.Path, "/chain/"):
			fmt.Sscanf(r.URL.Path, "/chain/%d", &i)
			http.Redirect(w, r, fmt.Sprintf("/chain/%d", i+1), http.StatusFound)
		case r.URL.Path == "/loop/a":
			http.Redirect(w, r, "/loop/b", http.StatusFound)
		case r.URL.Path == "/loop/b":
			http.Redirect(w, r, "/loop/a", http.StatusFound)
		case r.URL.Path == "/away":
			http.Redirect(w, r, outside.URL+"/landing", http.StatusMovedPermanently)
		case r.URL.Path == "/moved":
			http.Redirect(w, r, "/target", http.StatusMovedPermanently)
		default:
			fmt.Fprint(w, "<html><body>target</body></html>")
		}
	}))
	defer srv.Close()
	c := newCrawler(t, Config{})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/chain/0", srv.URL+"/loop/a", srv.URL+"/away", srv.URL+"/moved")
	var rec recorder
	_, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("an endless chain fails after 10 redirects", func(t *testing.T) {
		err := rec.errs[srv.URL+"/chain/0"]
		if err == nil || !strings.Contains(err.Error(), "10 redirects") {
			t.Errorf("OnError for the chain = %v", err)
		}
		n := 0
		for p, k := range hits.snapshot() {
			if strings.HasPrefix(p, "/chain/") {
				n += k
			}
		}
		if n != 10 {
			t.Errorf("chain requests = %d, want 10 (the first and 9 redirects)", n)
		}
	})
	t.Run("a loop stops at the first repeated URL and is captured", func(t *testing.T) {
		p := rec.page(srv.URL + "/loop/a")
		if p == nil || p.Status != http.StatusFound || p.URL != srv.URL+"/loop/b" {
			t.Fatalf("loop page = %+v", p)
		}
		if hits.get("/loop/a") != 1 || hits.get("/loop/b") != 1 {
			t.Errorf("loop hits = %d, %d", hits.get("/loop/a"), hits.get("/loop/b"))
		}
	})
	t.Run("a redirect out of scope is captured, not followed", func(t *testing.T) {
		p := rec.page(srv.URL + "/away")
		if p == nil || p.Status != http.StatusMovedPermanently || !strings.HasPrefix(p.Header.Get("Location"), outside.URL) {
			t.Fatalf("away page = %+v", p)
		}
		if n := len(outHits.snapshot()); n != 0 {
			t.Errorf("out-of-scope host hit %d times", n)
		}
	})
	t.Run("an in-scope redirect is followed and its target marked", func(t *testing.T) {
		p := rec.page(srv.URL + "/moved")
		if p == nil || p.Status != 200 || p.URL != srv.URL+"/target" || string(p.Body) != "<html><body>target</body></html>" {
			t.Fatalf("moved page = %+v", p)
		}
		if seen.MarkNew(srv.URL + "/target") {
			t.Error("redirect target was not marked in Seen")
		}
	})
	if n := leaks.Load(); n != 0 {
		t.Errorf("%d requests (redirects included) carried the internal %s header", n, fetchHeader)
	}
	if stats.Errors != 1 || stats.Pages != 4 {
		t.Errorf("stats = %+v, want 4 pages, 1 error", stats)
	}
}

func TestBodiesAreBounded(t *testing.T) {
	huge := bytes.Repeat([]byte("<p>0123456789abcdef</p>\n"), 3<<20/24)
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 8<<20))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/huge":
			w.Header().Set("Content-Type", "text/html")
			w.Write(huge)
		case "/bomb.gz":
			// A gzip file: an archive, skipped by its first bytes, never
			// inflated.
			w.Header().Set("Content-Type", "application/x-gzip")
			w.Write(bomb.Bytes())
		case "/bomb-encoded":
			// A gzip Content-Encoding: inflated, but only up to the limit.
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		}
	}))
	defer srv.Close()
	const limit = 1 << 20
	c := newCrawler(t, Config{MaxBodyBytes: limit})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/huge", srv.URL+"/bomb.gz", srv.URL+"/bomb-encoded")
	var rec recorder
	var skipped []string
	h := rec.handler()
	h.OnSkip = func(r Request, err error) { skipped = append(skipped, r.URL+": "+err.Error()) }
	_, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, h)
	if err != nil {
		t.Fatal(err)
	}
	if p := rec.page(srv.URL + "/huge"); p == nil || !p.Truncated || len(p.Body) != limit || !bytes.Equal(p.Body, huge[:limit]) {
		t.Errorf("huge page: %v", p != nil && p.Truncated)
	}
	if p := rec.page(srv.URL + "/bomb.gz"); p != nil || len(skipped) != 1 || !strings.Contains(skipped[0], "application/gzip by its first bytes") {
		t.Errorf("gzip file: captured %v, skipped %q; want it skipped as an archive", p != nil, skipped)
	}
	if p := rec.page(srv.URL + "/bomb-encoded"); p == nil || !p.Truncated || len(p.Body) != limit {
		t.Errorf("gzip-encoded page not cut at the limit")
	}
	if stats.Truncated != 2 || stats.Bytes > 3*limit {
		t.Errorf("stats = %+v", stats)
	}
}

func TestErrorPagesAreCapturedButTheirLinksNotFollowed(t *testing.T) {
	var hits hitCounter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.URL.Path)
		if r.URL.Path == "/gone" {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<html><head><title>not here</title></head><body><a href="/from-404">x</a></body></html>`)
			return
		}
		fmt.Fprint(w, `<html><body><a href="/gone">gone</a></body></html>`)
	}))
	defer srv.Close()
	c := newCrawler(t, Config{})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/")
	var rec recorder
	if _, _, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler()); err != nil {
		t.Fatal(err)
	}
	p := rec.page(srv.URL + "/gone")
	if p == nil || p.Status != 404 || p.Doc == nil || p.Doc.Find("title").Text() != "not here" {
		t.Fatalf("404 page = %+v", p)
	}
	if hits.get("/from-404") != 0 {
		t.Error("a link on a 404 page was followed")
	}
}

func TestNonUTF8PagesKeepTheirBytesAndParseAsText(t *testing.T) {
	// "Привет" in windows-1251.
	cp1251 := []byte{0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2}
	body := append(append([]byte("<html><head><title>"), cp1251...), []byte("</title></head><body></body></html>")...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=windows-1251")
		w.Write(body)
	}))
	defer srv.Close()
	c := newCrawler(t, Config{})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/")
	var rec recorder
	if _, _, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler()); err != nil {
		t.Fatal(err)
	}
	p := rec.page(srv.URL + "/")
	if p == nil || !bytes.Equal(p.Body, body) {
		t.Fatalf("body not kept as received")
	}
	if got := p.Doc.Find("title").Text(); got != "Привет" {
		t.Errorf("title = %q, want Привет", got)
	}
}

func TestCancellingStopsPromptlyAndLosesNoMarkedURL(t *testing.T) {
	s := newSite(t, 300)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCrawler(t, Config{Concurrency: 4})
	seen := &countingSeen{MemorySeen: NewMemorySeen(), calls: map[string]int{}}
	scope, frontier := start(t, seen, s.seed())
	var mu sync.Mutex
	captured := map[string]int{} // by request URL, across both crawls
	h := Handler{OnPage: func(p *Page) error {
		mu.Lock()
		captured[p.Request.URL]++
		n := len(captured)
		mu.Unlock()
		if n == 20 {
			cancel()
		}
		return nil
	}}
	remaining, stats, err := c.Crawl(ctx, frontier, scope, 0, seen, h)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if stats.Pages < 20 || stats.Pages > 20+4 {
		t.Errorf("fetched %d pages after cancelling at 20 with concurrency 4", stats.Pages)
	}
	// Every marked URL was either captured or is in remaining, not both.
	inRemaining := map[string]bool{}
	for _, r := range remaining {
		if inRemaining[r.URL] {
			t.Errorf("%s twice in remaining", r.URL)
		}
		inRemaining[r.URL] = true
	}
	mu.Lock()
	for url := range seen.calls {
		if seen.MemorySeen.MarkNew(url) {
			continue // offered but not marked: impossible with MemorySeen
		}
		if captured[url] == 0 && !inRemaining[url] {
			t.Errorf("%s was marked but neither captured nor returned", url)
		}
		if captured[url] > 0 && inRemaining[url] {
			t.Errorf("%s was captured and is also in remaining", url)
		}
	}
	mu.Unlock()
	// Resuming with the remaining frontier finishes the site, each page
	// captured once across both crawls. A request cut off by the
	// cancellation reached the server but was not captured: at most
	// Concurrency pages are requested twice.
	remaining, _, err = c.Crawl(context.Background(), remaining, scope, 0, seen, h)
	if err != nil || len(remaining) != 0 {
		t.Fatal(err, len(remaining))
	}
	if len(captured) != 300 {
		t.Errorf("%d pages captured, want 300", len(captured))
	}
	for url, n := range captured {
		if n != 1 {
			t.Errorf("%s captured %d times", url, n)
		}
	}
	twice := 0
	for path, n := range s.hits.snapshot() {
		if n > 2 {
			t.Errorf("%s requested %d times", path, n)
		}
		if n == 2 {
			twice++
		}
	}
	if twice > 4 {
		t.Errorf("%d pages requested twice, want at most the concurrency (4)", twice)
	}
}

// downTransport fails every request as a proxy that is down does.
type downTransport struct{ calls atomic.Int64 }

func (d *downTransport) RoundTrip(*http.Request) (*http.Response, error) {
	d.calls.Add(1)
	return nil, fmt.Errorf("dial: %w", vigil.Errorf(vigil.EUNAVAILABLE, "tor socks proxy unavailable"))
}

func TestAProxyThatIsDownStopsTheCrawlAndKeepsTheFrontier(t *testing.T) {
	dt := &downTransport{}
	c := newCrawler(t, Config{Transport: dt, Concurrency: 2})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, "http://a.onion/1", "http://a.onion/2", "http://a.onion/3")
	var rec recorder
	remaining, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
	if vigil.ErrorCode(err) != vigil.EUNAVAILABLE {
		t.Fatalf("err = %v, want code unavailable", err)
	}
	if len(remaining) != 3 || stats.Pages != 0 || len(rec.errs) != 0 {
		t.Errorf("remaining %v, stats %+v, OnError %v", remaining, stats, rec.errs)
	}
	if n := dt.calls.Load(); n > 2 {
		t.Errorf("%d requests tried after the proxy was found down, want ≤ concurrency", n)
	}
}

func TestAnOnPageErrorStopsTheCrawlAndRequeuesThePage(t *testing.T) {
	s := newSite(t, 50)
	c := newCrawler(t, Config{Concurrency: 1})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, s.seed())
	boom := errors.New("index down")
	n := 0
	remaining, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, Handler{OnPage: func(p *Page) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	}})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if stats.Pages != 3 || len(remaining) == 0 || remaining[0].URL != s.srv.URL+"/p/2" {
		t.Errorf("stats %+v, remaining %v: want the failed page /p/2 first", stats, remaining)
	}
}

func TestImagesAreFetchedOncePerBatchInScopeOnly(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nfake")
	var outHits hitCounter
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { outHits.add(r.URL.Path) }))
	defer outside.Close()
	var hits hitCounter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.URL.Path)
		switch r.URL.Path {
		case "/a", "/b":
			fmt.Fprintf(w, `<html><body><img src="/img/1.png"><img src="img/2.png"><img src="%s/x.png"><img src="/big.png"><img src="data:image/png;base64,AAAA"><a href="/b">b</a></body></html>`, outside.URL)
		case "/img/1.png", "/img/2.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		case "/big.png":
			w.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2048)...))
		}
	}))
	defer srv.Close()
	c := newCrawler(t, Config{FetchImages: true, MaxImageBytes: 1024})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/a")
	var rec recorder
	_, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
	if err != nil {
		t.Fatal(err)
	}
	if hits.get("/img/1.png") != 1 || hits.get("/img/2.png") != 1 || hits.get("/big.png") != 1 {
		t.Errorf("image hits = %v", hits.snapshot())
	}
	if len(outHits.snapshot()) != 0 {
		t.Error("an out-of-scope image was fetched")
	}
	// Two fetched images, and the data: image of each page.
	if stats.Images != 4 || stats.ImageErrors != 1 || len(rec.images) != 4 {
		t.Fatalf("stats = %+v, images %d", stats, len(rec.images))
	}
	for _, img := range rec.images {
		if strings.HasPrefix(img.URL, removedPrefix) {
			if !bytes.Equal(img.Body, []byte{0, 0, 0}) || img.ContentType != "image/png" {
				t.Errorf("data: image %+v", img)
			}
			continue
		}
		if !bytes.Equal(img.Body, png) || img.ContentType != "image/png" || (img.PageURL != srv.URL+"/a" && img.PageURL != srv.URL+"/b") {
			t.Errorf("image %+v", img)
		}
	}
	if err := rec.errs[srv.URL+"/big.png"]; err == nil || !strings.Contains(err.Error(), "larger than 1024") {
		t.Errorf("big image error = %v", err)
	}
}

func TestCancellingAbortsRequestsInFlight(t *testing.T) {
	arrived := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	c := newCrawler(t, Config{Concurrency: 3})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/1", srv.URL+"/2", srv.URL+"/3", srv.URL+"/4")
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		remaining []Request
		stats     Stats
		err       error
	}
	done := make(chan result, 1)
	go func() {
		rem, st, err := c.Crawl(ctx, frontier, scope, 0, seen, Handler{OnError: func(r Request, err error) {
			t.Errorf("OnError(%s, %v) for a cancelled request", r.URL, err)
		}})
		done <- result{rem, st, err}
	}()
	for range 3 {
		<-arrived
	}
	cancel()
	res := <-done
	if !errors.Is(res.err, context.Canceled) {
		t.Fatalf("err = %v", res.err)
	}
	if len(res.remaining) != 4 || res.stats.Pages != 0 {
		t.Errorf("remaining %v, stats %+v: want all 4 requests back", res.remaining, res.stats)
	}
}

func TestASlowPageTimesOutAndIsReported(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprint(w, "<html><body>fast</body></html>")
	}))
	defer srv.Close()
	c := newCrawler(t, Config{RequestTimeout: 300 * time.Millisecond})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/slow", srv.URL+"/fast")
	var rec recorder
	remaining, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
	if err != nil || len(remaining) != 0 {
		t.Fatal(err, remaining)
	}
	if stats.Pages != 2 || stats.Errors != 1 || rec.errs[srv.URL+"/slow"] == nil || rec.page(srv.URL+"/fast") == nil {
		t.Errorf("stats %+v, errors %v", stats, rec.errs)
	}
}
