package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
)

// RawCollyBaseline crawls the host of seed with colly as its README shows it,
// and nothing of Vigil: an Async collector with Parallelism = concurrency,
// OnHTML("a[href]") → Visit, colly's own visited check, limited to the seed's
// host:port. It returns the pages (responses) received and the time taken. It is
// the baseline that benchmarks compare Crawl and the whole pipeline against.
// Every request goes through transport.
func RawCollyBaseline(ctx context.Context, seed string, concurrency int, transport http.RoundTripper) (pages int, elapsed time.Duration, err error) {
	if transport == nil {
		return 0, 0, errors.New("raw colly baseline: no transport")
	}
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	u, err := url.Parse(seed)
	if err != nil || u.Hostname() == "" {
		return 0, 0, fmt.Errorf("raw colly baseline: bad seed %q", seed)
	}
	c := colly.NewCollector(
		colly.Async(true),
		colly.AllowedDomains(u.Hostname()),
		// AllowedDomains ignores the port; the filter keeps it.
		colly.URLFilters(regexp.MustCompile("^"+regexp.QuoteMeta(u.Scheme+"://"+u.Host)+"(/|$|\\?)")),
		colly.StdlibContext(ctx),
	)
	c.CacheDir = ""
	c.WithTransport(transport)
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: concurrency}); err != nil {
		return 0, 0, fmt.Errorf("raw colly baseline: %w", err)
	}
	var n atomic.Int64
	c.OnResponse(func(*colly.Response) { n.Add(1) })
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		e.Request.Visit(e.Attr("href"))
	})
	begin := time.Now()
	if err := c.Visit(seed); err != nil {
		return 0, 0, fmt.Errorf("raw colly baseline: visit %s: %w", seed, err)
	}
	c.Wait()
	elapsed = time.Since(begin)
	if err := ctx.Err(); err != nil {
		return int(n.Load()), elapsed, fmt.Errorf("raw colly baseline: %w", err)
	}
	return int(n.Load()), elapsed, nil
}
