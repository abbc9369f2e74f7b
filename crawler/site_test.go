package crawler

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hitCounter counts requests per path.
type hitCounter struct {
	mu   sync.Mutex
	hits map[string]int
}

func (h *hitCounter) add(path string) {
	h.mu.Lock()
	if h.hits == nil {
		h.hits = map[string]int{}
	}
	h.hits[path]++
	h.mu.Unlock()
}

func (h *hitCounter) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := make(map[string]int, len(h.hits))
	for k, v := range h.hits {
		m[k] = v
	}
	return m
}

func (h *hitCounter) get(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}

// site is a generated site of n pages /p/0 … /p/n-1 on 127.0.0.1. Page i
// links to pages 2i+1 and 2i+2 (so every page is reachable from /p/0), to
// /p/0, to (7i+3) mod n, and to things a crawler must not follow: a page on
// the out-of-scope server, mailto:, javascript:, tel:, data: and a
// fragment-only link.
type site struct {
	srv     *httptest.Server
	outside *httptest.Server
	hits    hitCounter
	outHits hitCounter
	leaks   atomic.Int64 // requests that carried the internal fetch tag
	uas     sync.Map     // User-Agent values seen
	n       int
}

func newSite(tb testing.TB, n int) *site {
	tb.Helper()
	s := &site{n: n}
	s.outside = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.outHits.add(r.URL.Path)
		fmt.Fprint(w, "<html><body>outside</body></html>")
	}))
	tb.Cleanup(s.outside.Close)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.add(r.URL.Path)
		if _, ok := r.Header[fetchHeader]; ok {
			s.leaks.Add(1)
		}
		s.uas.Store(r.Header.Get("User-Agent"), true)
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if !strings.HasPrefix(r.URL.Path, "/p/") || err != nil || i < 0 || i >= n {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, s.page(i))
	}))
	tb.Cleanup(s.srv.Close)
	return s
}

func (s *site) page(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><title>Page %d</title></head><body><h1>Page %d</h1>", i, i)
	for _, j := range []int{2*i + 1, 2*i + 2} {
		if j < s.n {
			fmt.Fprintf(&b, `<a href="/p/%d">child %d</a> `, j, j)
		}
	}
	fmt.Fprintf(&b, `<a href="/p/0#top">home</a> <a href="%d">sibling</a> `, (7*i+3)%s.n)
	fmt.Fprintf(&b, `<a href="%s/leak/%d">outside</a> `, s.outside.URL, i)
	b.WriteString(`<a href="mailto:x@example.com">mail</a> <a href="javascript:void(0)">js</a> `)
	b.WriteString(`<a href="tel:+14155550123">tel</a> <a href="data:text/html,hi">data</a> <a href="#frag">frag</a>`)
	b.WriteString(strings.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>", 20))
	b.WriteString("</body></html>")
	return b.String()
}

// seed is the URL of page 0.
func (s *site) seed() string { return s.srv.URL + "/p/0" }

func loopbackTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
}
