package activities

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"vigil"
	"vigil/crawler"
	"vigil/crawler/tor"
	"vigil/evidence"
	"vigil/extractors/contacts"
	"vigil/extractors/imagehash"
	"vigil/internal/demo"
	"vigil/store/crawlstate"
	"vigil/store/embedded"
	"vigil/workflows"
)

// newActivitiesFor is newActivities for benchmarks: lab-mode transport,
// embedded store and crawl state in a temporary directory.
func newActivitiesFor(tb testing.TB) *Activities {
	tb.Helper()
	dir := tb.TempDir()
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "index")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	state, err := crawlstate.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { state.Close() })
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

// BenchmarkCrawlBatchEvidence crawls the same loopback demo site with WARC
// capture off and on and reports pages/s of each and their ratio: the cost
// of evidence archiving. Each iteration crawls with capture off, then on, so
// load that drifts during the run (other processes on a shared machine)
// weighs on both sides alike.
func BenchmarkCrawlBatchEvidence(b *testing.B) {
	site := demo.New(demo.Config{Threads: 60, Listings: 60})
	srv := httptest.NewServer(site)
	defer srv.Close()
	pages := map[bool]int{}
	spent := map[bool]time.Duration{}
	for i := 0; b.Loop(); i++ {
		for _, on := range []bool{false, true} {
			a := newActivitiesFor(b)
			if on {
				_, key, _ := ed25519.GenerateKey(nil)
				arch, err := evidence.NewArchive(evidence.ArchiveConfig{Dir: filepath.Join(b.TempDir(), "evidence"), Key: key})
				if err != nil {
					b.Fatal(err)
				}
				a.Evidence = arch
			}
			ctx := context.Background()
			id := fmt.Sprintf("bench-%d-%v", i, on)
			if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: id, Seeds: []string{srv.URL + "/"}}); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for batch := 1; ; batch++ {
				res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: id, Batch: batch, MaxPages: 100})
				if err != nil {
					b.Fatal(err)
				}
				pages[on] += res.Pages
				if res.Queued == 0 {
					break
				}
			}
			spent[on] += time.Since(start)
		}
	}
	off, on := float64(pages[false])/spent[false].Seconds(), float64(pages[true])/spent[true].Seconds()
	b.ReportMetric(off, "pages/s-warc-off")
	b.ReportMetric(on, "pages/s-warc-on")
	b.ReportMetric(on/off, "on/off")
	fmt.Printf("CrawlBatchEvidence (same site, same run, interleaved): WARC off %.0f pages/s, WARC on %.0f pages/s, on/off ratio %.2f\n", off, on, on/off)
}
