package activities

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"vigil/workflows"
)

// TestRecrawlTellsChangedFromUnchangedPages crawls a four-page site, changes
// one page, and crawls it again as a new crawl: the second crawl counts three
// pages unchanged and one changed by content hash; the first counts neither.
func TestRecrawlTellsChangedFromUnchangedPages(t *testing.T) {
	var version atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<a href="/1">1</a><a href="/2">2</a><a href="/3">3</a>`)
		case "/2":
			fmt.Fprintf(w, "<p>price list, version %d</p>", version.Load())
		default:
			fmt.Fprintf(w, "<p>page %s</p>", r.URL.Path)
		}
	}))
	defer srv.Close()
	a := newActivities(t)
	crawl := func(id string) workflows.CrawlBatchResult {
		t.Helper()
		ctx := context.Background()
		if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: id, Seeds: []string{srv.URL + "/"}}); err != nil {
			t.Fatal(err)
		}
		res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: id, Batch: 1, MaxPages: 100})
		if err != nil || res.Pages != 4 || res.Queued != 0 {
			t.Fatalf("crawl %s = %+v, %v; want 4 pages in one batch", id, res, err)
		}
		return res
	}
	if first := crawl("first"); first.Changed != 0 || first.Unchanged != 0 {
		t.Fatalf("first crawl counted %d changed, %d unchanged; want none", first.Changed, first.Unchanged)
	}
	version.Add(1)
	if again := crawl("again"); again.Changed != 1 || again.Unchanged != 3 {
		t.Fatalf("re-crawl counted %d changed, %d unchanged; want 1 and 3", again.Changed, again.Unchanged)
	}
}
