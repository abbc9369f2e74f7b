// Package activities implements the side effects of Vigil's workflows:
// fetching pages through Tor, storing captures, extracting findings, hashing
// images and indexing. Each exported method of Activities implements an
// activity of workflows.Contract and is registered through it
// (RegisterCrawl, RegisterProcess).
//
// Errors are classified here, once: bad input is a non-retryable
// application error of type workflows.ErrorTypeInvalid; everything else
// (proxy down, index unavailable, disk full) is retried by the workflow's
// retry policy.
package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"vigil"
	"vigil/crawler"
	"vigil/extractors/htmltext"
	"vigil/extractors/imagehash"
	"vigil/extractors/templates"
	"vigil/store/crawlstate"
	"vigil/workflows"
)

// Activities holds the dependencies of the crawl activities. All fields but
// Logger and Watchlist are required; Crawler.Transport is ignored (Transport is used).
type Activities struct {
	Store      vigil.Store
	Captures   vigil.CaptureStore
	State      *crawlstate.DB
	Extractors []vigil.Extractor
	Hasher     *imagehash.Hasher
	// Transport returns the network transport of a crawl: SOCKS5 through Tor
	// with a circuit per site, or loopback-only lab mode. It fails when no
	// proxy is configured, and the crawl then refuses to start.
	Transport func(crawlID string) (http.RoundTripper, error)
	// Crawler is the template of each batch's crawler configuration.
	Crawler crawler.Config
	Logger  *slog.Logger
	// Watchlist, when set, checks every image IndexBatch indexes; each alert
	// it returns is logged (slog Warn). A failing check fails the batch,
	// which is retried.
	Watchlist WatchlistChecker
	// Templates, when set, are applied to every HTML page CrawlBatch
	// captures; the records and any template drift wait with the capture,
	// and IndexBatch logs and counts the drift. Records are not indexed yet.
	Templates *templates.Set
	// Evidence, when set, archives every page CrawlBatch captures as WARC
	// records (the document records where) and refreshes the crawl's signed
	// manifest at the end of every batch, before the commit.
	Evidence EvidenceArchive

	// sessions holds the login session of each crawl with a login recipe
	// (crawl ID → *crawler.Session), shared by its batches on this worker.
	sessions sync.Map
}

// RegisterCrawl registers the crawl role's activities on r: StartCrawl and
// CrawlBatch, which fetch through Tor (workers of workflows.CrawlTaskQueue).
func (a *Activities) RegisterCrawl(r workflows.Registry) {
	workflows.Contract.StartCrawl.Register(r, a.StartCrawl)
	workflows.Contract.CrawlBatch.Register(r, a.CrawlBatch)
}

// RegisterProcess registers the processing role's activity on r:
// IndexBatch (workers of workflows.ProcessTaskQueue).
func (a *Activities) RegisterProcess(r workflows.Registry) {
	workflows.Contract.IndexBatch.Register(r, a.IndexBatch)
}

// Register registers both roles' activities on r, for a worker that runs
// them all from one task queue.
func (a *Activities) Register(r workflows.Registry) {
	a.RegisterCrawl(r)
	a.RegisterProcess(r)
}

func invalid(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewNonRetryableApplicationError(msg, workflows.ErrorTypeInvalid, nil)
}

// StartCrawl validates the seeds and records the crawl's initial frontier.
func (a *Activities) StartCrawl(ctx context.Context, in workflows.StartCrawlInput) (workflows.StartCrawlResult, error) {
	scope, reqs, err := crawler.ScopeFor(in.Seeds)
	if err != nil {
		return workflows.StartCrawlResult{}, invalid("%v", err)
	}
	if in.CookieFile != "" {
		if _, err := crawler.LoadCookieJar(in.CookieFile); err != nil {
			return workflows.StartCrawlResult{}, invalid("%v", err)
		}
	}
	if in.LoginFile != "" {
		l, err := crawler.LoadLogin(in.LoginFile)
		if err != nil {
			return workflows.StartCrawlResult{}, invalid("%v", err)
		}
		if !slices.ContainsFunc(scope.Hosts, func(h string) bool { return strings.EqualFold(h, l.Host()) }) {
			return workflows.StartCrawlResult{}, invalid("login recipe %s logs in to %s, which is not among the crawl's sites %v", in.LoginFile, l.Host(), scope.Hosts)
		}
	}
	// Refuse to start without a usable network configuration.
	if _, err := a.Transport(in.CrawlID); err != nil {
		return workflows.StartCrawlResult{}, invalid("%v", err)
	}
	seeds := make([]crawlstate.Request, len(reqs))
	for i, r := range reqs {
		seeds[i] = crawlstate.Request{URL: r.URL, Depth: r.Depth}
	}
	q, err := a.State.Start(crawlstate.Meta{
		CrawlID: in.CrawlID, CaseID: in.CaseID, Seeds: in.Seeds, Hosts: scope.Hosts,
		MaxDepth: in.MaxDepth, Robots: in.Robots, CookieFile: in.CookieFile, LoginFile: in.LoginFile, Created: time.Now().UTC(),
	}, seeds)
	if err != nil {
		return workflows.StartCrawlResult{}, err
	}
	return workflows.StartCrawlResult{Queued: q}, nil
}

// CrawlBatch fetches up to in.MaxPages pages from the crawl's frontier,
// stores each response's bytes as a capture, hashes the images it meets (the
// bytes are dropped), and commits the new frontier with the pending captures
// in one transaction. A batch already committed returns its recorded result.
func (a *Activities) CrawlBatch(ctx context.Context, in workflows.CrawlBatchInput) (workflows.CrawlBatchResult, error) {
	var res workflows.CrawlBatchResult
	if ok, err := a.State.BatchResult(in.CrawlID, in.Batch, &res); err != nil {
		return res, err
	} else if ok {
		return res, nil
	}
	meta, err := a.State.Meta(in.CrawlID)
	if err != nil {
		return res, err
	}
	transport, err := a.Transport(in.CrawlID)
	if err != nil {
		return res, invalid("%v", err)
	}
	cfg := a.Crawler
	cfg.Transport = transport
	cfg.MaxDepth = meta.MaxDepth
	cfg.ObeyRobots = meta.Robots == workflows.RobotsObey
	if meta.CookieFile != "" {
		// Read again for every batch: an investigator may refresh the file.
		if cfg.Jar, err = crawler.LoadCookieJar(meta.CookieFile); err != nil {
			return res, invalid("%v", err)
		}
	}
	if meta.LoginFile != "" {
		if cfg.Session, err = a.session(in.CrawlID, meta.LoginFile, cfg.Jar); err != nil {
			return res, invalid("%v", err)
		}
	}
	rv := &revalidator{a: a, crawlID: in.CrawlID}
	cfg.Revalidate = rv
	if cfg.MaxDepth < 0 {
		cfg.MaxDepth = 0 // unlimited
	}
	c, err := crawler.New(cfg)
	if err != nil {
		return res, invalid("%v", err)
	}
	head, keys, err := a.State.Head(in.CrawlID, in.MaxPages)
	if err != nil {
		return res, err
	}
	frontier := make([]crawler.Request, len(head))
	for i, r := range head {
		frontier[i] = crawler.Request{URL: r.URL, Depth: r.Depth}
	}
	seen := a.State.Seen(in.CrawlID)

	var (
		mu       sync.Mutex
		pending  []crawlstate.Pending
		byPage   = map[string]int{} // page URL → index in pending
		orphans  []vigil.Image      // images whose page is not (yet) known
		pages    int
		failures int
		skipped  int
		changed  int
		same     int
	)
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var prev BatchHeartbeat
		if err := activity.GetHeartbeatDetails(ctx, &prev); err == nil {
			a.logger().Info("crawl batch retried; restarting it from the committed frontier",
				"crawl", in.CrawlID, "batch", in.Batch, "pages_before_retry", prev.Pages)
		}
	}
	hb := newHeartbeater(ctx, in.Batch)
	defer hb.close()
	h := crawler.Handler{
		OnPage: func(p *crawler.Page) error {
			doc := vigil.Document{
				ID: vigil.DocumentID(in.CrawlID, p.Request.URL), CrawlID: in.CrawlID, CaseID: meta.CaseID,
				Site: hostOf(p.Request.URL), URL: p.Request.URL, Status: p.Status, ContentType: p.ContentType,
				Depth: p.Request.Depth, Size: len(p.Body), SHA256: sha256Hex(p.Body), CapturedAt: p.FetchedAt.UTC(),
			}
			var page *vigil.Page
			if p.Doc != nil {
				page = htmltext.FromDocument(p.Doc, p.URL)
			} else if strings.HasPrefix(p.ContentType, "text/") {
				page = &vigil.Page{Text: truncateText(string(p.Body))}
			} else {
				page = &vigil.Page{}
			}
			doc.Title, doc.Text = page.Title, page.Text
			page.DocumentID, page.CrawlID, page.CaseID = doc.ID, doc.CrawlID, doc.CaseID
			page.Site, page.URL, page.CapturedAt = doc.Site, doc.URL, doc.CapturedAt
			if err := a.Captures.PutCapture(ctx, doc.ID, p.Body); err != nil {
				return fmt.Errorf("store capture of %s: %w", doc.URL, err)
			}
			if err := a.archivePage(in, p, &doc); err != nil {
				return err
			}
			prev, seenBefore, err := rv.lastContent(doc.URL)
			if err != nil {
				return err
			}
			if seenBefore && prev.CrawlID != in.CrawlID {
				mu.Lock()
				if p.NotModified || prev.SHA256 == doc.SHA256 {
					same++
				} else {
					changed++
				}
				mu.Unlock()
			}
			pend := crawlstate.Pending{Document: doc, Page: *page}
			switch {
			case p.Status == http.StatusOK:
				pend.ETag, pend.LastModified = p.Header.Get("ETag"), p.Header.Get("Last-Modified")
			case p.NotModified:
				pend.ETag, pend.LastModified = cmp.Or(p.Header.Get("ETag"), prev.ETag), cmp.Or(p.Header.Get("Last-Modified"), prev.LastModified)
			}
			if a.Templates != nil && p.Doc != nil {
				pend.Records, pend.Drift = a.applyTemplates(p, page)
			}
			mu.Lock()
			byPage[p.Request.URL] = len(pending)
			pending = append(pending, pend)
			pages++
			n := pages
			mu.Unlock()
			hb.beat(n)
			return nil
		},
		OnImage: func(img *crawler.ImageFetch) {
			size := len(img.Body)
			hs, err := a.Hasher.Hash(img.Body)
			img.Body = nil // victim safety: the bytes go no further
			if err != nil {
				return // too small, not an image, or too large: no hash to keep
			}
			rec := vigil.Image{
				ID: vigil.ImageID(in.CrawlID, img.PageURL, img.URL), URL: img.URL, PageURL: img.PageURL,
				DocumentID: vigil.DocumentID(in.CrawlID, img.PageURL), CrawlID: in.CrawlID, CaseID: meta.CaseID,
				Site: hostOf(img.URL), Width: hs.Width, Height: hs.Height, Size: size,
				SHA256: hs.SHA256, MD5: hs.MD5, PDQ: hs.PDQ, PDQQuality: hs.PDQQuality, PHash: hs.PHash,
				CapturedAt: img.FetchedAt.UTC(),
			}
			mu.Lock()
			orphans = append(orphans, rec)
			mu.Unlock()
		},
		OnError: func(req crawler.Request, err error) {
			mu.Lock()
			failures++
			mu.Unlock()
			a.logger().Info("page failed", "crawl", in.CrawlID, "url", req.URL, "error", err)
		},
		OnSkip: func(req crawler.Request, err error) {
			mu.Lock()
			skipped++
			mu.Unlock()
			a.logger().Debug("link skipped", "crawl", in.CrawlID, "url", req.URL, "reason", err)
		},
	}
	remaining, stats, err := c.Crawl(ctx, frontier, crawler.Scope{Hosts: meta.Hosts, MaxDepth: cfg.MaxDepth}, in.MaxPages, seen, h)
	if stats.Logins > 0 {
		a.logger().Info("logged in with the crawl's login recipe", "crawl", in.CrawlID, "batch", in.Batch,
			"site", cfg.Session.Host(), "logins", stats.Logins, "logins_total", cfg.Session.Logins())
	}
	if err != nil {
		// Proxy down, context cancelled: nothing is committed and the batch
		// is retried from the same frontier.
		a.endEvidence(in, meta, cfg, true)
		if errors.Is(err, crawler.ErrLogin) {
			// Wrong credentials or recipe: retrying will not fix it.
			a.sessions.Delete(in.CrawlID)
			return res, invalid("crawl batch %d: %v", in.Batch, err)
		}
		return res, fmt.Errorf("crawl batch %d: %w", in.Batch, err)
	}
	if err := a.endEvidence(in, meta, cfg, false); err != nil {
		return res, err
	}
	for _, img := range orphans {
		if i, ok := byPage[img.PageURL]; ok {
			pending[i].Images = append(pending[i].Images, img)
		}
	}
	rest := make([]crawlstate.Request, len(remaining))
	for i, r := range remaining {
		rest[i] = crawlstate.Request{URL: r.URL, Depth: r.Depth}
	}
	res = workflows.CrawlBatchResult{Pages: pages, Errors: failures, Images: stats.Images, Skipped: skipped, Changed: changed, Unchanged: same}
	for _, p := range pending {
		res.DocumentIDs = append(res.DocumentIDs, p.Document.ID)
	}
	// The captures must be durable before the commit records them.
	if syncer, ok := a.Captures.(interface{ SyncCaptures(context.Context) error }); ok {
		if err := syncer.SyncCaptures(ctx); err != nil {
			return res, err
		}
	}
	q, err := a.State.Commit(in.CrawlID, crawlstate.Batch{
		Number: in.Batch, Taken: keys, Remaining: rest, Seen: seen, Pending: pending,
		Result: func(queued int) any { res.Queued = queued; return res },
	})
	if err != nil {
		return res, err
	}
	res.Queued = q
	if q == 0 {
		a.sessions.Delete(in.CrawlID)
	}
	return res, nil
}

// session returns the crawl's login session, reading its recipe (and the
// credentials it names) when this worker has none yet; jar, when set, holds
// the cookies the session starts from.
func (a *Activities) session(crawlID, recipe string, jar http.CookieJar) (*crawler.Session, error) {
	if s, ok := a.sessions.Load(crawlID); ok {
		return s.(*crawler.Session), nil
	}
	l, err := crawler.LoadLogin(recipe)
	if err != nil {
		return nil, err
	}
	s, err := crawler.NewSession(l, jar)
	if err != nil {
		return nil, err
	}
	got, _ := a.sessions.LoadOrStore(crawlID, s)
	return got.(*crawler.Session), nil
}

// revalidator gives a crawl the validators and the capture of each page's
// last capture by an earlier crawl, for conditional requests.
type revalidator struct {
	a       *Activities
	crawlID string
	read    sync.Map // page URL → lastRead, from Validators until OnPage takes it
}

type lastRead struct {
	c  crawlstate.Content
	ok bool
}

// lastContent is State.LastContent, read once per page: Validators' read
// is taken when there was one.
func (r *revalidator) lastContent(url string) (crawlstate.Content, bool, error) {
	if v, ok := r.read.LoadAndDelete(url); ok {
		lr := v.(lastRead)
		return lr.c, lr.ok, nil
	}
	return r.a.State.LastContent(url)
}

func (r *revalidator) Validators(url string) (etag, lastModified string) {
	prev, ok, err := r.a.State.LastContent(url)
	if err == nil {
		r.read.Store(url, lastRead{c: prev, ok: ok})
	}
	if err != nil || !ok || prev.CrawlID == r.crawlID {
		return "", ""
	}
	return prev.ETag, prev.LastModified
}

func (r *revalidator) Cached(ctx context.Context, url string) ([]byte, string, error) {
	prev, ok, err := r.a.State.LastContent(url)
	if err != nil {
		return nil, "", err
	}
	if !ok || prev.CrawlID == r.crawlID {
		return nil, "", fmt.Errorf("no earlier capture of %s", url)
	}
	body, err := r.a.Captures.Capture(ctx, vigil.DocumentID(prev.CrawlID, url))
	if err != nil {
		return nil, "", err
	}
	return body, prev.ContentType, nil
}
