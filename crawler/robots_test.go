package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestRobotsPolicy(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/public">a</a><a href="/private/x">b</a>`)
	}))
	defer srv.Close()
	for _, obey := range []bool{true, false} {
		t.Run(fmt.Sprintf("obey=%v", obey), func(t *testing.T) {
			mu.Lock()
			clear(hits)
			mu.Unlock()
			c := newCrawler(t, Config{ObeyRobots: obey})
			seen := NewMemorySeen()
			scope, frontier := start(t, seen, srv.URL+"/")
			var rec recorder
			var (
				skipMu  sync.Mutex
				skipped []string
			)
			h := rec.handler()
			h.OnSkip = func(req Request, err error) {
				skipMu.Lock()
				skipped = append(skipped, err.Error())
				skipMu.Unlock()
			}
			if _, _, err := c.Crawl(context.Background(), frontier, scope, 0, seen, h); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if rec.page(srv.URL+"/public") == nil {
				t.Fatalf("allowed page not fetched")
			}
			if obey {
				if hits["/private/x"] != 0 || hits["/robots.txt"] != 1 || len(skipped) != 1 || !strings.Contains(skipped[0], "/private/x: disallowed by robots.txt") {
					t.Fatalf("obeying: hits %v, skipped %q", hits, skipped)
				}
			} else if hits["/private/x"] != 1 || hits["/robots.txt"] != 0 || len(skipped) != 0 {
				t.Fatalf("ignoring: hits %v, skipped %q", hits, skipped)
			}
		})
	}
}
