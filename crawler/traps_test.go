package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hostileSite serves a crawler trap of every kind Traps guards against,
// next to an honest page and one page linked under three session IDs.
type hostileSite struct {
	pageHits   atomic.Int64 // requests for /page, whatever the query
	videoBytes atomic.Int64 // bytes /video.mp4 managed to write
}

func (h *hostileSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	link := func(hrefs ...string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><head><title>t</title></head><body>")
		for _, href := range hrefs {
			fmt.Fprintf(w, "<a href=%q>x</a>", href)
		}
		fmt.Fprint(w, "</body></html>")
	}
	p := r.URL.Path
	switch {
	case p == "/":
		link("/ok", "/cal/2024/05", "/events?month=2024-05", "/q?p1=1", "/loop/", "/d/1", "/long?x=AAAA",
			"/page?PHPSESSID=abc&b=2&a=1", "/page;jsessionid=XYZ?b=2&a=1", "/page?a=1&b=2&sid=9", "/video.mp4")
	case p == "/ok" || p == "/page":
		if p == "/page" {
			h.pageHits.Add(1)
		}
		link()
	case strings.HasPrefix(p, "/cal/"):
		// Every month links to the next one, forever.
		var y, m int
		fmt.Sscanf(p, "/cal/%d/%d", &y, &m)
		link(fmt.Sprintf("/cal/%d/%02d", y+m/12, m%12+1))
	case p == "/events":
		link("/events?month=" + r.URL.Query().Get("month") + "1")
	case p == "/q":
		// Every page links to itself with one parameter more.
		n := len(r.URL.Query())
		link(r.URL.RequestURI() + "&p" + strconv.Itoa(n+1) + "=1")
	case strings.HasPrefix(p, "/loop/"):
		link("loop/")
	case strings.HasPrefix(p, "/d/"):
		link(p + "/" + strconv.Itoa(strings.Count(p, "/")))
	case p == "/long":
		x := r.URL.Query().Get("x")
		link("/long?x=" + x + x)
	case p == "/video.mp4":
		// A large body of a type the crawl does not keep.
		w.Header().Set("Content-Type", "video/mp4")
		chunk := make([]byte, 32<<10)
		for range (64 << 20) / len(chunk) {
			n, err := w.Write(chunk)
			h.videoBytes.Add(int64(n))
			if err != nil {
				return
			}
		}
	default:
		http.NotFound(w, r)
	}
}

// TestTrapsAreNotFollowed crawls a hostile site without a page limit: the
// crawl ends by itself, quickly, with each trap reported once with its
// reason, the honest pages fetched, one URL for the page linked under three
// session IDs, and the video's body left unread.
func TestTrapsAreNotFollowed(t *testing.T) {
	site := &hostileSite{}
	srv := httptest.NewServer(site)
	c := newCrawler(t, Config{Concurrency: 4, Traps: Traps{AllowedTypes: []string{"text/"}}})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/")
	var rec recorder
	var mu sync.Mutex
	skips := map[string]string{}
	h := rec.handler()
	h.OnSkip = func(req Request, err error) {
		if _, ok := err.(*TrapError); !ok {
			t.Errorf("skip %s: %T is not a *TrapError", req.URL, err)
		}
		mu.Lock()
		skips[req.URL] = err.Error()
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	remaining, stats, err := c.Crawl(ctx, frontier, scope, 0, seen, h)
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	srv.Close() // waits for the video handler to give up
	if len(remaining) != 0 {
		t.Fatalf("crawl left %d requests", len(remaining))
	}
	if stats.Pages > 60 {
		t.Fatalf("crawl fetched %d pages: a trap was followed too far", stats.Pages)
	}

	want := map[string]string{ // reason by the start of the skipped URL's path
		"/cal/2024/05":                  "calendar-like path",
		"/events?month=":                "calendar-like query parameter",
		"/q?p1=1&p10=1&p11=1&p12=1&p13": "query has 13 parameters (limit 12)",
		"/loop/loop/loop/loop/":         "repeats more than 3 times",
		"/d/1/2/3/4/5/6/7/8/9/10/11/12": "path has 25 segments (limit 24)",
		"/long?x=AAAA":                  "URL is",
		"/video.mp4":                    `content type "video/mp4" is not allowed`,
	}
	for prefix, reason := range want {
		found := 0
		for u, msg := range skips {
			if strings.HasPrefix(u, srv.URL+prefix) {
				found++
				if !strings.Contains(msg, reason) || !strings.Contains(msg, u) {
					t.Errorf("skip of %s says %q; want the URL and %q", u, msg, reason)
				}
			}
		}
		if found != 1 {
			t.Errorf("%d skips of %s...; want exactly one (%s): %v", found, prefix, reason, skips)
		}
	}
	if len(skips) != len(want) || stats.Skipped != len(want) {
		t.Errorf("%d skips (stats %d), want %d: %v", len(skips), stats.Skipped, len(want), skips)
	}
	if rec.page(srv.URL+"/ok") == nil {
		t.Errorf("the honest page was not fetched")
	}
	if p := rec.page(srv.URL + "/page?a=1&b=2"); p == nil || site.pageHits.Load() != 1 {
		t.Errorf("page under session IDs: fetched as the canonical URL %v, %d requests; want one", p != nil, site.pageHits.Load())
	}
	if rec.page(srv.URL+"/video.mp4") != nil {
		t.Errorf("the video was handed over as a page")
	}
	if n := site.videoBytes.Load(); n >= 32<<20 {
		t.Errorf("the server wrote %d bytes of the video: its body was read", n)
	}
}

func TestNormalizeURLCanonicalisesQueries(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HTTP://Example.ONION:80/a?b=2&a=1#frag", "http://example.onion/a?a=1&b=2"},
		{"https://x.onion:443/?PHPSESSID=1&q=a", "https://x.onion/?q=a"},
		{"http://x.onion/p;jsessionid=AB12?sid=3&SessionID=4&z=1", "http://x.onion/p?z=1"},
		{"http://x.onion/p?", "http://x.onion/p"},
		{"http://x.onion:8080/p?b=1&a=2&a=1", "http://x.onion:8080/p?a=1&a=2&b=1"},
		{"http://x.onion/2024/05/a-post-title", "http://x.onion/2024/05/a-post-title"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := normalizeURL(u)
		if !ok || got.String() != tc.want {
			t.Errorf("normalizeURL(%s) = %v, %v; want %s", tc.in, got, ok, tc.want)
		}
	}
}

func TestTrapLimitsCanBeTurnedOff(t *testing.T) {
	u, _ := url.Parse("http://x.onion/cal/2024/05?" + strings.Repeat("a=1&", 20) + "b=1")
	if err := (Traps{}).withDefaults().check(u); err == nil {
		t.Fatalf("default limits let %s through", u)
	}
	off := Traps{MaxURLLength: -1, MaxQueryParams: -1, MaxPathSegments: -1, MaxRepeatedSegment: -1, FollowCalendars: true}
	if err := off.withDefaults().check(u); err != nil {
		t.Fatalf("limits turned off: %v", err)
	}
}
