package activities

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"vigil/workflows"
)

// TestRobotsPolicyIsRecordedAndApplied starts a crawl that obeys robots.txt:
// the policy is in the crawl's metadata, the disallowed page is not fetched
// and the batch counts it as skipped, and so is a calendar trap link.
func TestRobotsPolicyIsRecordedAndApplied(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
		case "/private":
			t.Errorf("the crawl fetched a page robots.txt disallows")
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<a href="/public">a</a><a href="/private">b</a><a href="/cal/2024/05">c</a>`)
		}
	}))
	defer srv.Close()
	a := newActivities(t)
	ctx := context.Background()
	if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: "r", Seeds: []string{srv.URL + "/"}, Robots: workflows.RobotsObey}); err != nil {
		t.Fatal(err)
	}
	meta, err := a.State.Meta("r")
	if err != nil || meta.Robots != workflows.RobotsObey {
		t.Fatalf("crawl metadata robots = %q (%v); want obey", meta.Robots, err)
	}
	res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "r", Batch: 1, MaxPages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 2 || res.Skipped != 2 || res.Queued != 0 {
		t.Fatalf("batch = %+v; want 2 pages (/ and /public), 2 skipped (robots.txt, calendar), nothing queued", res)
	}
}
