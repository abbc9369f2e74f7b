package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"vigil/crawler"
	"vigil/crawler/tor"
)

// BenchmarkTorCrawlVsNetHTTP measures pages/s fetching the demo forum onion
// through the private Tor network: the Vigil crawler (colly, scope, seen set,
// link extraction, the fail-closed Tor transport with a circuit per site)
// beside a plain net/http client with golang.org/x/net/proxy's SOCKS5 dialer
// fetching the same URLs through the same tor client at the same
// concurrency. Each side gets a SOCKS username of its own per iteration, so
// both start on a fresh circuit. It reports both rates and their ratio (goal
// ≥ 0.8).
func BenchmarkTorCrawlVsNetHTTP(b *testing.B) {
	const concurrency = 8
	tn := privateTor(b)
	b.Logf("private Tor network bootstrap: %v", tn.took.Round(time.Millisecond))
	base := "http://" + tn.net.Onion("forum")
	paths := tn.forum.Pages()
	ctx := context.Background()

	for i := 0; i < b.N; i++ {
		iter := strconv.FormatInt(time.Now().UnixNano(), 36)

		// Baseline: the same URLs, a plain client, a worker pool.
		d, err := proxy.SOCKS5("tcp", tn.net.SOCKSAddr(), &proxy.Auth{User: "baseline-" + iter, Password: "x"}, &net.Dialer{})
		if err != nil {
			b.Fatal(err)
		}
		plain := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			DialContext:         d.(proxy.ContextDialer).DialContext,
			MaxIdleConnsPerHost: concurrency,
		}}
		jobs := make(chan string)
		var wg sync.WaitGroup
		var got, failed atomic.Int64
		start := time.Now()
		for w := 0; w < concurrency; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for u := range jobs {
					resp, err := plain.Get(u)
					if err != nil {
						failed.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					got.Add(1)
				}
			}()
		}
		for _, p := range paths {
			jobs <- base + p
		}
		close(jobs)
		wg.Wait()
		plainTook := time.Since(start)
		plain.CloseIdleConnections()
		if failed.Load() > 0 {
			b.Fatalf("plain client: %d of %d requests failed", failed.Load(), len(paths))
		}

		// Vigil's crawler, discovering the same pages by following links.
		rt, err := tor.NewTransport(tor.Config{SOCKSAddr: tn.net.SOCKSAddr(), IsolationKey: "bench-" + iter})
		if err != nil {
			b.Fatal(err)
		}
		c, err := crawler.New(crawler.Config{Transport: rt, Concurrency: concurrency})
		if err != nil {
			b.Fatal(err)
		}
		scope, reqs, err := crawler.ScopeFor([]string{base + "/"})
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		_, stats, err := c.Crawl(ctx, reqs, scope, 2*len(paths), crawler.NewMemorySeen(), crawler.Handler{})
		vigilTook := time.Since(start)
		if err != nil || stats.Pages != len(paths) || stats.Errors != 0 {
			b.Fatalf("vigil crawler: %+v, %v; want %d pages", stats, err, len(paths))
		}

		plainRate := float64(got.Load()) / plainTook.Seconds()
		vigilRate := float64(stats.Pages) / vigilTook.Seconds()
		b.ReportMetric(vigilRate, "vigil-pages/s")
		b.ReportMetric(plainRate, "nethttp-pages/s")
		b.ReportMetric(vigilRate/plainRate, "ratio")
		b.Logf("%s", fmt.Sprintf("forum onion, %d pages, concurrency %d, through the private Tor network: net/http %d pages in %v (%.1f pages/s); vigil crawler %d pages in %v (%.1f pages/s); ratio %.2f",
			len(paths), concurrency, got.Load(), plainTook.Round(time.Millisecond), plainRate, stats.Pages, vigilTook.Round(time.Millisecond), vigilRate, vigilRate/plainRate))
	}
}
