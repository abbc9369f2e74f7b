package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"vigil/crawler"
	"vigil/crawler/tor"
)

// Example shows the wiring a crawl activity does: a transport from package
// tor (here the loopback lab mode; in production tor.Config{SOCKSAddr:
// "127.0.0.1:9050", IsolationKey: crawlID}), seeds validated by ScopeFor and
// marked in Seen, then batches until the frontier is empty.
func Example() {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><head><title>lab</title></head><body><a href="/a">a</a> <a href="/b">b</a></body></html>`)
	}))
	defer site.Close()

	rt, err := tor.NewTransport(tor.Config{Direct: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := crawler.New(crawler.Config{Transport: rt, Concurrency: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	scope, frontier, err := crawler.ScopeFor([]string{site.URL + "/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	seen := crawler.NewMemorySeen() // the activity persists its own Seen
	for _, r := range frontier {
		seen.MarkNew(r.URL)
	}
	total := 0
	for batch := 1; len(frontier) > 0; batch++ {
		var stats crawler.Stats
		frontier, stats, err = c.Crawl(context.Background(), frontier, scope, 2, seen, crawler.Handler{
			OnPage: func(p *crawler.Page) error {
				_ = p.Doc.Find("title").Text() // parsed once, shared with extractors
				return nil
			},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		total += stats.Pages
		fmt.Printf("batch %d: %d pages, %d left\n", batch, stats.Pages, len(frontier))
	}
	fmt.Println("total", total)
	// Output:
	// batch 1: 2 pages, 1 left
	// batch 2: 1 pages, 0 left
	// total 3
}
