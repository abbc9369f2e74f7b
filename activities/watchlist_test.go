package activities

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"vigil"
	"vigil/internal/demo"
	"vigil/photo/watchlist"
	"vigil/workflows"
)

// syncBuffer is a log sink safe for the crawler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestIndexBatchChecksImagesAgainstWatchlists crawls a demo site with a
// watchlist holding one planted image's pHash: indexing raises one stored
// alert for it, logged with its page URL and distance, and a replayed
// IndexBatch raises nothing more.
func TestIndexBatchChecksImagesAgainstWatchlists(t *testing.T) {
	site := demo.New(demo.Config{Threads: 10, Listings: 10, ImageEvery: 3})
	srv := httptest.NewServer(site)
	defer srv.Close()
	a := newActivities(t)
	logs := &syncBuffer{}
	a.Logger = slog.New(slog.NewTextHandler(logs, nil))
	wl, err := watchlist.Open(filepath.Join(t.TempDir(), "watchlist.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	a.Watchlist = wl

	var target demo.PlantedImage
	for _, im := range site.Images() {
		if im.Format == "jpeg" && len(im.PagePaths) == 1 {
			target = im
			break
		}
	}
	hs, err := a.Hasher.Hash(target.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wl.Import("test", []watchlist.Row{{Algorithm: vigil.AlgoPHash, Hash: hs.PHash, Label: "planted"}}); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: "w1", Seeds: []string{srv.URL + "/"}, MaxDepth: -1}); err != nil {
		t.Fatal(err)
	}
	for batch := 1; batch < 100; batch++ {
		res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "w1", Batch: batch, MaxPages: 50})
		if err != nil {
			t.Fatal(err)
		}
		in := workflows.IndexBatchInput{CrawlID: "w1", Batch: batch, DocumentIDs: res.DocumentIDs}
		if _, err := a.IndexBatch(ctx, in); err != nil {
			t.Fatal(err)
		}
		if res.Queued == 0 {
			break
		}
	}
	alerts, err := wl.Alerts(100)
	if err != nil {
		t.Fatal(err)
	}
	pageURL := srv.URL + target.PagePaths[0]
	var mine []vigil.Alert
	for _, al := range alerts {
		if al.Image.PageURL == pageURL && al.Image.URL == srv.URL+target.Path {
			mine = append(mine, al)
		}
	}
	if len(mine) != 1 || mine[0].Distance != 0 || mine[0].Label != "planted" {
		t.Fatalf("alerts = %+v; want one for %s on %s", alerts, target.Path, pageURL)
	}
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "watchlist alert") && strings.Contains(l, "page_url="+pageURL) {
			line = l
		}
	}
	if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "distance=0") || !strings.Contains(line, "label=planted") {
		t.Fatalf("no WARN line with the page URL and distance; logs:\n%s", logs.String())
	}
	if n := strings.Count(logs.String(), "watchlist alert"); n != len(alerts) {
		t.Errorf("%d alert log lines for %d stored alerts", n, len(alerts))
	}
	// Checking the same images again (a retried batch) raises nothing.
	again, err := wl.Check([]vigil.Image{mine[0].Image})
	if err != nil || len(again) != 0 {
		t.Fatalf("re-check raised %v, %v; want nothing", again, err)
	}
}
