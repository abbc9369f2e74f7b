package crawler

import (
	"context"
	"testing"
	"time"
)

// The benchmarks crawl a generated 500-page site on 127.0.0.1 at
// concurrency 16 (DESIGN.md §7: more does not help on 2 cores) and report
// pages/s and requests per distinct page.
const (
	benchPages       = 500
	benchConcurrency = 16
)

func BenchmarkCrawl(b *testing.B) {
	s := newSite(b, benchPages)
	tr := loopbackTransport()
	defer tr.CloseIdleConnections()
	c, err := New(Config{Transport: tr, Concurrency: benchConcurrency})
	if err != nil {
		b.Fatal(err)
	}
	var pages int
	var elapsed time.Duration
	for b.Loop() {
		seen := NewMemorySeen()
		scope, frontier, err := ScopeFor([]string{s.seed()})
		if err != nil {
			b.Fatal(err)
		}
		seen.MarkNew(frontier[0].URL)
		begin := time.Now()
		_, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, Handler{})
		elapsed += time.Since(begin)
		if err != nil || stats.Pages != benchPages {
			b.Fatalf("crawl: %v, %d pages", err, stats.Pages)
		}
		pages += stats.Pages
	}
	reportCrawl(b, s, pages, elapsed)
}

func BenchmarkRawColly(b *testing.B) {
	s := newSite(b, benchPages)
	tr := loopbackTransport()
	defer tr.CloseIdleConnections()
	var pages int
	var elapsed time.Duration
	for b.Loop() {
		n, d, err := RawCollyBaseline(context.Background(), s.seed(), benchConcurrency, tr)
		if err != nil {
			b.Fatal(err)
		}
		pages += n
		elapsed += d
	}
	reportCrawl(b, s, pages, elapsed)
}

func reportCrawl(b *testing.B, s *site, pages int, elapsed time.Duration) {
	b.Helper()
	requests := 0
	for _, n := range s.hits.snapshot() {
		requests += n
	}
	distinct := len(s.hits.snapshot())
	b.ReportMetric(float64(pages)/elapsed.Seconds(), "pages/s")
	if distinct > 0 {
		b.ReportMetric(float64(requests)/float64(distinct)/float64(b.N), "requests/page")
	}
	b.ReportMetric(0, "ns/op")
}
