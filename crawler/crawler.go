// Package crawler is Vigil's batch crawler: colly v2 fetching pages
// breadth-first within a scope, through a caller-supplied transport (in
// production the fail-closed Tor transport of package vigil/crawler/tor),
// with an atomic check-and-mark of every URL supplied by the caller (Seen) so
// that no page is fetched twice, across goroutines and across batches.
//
// A crawl is cut into batches: Crawl fetches up to maxPages pages and returns
// the frontier it did not reach, which the caller persists and passes to the
// next Crawl. Nothing fetched is stored by this package; pages and images are
// handed to the caller's Handler.
package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gocolly/colly/v2"
	"golang.org/x/net/html"
)

// Defaults for the zero values of Config.
const (
	DefaultConcurrency    = 8
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxBodyBytes   = 10 << 20
	DefaultMaxImageBytes  = 10 << 20
	// DefaultUserAgent is Tor Browser's (Firefox ESR on Windows), so a crawl
	// through Tor looks like the most common client there.
	DefaultUserAgent = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"
	// MaxRedirects bounds the redirects followed for one request.
	MaxRedirects = 10
)

// Config configures a Crawler. Every zero value but Transport's has a
// working default.
type Config struct {
	// Transport carries every request, pages and images alike. Required: in
	// production the Tor transport from vigil/crawler/tor.
	Transport http.RoundTripper
	// Concurrency is the number of pages fetched at once; 0 means 8.
	Concurrency int
	// MaxDepth is the deepest link followed (seeds are depth 0); 0 means
	// unlimited. Scope.MaxDepth also applies: the smaller non-zero one wins.
	MaxDepth int
	// RequestTimeout bounds one request, redirects and body included; 0
	// means 60s.
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a page body; 0 means 10 MiB. A longer body is cut
	// at MaxBodyBytes and its Page has Truncated set.
	MaxBodyBytes int
	// FetchImages fetches the in-scope image references of every HTML page
	// (<img src> and srcset, <picture><source srcset>, <link rel=image_src>,
	// og:image and twitter:image, url() in style attributes, <video
	// poster>), once per URL per Crawl call. What answers decides the path
	// (Classify): images go to Handler.OnImage, pages are queued as links.
	FetchImages bool
	// MaxImageBytes bounds an image, however it was reached; 0 means 10 MiB.
	// Larger images are reported to Handler.OnError and not handed over.
	MaxImageBytes int
	// UserAgent is sent with every request; "" means DefaultUserAgent.
	UserAgent string
	// Traps bounds the links followed and the content types downloaded;
	// its zero value applies the default trap limits.
	Traps Traps
	// Politeness bounds the requests in flight to one host and their
	// spacing; its zero value bounds nothing beyond Concurrency.
	Politeness Politeness
	// ObeyRobots fetches each host's robots.txt once per Crawl call and
	// does not fetch the pages it disallows for UserAgent; they are
	// reported to Handler.OnSkip. false ignores robots.txt.
	ObeyRobots bool
	// Jar, when set, holds the cookies sent with every request (pages,
	// images, robots.txt) and receives those the sites set, across Crawl
	// calls: a logged-in session (see LoadCookieJar). nil gives each Crawl
	// call a fresh, empty jar.
	Jar http.CookieJar
	// Session, when set, logs in to its site with a form recipe before the
	// first page (unless it has logged in already) and again whenever a page
	// shows that the session expired, then fetches that page again. Pages
	// served to a logged-out visitor are not handed to OnPage, and neither
	// are the login requests: they are never captured. Its jar replaces Jar.
	Session *Session
	// Revalidate, when set, makes page requests conditional on the ETag and
	// Last-Modified of the page's last capture; a 304 answer is handed to
	// OnPage with NotModified set and that capture's body (links in it are
	// followed).
	Revalidate Revalidator
}

// Request is one URL to fetch, its link distance from the seeds, and the
// page that linked it ("" for a seed): the provenance of an image that the
// URL turns out to serve.
type Request struct {
	URL      string `json:"url"`
	Depth    int    `json:"depth"`
	Referrer string `json:"referrer,omitempty"`
}

// Page is one fetched page. Body is the body as received (after the
// transport undid any Content-Encoding), at most Config.MaxBodyBytes long.
type Page struct {
	Request     Request
	URL         string // final URL, after redirects
	Status      int
	Header      http.Header
	Body        []byte
	Truncated   bool // the body was longer than Config.MaxBodyBytes and was cut
	ContentType string
	FetchedAt   time.Time
	// Doc is the parsed HTML (text/html and application/xhtml+xml only,
	// decoded to UTF-8 from the declared charset); nil for other content.
	// It is parsed once and is the same tree the crawler took links from.
	Doc *goquery.Document
	// NotModified says the server answered 304 Not Modified to a
	// conditional request: Status is 304, and Body, ContentType and Doc are
	// those of the last capture (Config.Revalidate).
	NotModified bool
	// Redacted says a credential of the login session (Config.Session) was
	// in the body or headers and was replaced with "[redacted]": Body is
	// not the body as received.
	Redacted bool
	// ImagesRemoved lists the SHA-256 (hex) of each image that was inline
	// in the body as a data: URI: Body has RemovedImageRef(sha) in its place
	// and is not the body as received. The images went to OnImage.
	ImagesRemoved []string
}

// ImageFetch is one image: a response whose bytes are an image (Classify),
// whatever led to it, or an image inline in a page as a data: URI. The
// crawler keeps no copy of Body.
type ImageFetch struct {
	// URL is the image's URL as the page referred to it (the first URL of a
	// redirect chain); for a data: image, RemovedImageRef of its SHA-256.
	URL string
	// PageURL is the Request.URL of the page of origin: the page that
	// embedded or linked the image (for an image reached as a link, the
	// link's Request.Referrer; for a seed, the seed itself). It is the URL
	// the page's capture is keyed by, which differs from Page.URL when the
	// page was reached through a redirect.
	PageURL     string
	Body        []byte
	ContentType string
	// Status and Header are the response's; a data: image has Status 0.
	Status    int
	Header    http.Header
	FetchedAt time.Time
}

// Handler receives what a crawl fetches. Every func may be nil, and each may
// be called from several goroutines at once.
type Handler struct {
	// OnPage receives every response, whatever its status: a 404 or 500 page
	// is a capture too, and so is a redirect that was not followed (to
	// another host, or to a URL already seen). Links are followed only from
	// 2xx HTML pages. OnPage may keep p. An error stops the crawl: Crawl
	// returns it, and p's request is put back at the head of the remaining
	// frontier so a later batch captures it again.
	OnPage func(p *Page) error
	// OnImage receives each image: every response whose bytes are an image
	// (Classify), reached by a link or, with Config.FetchImages, by a page's
	// image references, and every data: image inline in a page. It must not
	// keep img.Body past its return.
	OnImage func(img *ImageFetch)
	// OnError receives per-request failures where no response was
	// received: SOCKS refusals, timeouts, too many redirects, and image
	// failures (with the image's URL). A proxy that is down, or a cancelled
	// context, is not reported here: it stops the crawl instead.
	OnError func(req Request, err error)
	// OnSkip receives each link not followed because it breaks a trap
	// limit (once per Crawl call) and each page whose content type is not
	// allowed; err is a *TrapError saying why. The crawl goes on.
	OnSkip func(req Request, err error)
}

// Stats counts what one Crawl call did.
type Stats struct {
	Pages       int   `json:"pages"`        // fetch attempts that completed, failed ones included
	Errors      int   `json:"errors"`       // pages that failed without a response (reported to OnError)
	Truncated   int   `json:"truncated"`    // pages whose body was cut at MaxBodyBytes
	Images      int   `json:"images"`       // images handed to OnImage (data: images included)
	ImageErrors int   `json:"image_errors"` // images that failed
	Bytes       int64 `json:"bytes"`        // body bytes received, pages and images
	Skipped     int   `json:"skipped"`      // links and pages reported to OnSkip
	Logins      int   `json:"logins"`       // successful logins (Config.Session)
	NotModified int   `json:"not_modified"` // pages answered 304 to a conditional request
}

// Crawler fetches pages in batches. It is safe for concurrent use; each
// Crawl call is independent.
type Crawler struct {
	cfg Config
	raw *rawTransport
}

// New returns a Crawler for cfg, with defaults filled in.
func New(cfg Config) (*Crawler, error) {
	if cfg.Transport == nil {
		return nil, errors.New("crawler: no transport configured (wire tor.NewTransport into crawler.Config.Transport)")
	}
	if cfg.Concurrency < 0 || cfg.MaxDepth < 0 || cfg.RequestTimeout < 0 || cfg.MaxBodyBytes < 0 || cfg.MaxImageBytes < 0 {
		return nil, errors.New("crawler: negative limit in config")
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxImageBytes == 0 {
		cfg.MaxImageBytes = DefaultMaxImageBytes
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	cfg.Traps = cfg.Traps.withDefaults()
	if cfg.Session != nil {
		cfg.Jar = cfg.Session.jar
	}
	return &Crawler{cfg: cfg, raw: &rawTransport{next: cfg.Transport, traps: cfg.Traps, maxImage: cfg.MaxImageBytes}}, nil
}

// Config returns the crawler's configuration, defaults filled in.
func (c *Crawler) Config() Config { return c.cfg }

// Crawl fetches pages breadth-first, starting with frontier (requests the
// caller has already marked in seen), following in-scope <a href> and
// <area href> links of fetched 2xx HTML pages at Depth+1 once seen.MarkNew
// accepts them. It stops when maxPages pages have been fetched (failed
// fetches count; maxPages ≤ 0 means no limit), when the queue is empty, when
// ctx is done, when the proxy is down (an error whose vigil.ErrorCode is
// vigil.EUNAVAILABLE) or when OnPage fails.
//
// It returns the requests marked but not fetched, in order, for the next
// batch: requests aborted by cancellation or by a proxy failure are among
// them, so no marked URL is lost. err is nil when the batch ended normally
// (page limit or empty queue); otherwise it is ctx's error, the proxy error
// or the OnPage error, and remaining and stats are still valid.
func (c *Crawler) Crawl(ctx context.Context, frontier []Request, scope Scope, maxPages int, seen Seen, h Handler) (remaining []Request, stats Stats, err error) {
	if seen == nil {
		return frontier, Stats{}, errors.New("crawl: no Seen given")
	}
	ss := newScopeSet(scope, c.cfg.MaxDepth)
	if len(ss.hosts) == 0 {
		return frontier, Stats{}, errors.New("crawl: scope has no hosts")
	}
	if err := ctx.Err(); err != nil {
		return frontier, Stats{}, fmt.Errorf("crawl: %w", err)
	}
	b := c.newBatch(ctx, frontier, maxPages, ss, seen, h)
	if s := c.cfg.Session; s != nil && s.generation() == 0 {
		if _, _, err := s.ensure(ctx, 0, b.imageClient, b.gates, c.cfg.UserAgent, c.cfg.MaxBodyBytes); err != nil {
			return frontier, Stats{}, fmt.Errorf("crawl: %w", err)
		}
		b.st.count(func(s *Stats) { s.Logins++ })
	}
	stopWatch := context.AfterFunc(ctx, b.st.halt)
	defer stopWatch()

	var wg sync.WaitGroup
	for range c.cfg.Concurrency {
		wg.Go(func() { b.work(ctx) })
	}
	wg.Wait()

	remaining, stats, err = b.st.result()
	if err == nil && ctx.Err() != nil && len(remaining) > 0 {
		err = fmt.Errorf("crawl: %w", ctx.Err())
	}
	return remaining, stats, err
}

// fetch is the state of one page fetch, shared with colly's callbacks
// through the colly context and with rawTransport through fetchHeader.
type fetch struct {
	raw      bytes.Buffer
	status   int
	header   http.Header
	finalURL *url.URL
	doc      *goquery.Document
	answered bool
	refused  string // the Content-Type of a body left unread (Traps.AllowedTypes)
	// class is what the last response's bytes are (Classify), and mime the
	// type detected. For ClassImage, image holds its bytes (nil when it was
	// larger than MaxImageBytes: imageTooLarge) until they are hashed.
	class         Class
	mime          string
	image         []byte
	imageTooLarge bool
}

const fetchKey = "vigil.fetch"

// newCollector returns the colly collector of one Crawl call: synchronous,
// through the crawler's raw transport and jar, with none of colly's own
// caching, robots.txt, filters or visited check, and callbacks that fill
// each request's fetch.
func (c *Crawler) newCollector(ctx context.Context, ss *scopeSet, st *crawlState, seen Seen) *colly.Collector {
	col := colly.NewCollector()
	// Set after NewCollector, which reads COLLY_* environment variables:
	// none of them may turn on a disk cache, robots.txt fetches, filters or
	// colly's own visited check.
	col.Context = ctx
	col.UserAgent = c.cfg.UserAgent
	col.MaxDepth = 0
	col.MaxRequests = 0
	col.AllowURLRevisit = true // Seen is the (atomic) visited check
	col.ParseHTTPErrorResponse = true
	col.MaxBodySize = c.cfg.MaxBodyBytes + 1 // one more byte tells a cut body
	col.CacheDir = ""
	col.IgnoreRobotsTxt = true
	col.DetectCharset = false
	col.TraceHTTP = false
	col.Async = false // Crawl runs its own workers
	col.AllowedDomains, col.DisallowedDomains = nil, nil
	col.URLFilters, col.DisallowedURLFilters = nil, nil
	col.WithTransport(c.raw)
	if c.cfg.Jar != nil {
		col.SetCookieJar(c.cfg.Jar)
	}
	col.SetRequestTimeout(c.cfg.RequestTimeout)
	col.SetRedirectHandler(c.pageRedirects(ss, st, seen))
	col.OnResponse(recordResponse)
	// "head" always exists in a parsed HTML document and is small; from it
	// the callback reaches the document colly parsed, so HTML is parsed once.
	col.OnHTML("head", keepDocument)
	return col
}

// pageRedirects is the collector's redirect policy: at most MaxRedirects
// redirects, followed only to a URL in scope that is not the login page and
// is new in Seen. A redirect not followed is the page's capture.
func (c *Crawler) pageRedirects(ss *scopeSet, st *crawlState, seen Seen) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", MaxRedirects)
		}
		u, ok := normalizeURL(req.URL)
		if !ok || !ss.allowsHost(u) {
			return http.ErrUseLastResponse // the redirect itself is the capture
		}
		if c.cfg.Session != nil && c.cfg.Session.login.isLoginPage(u) {
			return http.ErrUseLastResponse // a sign of an expired session
		}
		if key := u.String(); !st.markKnown(key) || !seen.MarkNew(key) {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

// recordResponse keeps the status, headers and final URL of a response in
// its fetch.
func recordResponse(r *colly.Response) {
	f := r.Ctx.GetAny(fetchKey).(*fetch)
	f.answered = true
	f.status = r.StatusCode
	if r.Headers != nil {
		f.header = *r.Headers
	}
	f.finalURL = r.Request.URL
}

// keepDocument keeps, in its fetch, the HTML document colly parsed, reached
// from the document's <head> element.
func keepDocument(e *colly.HTMLElement) {
	f := e.Request.Ctx.GetAny(fetchKey).(*fetch)
	if f.doc != nil || len(e.DOM.Nodes) == 0 {
		return
	}
	root := e.DOM.Nodes[0]
	for root.Parent != nil {
		root = root.Parent
	}
	if root.Type != html.DocumentNode {
		return
	}
	f.doc = goquery.NewDocumentFromNode(root)
	f.doc.Url = e.Request.URL
}

// fetchPage sends one page request and waits for its answer, with the
// validators of a conditional request when etag or lastModified is set.
func (c *Crawler) fetchPage(ctx context.Context, col *colly.Collector, gates *hostGates, r Request, etag, lastModified string) (*fetch, error) {
	f := &fetch{}
	id, forget := c.raw.register(f)
	defer forget()
	cctx := colly.NewContext()
	cctx.Put(fetchKey, f)
	hdr := http.Header{}
	hdr.Set("User-Agent", c.cfg.UserAgent)
	hdr.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	hdr.Set("Accept-Language", "en-US,en;q=0.5")
	hdr.Set(fetchHeader, id)
	if etag != "" {
		hdr.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		hdr.Set("If-Modified-Since", lastModified)
	}
	done, err := gates.acquire(ctx, r.URL)
	if err != nil {
		return f, err
	}
	err = col.Request(http.MethodGet, r.URL, nil, cctx, hdr)
	done()
	if err == nil && !f.answered {
		err = errors.New("no response")
	}
	return f, err
}

// fetchRef GETs one image reference through the crawler's transport,
// tagged so that the fetch boundary (rawTransport.classify) reads an image
// into the returned fetch. The body of anything else is not read.
func (c *Crawler) fetchRef(ctx context.Context, client *http.Client, refURL string) (*fetch, error) {
	f := &fetch{}
	id, forget := c.raw.register(f)
	defer forget()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, refURL, nil)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", refURL, err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5")
	req.Header.Set(fetchHeader, id)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", refURL, err)
	}
	resp.Body.Close()
	f.answered, f.status, f.header, f.finalURL = true, resp.StatusCode, resp.Header, resp.Request.URL
	return f, nil
}
