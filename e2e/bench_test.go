package e2e

import (
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil"
	"vigil/crawler"
	"vigil/crawler/tor"
	"vigil/internal/demo"
)

// benchPages sizes the benchmark site; VIGIL_BENCH_PAGES overrides it.
func benchPages() int {
	if n, err := strconv.Atoi(os.Getenv("VIGIL_BENCH_PAGES")); err == nil && n > 0 {
		return n
	}
	return 5000
}

// BenchmarkPipelineVsRawColly crawls the same generated loopback site twice
// at the same concurrency: once with plain colly (fetch and follow links,
// nothing else), once through the whole Vigil pipeline (Temporal workflow,
// batches, captures on disk, extraction, image hashing, indexing), and
// reports both rates and their ratio. It does so for the demo site with its
// images (one per five pages, which raw colly never fetches) and without
// them, to separate the cost of hashing images from the rest.
func BenchmarkPipelineVsRawColly(b *testing.B) {
	const concurrency = 8
	inst := startUp(b, "--direct", "--concurrency", strconv.Itoa(concurrency), "--batch-size", "500")
	for _, images := range []bool{true, false} {
		cfg := demo.ForPages(benchPages())
		name := "with-images"
		if !images {
			cfg.ImageEvery = -1
			name = "no-images"
		}
		b.Run(name, func(b *testing.B) { benchPipeline(b, inst, demo.New(cfg), concurrency) })
	}
}

func benchPipeline(b *testing.B, inst *instance, site *demo.Site, concurrency int) {
	n := len(site.Pages())
	// Render every image once now, so that neither run pays for the demo
	// server drawing them (the site caches its first 1024 images).
	for _, img := range site.Images() {
		img.Bytes()
	}
	for i := 0; i < b.N; i++ {
		// Baseline: raw colly on its own copy of the site.
		base := httptest.NewServer(site)
		rt, err := tor.NewTransport(tor.Config{Direct: true})
		if err != nil {
			b.Fatal(err)
		}
		pages, elapsed, err := crawler.RawCollyBaseline(context.Background(), base.URL+"/", concurrency, rt)
		base.Close()
		if err != nil {
			b.Fatal(err)
		}
		collyRate := float64(pages) / elapsed.Seconds()

		// The pipeline, from the API call that starts the crawl to the last
		// document indexed.
		srv := httptest.NewServer(site)
		start := time.Now()
		out, errOut, code := runVigil(b, "crawl", "--server", inst.URL, "--case", "bench", "--depth", "-1", "--max-pages", strconv.Itoa(2*n), "--wait", srv.URL+"/")
		took := time.Since(start)
		srv.Close()
		if code != 0 {
			b.Fatalf("crawl exited %d: %s %s", code, errOut, out)
		}
		id := strings.Fields(out)[1]
		var st vigil.CrawlStatus
		getJSON(b, inst.URL, "/api/crawls/"+id, &st)
		if st.Indexed != n {
			b.Fatalf("pipeline indexed %d of %d pages", st.Indexed, n)
		}
		pipeRate := float64(st.Indexed) / took.Seconds()
		b.ReportMetric(pipeRate, "pipeline-pages/s")
		b.ReportMetric(collyRate, "colly-pages/s")
		b.ReportMetric(pipeRate/collyRate, "ratio")
		b.Logf("site %d pages and %d images, concurrency %d: raw colly %d pages in %v (%.0f pages/s); pipeline %d pages fetched+extracted+hashed+indexed in %v (%.0f pages/s); ratio %.2f",
			n, len(site.Images()), concurrency, pages, elapsed.Round(time.Millisecond), collyRate, st.Indexed, took.Round(time.Millisecond), pipeRate, pipeRate/collyRate)
	}
}
