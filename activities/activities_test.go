package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"vigil"
	"vigil/crawler"
	"vigil/crawler/tor"
	"vigil/extractors/contacts"
	"vigil/extractors/imagehash"
	"vigil/internal/demo"
	"vigil/store/crawlstate"
	"vigil/store/embedded"
	"vigil/workflows"
)

func newActivities(t *testing.T) *Activities {
	t.Helper()
	dir := t.TempDir()
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "index")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	state, err := crawlstate.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	return &Activities{
		Store: store, Captures: store, State: state,
		Extractors: []vigil.Extractor{contacts.New(contacts.Config{})},
		Hasher:     imagehash.New(imagehash.Config{}),
		Transport: func(string) (http.RoundTripper, error) {
			return tor.NewTransport(tor.Config{Direct: true})
		},
		Crawler: crawler.Config{Concurrency: 8, FetchImages: true},
	}
}

// TestBatchesIndexEveryPageOnceAndReplaysAreIdempotent drives the activities
// as the workflow does, replaying every batch and index call once more as a
// retry after a lost result would.
func TestBatchesIndexEveryPageOnceAndReplaysAreIdempotent(t *testing.T) {
	site := demo.New(demo.Config{Threads: 40, Listings: 40})
	srv := httptest.NewServer(site)
	defer srv.Close()
	a := newActivities(t)
	ctx := context.Background()

	started, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: "c1", Seeds: []string{srv.URL + "/"}, MaxDepth: 0})
	if err != nil || started.Queued != 1 {
		t.Fatalf("start = %+v, %v", started, err)
	}
	pages := 0
	for batch := 1; ; batch++ {
		res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "c1", Batch: batch, MaxPages: 37})
		if err != nil {
			t.Fatal(err)
		}
		again, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "c1", Batch: batch, MaxPages: 37})
		if err != nil || len(again.DocumentIDs) != len(res.DocumentIDs) || again.Queued != res.Queued {
			t.Fatalf("replayed batch %d = %+v, %v; first run %+v", batch, again, err, res)
		}
		pages += res.Pages
		in := workflows.IndexBatchInput{CrawlID: "c1", Batch: batch, DocumentIDs: res.DocumentIDs}
		if _, err := a.IndexBatch(ctx, in); err != nil {
			t.Fatal(err)
		}
		if r, err := a.IndexBatch(ctx, in); err != nil || r.Documents != 0 {
			t.Fatalf("replayed index = %+v, %v; want nothing left to index", r, err)
		}
		if res.Queued == 0 {
			break
		}
		if batch > 1000 {
			t.Fatal("crawl does not end")
		}
	}
	want := len(site.Pages())
	if pages != want {
		t.Fatalf("fetched %d pages, the site has %d", pages, want)
	}
	st, err := a.Store.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != want || st.Images == 0 || st.Findings == 0 {
		t.Fatalf("stats = %+v, want %d documents and some images and findings", st, want)
	}
	for _, p := range site.Unique() {
		res, err := a.Store.Findings(ctx, vigil.FindingQuery{Kind: p.Kind, Value: p.Value})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range res.Findings {
			found = found || f.URL == srv.URL+p.Path
		}
		if !found && (p.Kind == vigil.KindEmail || p.Kind == vigil.KindPhone || p.Kind == vigil.KindOnion) {
			t.Errorf("planted %s %s on %s not found (%d findings)", p.Kind, p.Value, p.Path, res.Total)
		}
	}
}

func TestStartCrawlRefusesWithoutAProxy(t *testing.T) {
	a := newActivities(t)
	a.Transport = func(string) (http.RoundTripper, error) { return tor.NewTransport(tor.Config{}) }
	_, err := a.StartCrawl(context.Background(), workflows.StartCrawlInput{CrawlID: "c", Seeds: []string{"http://127.0.0.1:1/"}})
	if err == nil {
		t.Fatal("a crawl started without any proxy configured")
	}
}
