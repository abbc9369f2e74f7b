package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"go.temporal.io/sdk/activity"

	"vigil"
	"vigil/crawler"
	"vigil/extractors/htmltext"
	"vigil/store/crawlstate"
	"vigil/workflows"
)

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
	b, err := a.newBatch(ctx, in)
	if err != nil {
		return res, err
	}
	c, err := crawler.New(b.cfg)
	if err != nil {
		return res, invalid("%v", err)
	}
	head, keys, err := a.State.Head(in.CrawlID, in.MaxPages)
	if err != nil {
		return res, err
	}
	frontier := make([]crawler.Request, len(head))
	for i, r := range head {
		frontier[i] = crawler.Request{URL: r.URL, Depth: r.Depth, Referrer: r.Referrer}
	}
	seen := a.State.Seen(in.CrawlID)
	b.logRetry()
	b.hb = newHeartbeater(ctx, in.Batch)
	defer b.hb.close()
	remaining, stats, err := c.Crawl(ctx, frontier, crawler.Scope{Hosts: b.meta.Hosts, MaxDepth: b.cfg.MaxDepth}, in.MaxPages, seen, b.handler())
	if err := b.ended(stats, err); err != nil {
		return res, err
	}
	return b.commit(remaining, stats, crawlstate.Batch{Number: in.Batch, Taken: keys, Seen: seen})
}

// batch is one attempt at a CrawlBatch: the crawler's configuration for the
// crawl and, until the commit, what its pages and images leave behind. The
// crawler calls its handlers from several goroutines; mu guards the rest.
type batch struct {
	a    *Activities
	ctx  context.Context
	in   workflows.CrawlBatchInput
	meta crawlstate.Meta
	cfg  crawler.Config
	rv   *revalidator
	hb   *heartbeater

	mu      sync.Mutex
	pending []crawlstate.Pending
	byPage  map[string]int // page URL → index in pending
	orphans []vigil.Image  // images whose page is not (yet) known
	// Pages captured, requests failed, links skipped, and re-crawled pages
	// changed and unchanged since an earlier crawl.
	pages, failures, skipped, changed, same int
}

// newBatch sets up the crawler's configuration for the crawl: its network
// transport, depth, robots policy, cookies, login session and revalidation
// against earlier crawls. A configuration that cannot work is invalid.
func (a *Activities) newBatch(ctx context.Context, in workflows.CrawlBatchInput) (*batch, error) {
	meta, err := a.State.Meta(in.CrawlID)
	if err != nil {
		return nil, err
	}
	transport, err := a.Transport(in.CrawlID)
	if err != nil {
		return nil, invalid("%v", err)
	}
	cfg := a.Crawler
	cfg.Transport = transport
	cfg.MaxDepth = meta.MaxDepth
	cfg.ObeyRobots = meta.Robots == workflows.RobotsObey
	if meta.CookieFile != "" || meta.LoginFile != "" {
		return nil, invalid(errLegacyPath)
	}
	if (meta.Cookies != "" || meta.Login != "") && a.Secrets == nil {
		return nil, invalid("this crawl worker has no secret store for login recipes and cookie files")
	}
	if meta.Cookies != "" {
		// Read again for every batch: an admin may refresh the file.
		if cfg.Jar, err = a.Secrets.CookieJar(meta.Cookies); err != nil {
			return nil, invalid("%v", err)
		}
	}
	if meta.Login != "" {
		if cfg.Session, err = a.session(in.CrawlID, meta.Login, cfg.Jar); err != nil {
			return nil, invalid("%v", err)
		}
	}
	rv := &revalidator{a: a, crawlID: in.CrawlID}
	cfg.Revalidate = rv
	if cfg.MaxDepth < 0 {
		cfg.MaxDepth = 0 // unlimited
	}
	return &batch{a: a, ctx: ctx, in: in, meta: meta, cfg: cfg, rv: rv, byPage: map[string]int{}}, nil
}

// logRetry logs where the previous attempt of a retried batch got to.
func (b *batch) logRetry() {
	if !activity.IsActivity(b.ctx) || !activity.HasHeartbeatDetails(b.ctx) {
		return
	}
	var prev BatchHeartbeat
	if err := activity.GetHeartbeatDetails(b.ctx, &prev); err == nil {
		b.a.logger().Info("crawl batch retried; restarting it from the committed frontier",
			"crawl", b.in.CrawlID, "batch", b.in.Batch, "pages_before_retry", prev.Pages)
	}
}

// handler hands the crawler's pages, images, failures and skips to the batch.
func (b *batch) handler() crawler.Handler {
	return crawler.Handler{
		OnPage:  b.capture,
		OnImage: b.hashImage,
		OnError: func(req crawler.Request, err error) {
			b.mu.Lock()
			b.failures++
			b.mu.Unlock()
			b.a.logger().Info("page failed", "crawl", b.in.CrawlID, "url", req.URL, "error", err)
		},
		OnSkip: func(req crawler.Request, err error) {
			b.mu.Lock()
			b.skipped++
			b.mu.Unlock()
			b.a.logger().Debug("link skipped", "crawl", b.in.CrawlID, "url", req.URL, "reason", err)
		},
	}
}

// capture stores a page's bytes as a capture, archives it, compares it with
// an earlier crawl's capture, applies the site templates, and keeps the
// document and its text pending until the commit.
func (b *batch) capture(p *crawler.Page) error {
	doc, page := b.document(p)
	if err := b.a.Captures.PutCapture(b.ctx, doc.ID, p.Body); err != nil {
		return fmt.Errorf("store capture of %s: %w", doc.URL, err)
	}
	if err := b.a.archivePage(b.in, p, &doc); err != nil {
		return err
	}
	prev, seenBefore, err := b.rv.lastContent(doc.URL)
	if err != nil {
		return err
	}
	pend := crawlstate.Pending{Document: doc, Page: *page}
	switch {
	case p.Status == http.StatusOK:
		pend.ETag, pend.LastModified = p.Header.Get("ETag"), p.Header.Get("Last-Modified")
	case p.NotModified:
		pend.ETag, pend.LastModified = cmp.Or(p.Header.Get("ETag"), prev.ETag), cmp.Or(p.Header.Get("Last-Modified"), prev.LastModified)
	}
	if b.a.Templates != nil && p.Doc != nil {
		pend.Records, pend.Drift = b.a.applyTemplates(p, page)
	}
	b.mu.Lock()
	if seenBefore && prev.CrawlID != b.in.CrawlID {
		if p.NotModified || prev.SHA256 == doc.SHA256 {
			b.same++
		} else {
			b.changed++
		}
	}
	b.byPage[p.Request.URL] = len(b.pending)
	b.pending = append(b.pending, pend)
	b.pages++
	n := b.pages
	b.mu.Unlock()
	b.hb.beat(n)
	return nil
}

// document is the index document of a fetched page and its text: the
// HTML's, a text body's (truncated), or none.
func (b *batch) document(p *crawler.Page) (vigil.Document, *vigil.Page) {
	in := b.in
	doc := vigil.Document{
		ID: vigil.DocumentID(in.CrawlID, p.Request.URL), CrawlID: in.CrawlID, CaseID: b.meta.CaseID,
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
	return doc, page
}

// hashImage hashes an image and drops its bytes (writing them to the image
// store first when images are kept); the hashes wait for the commit,
// attached to their page of origin.
func (b *batch) hashImage(img *crawler.ImageFetch) {
	size := len(img.Body)
	hs, err := b.a.Hasher.Hash(img.Body)
	if kerr := b.a.keepImage(b.in, img, hs.SHA256); kerr != nil {
		b.a.logger().Warn("image not kept", "crawl", b.in.CrawlID, "url", img.URL, "error", kerr)
	}
	img.Body = nil // victim safety: the bytes go no further
	if err != nil {
		return // too small, not an image, or too large: no hash to keep
	}
	in := b.in
	rec := vigil.Image{
		ID: vigil.ImageID(in.CrawlID, img.PageURL, img.URL), URL: img.URL, PageURL: img.PageURL,
		DocumentID: vigil.DocumentID(in.CrawlID, img.PageURL), CrawlID: in.CrawlID, CaseID: b.meta.CaseID,
		Site: hostOf(img.URL), Width: hs.Width, Height: hs.Height, Size: size,
		SHA256: hs.SHA256, MD5: hs.MD5, PDQ: hs.PDQ, PDQQuality: hs.PDQQuality, PHash: hs.PHash,
		CapturedAt: img.FetchedAt.UTC(),
	}
	b.mu.Lock()
	b.orphans = append(b.orphans, rec)
	b.mu.Unlock()
}

// ended logs the crawl's logins and, when the crawl failed, drops the
// batch's evidence writer and returns the error: invalid for a failed login
// (retrying will not fix it), retried otherwise (proxy down, context
// cancelled), from the same frontier since nothing is committed. When it
// succeeded, the batch's evidence is sealed.
func (b *batch) ended(stats crawler.Stats, err error) error {
	in := b.in
	if stats.Logins > 0 {
		b.a.logger().Info("logged in with the crawl's login recipe", "crawl", in.CrawlID, "batch", in.Batch,
			"site", b.cfg.Session.Host(), "logins", stats.Logins, "logins_total", b.cfg.Session.Logins())
	}
	if err == nil {
		return b.a.endEvidence(in, b.meta, b.cfg, false)
	}
	b.a.endEvidence(in, b.meta, b.cfg, true)
	if errors.Is(err, crawler.ErrLogin) {
		// Wrong credentials or recipe: retrying will not fix it.
		b.a.sessions.Delete(in.CrawlID)
		return invalid("crawl batch %d: %v", in.Batch, err)
	}
	return fmt.Errorf("crawl batch %d: %w", in.Batch, err)
}

// commit attaches the images to their pages and commits the remaining
// frontier, the pages seen and the pending captures (commit's Number, Taken
// and Seen) with the batch's result, once the captures are durable.
func (b *batch) commit(remaining []crawler.Request, stats crawler.Stats, commit crawlstate.Batch) (workflows.CrawlBatchResult, error) {
	for _, img := range b.orphans {
		if i, ok := b.byPage[img.PageURL]; ok {
			b.pending[i].Images = append(b.pending[i].Images, img)
			continue
		}
		// An image reached by a link from a page of an earlier batch: its
		// hashes are indexed on their own, under the image's ID.
		b.pending = append(b.pending, crawlstate.Pending{Document: vigil.Document{ID: img.ID, CrawlID: img.CrawlID, CaseID: img.CaseID},
			Images: []vigil.Image{img}, ImagesOnly: true})
	}
	commit.Remaining = make([]crawlstate.Request, len(remaining))
	for i, r := range remaining {
		commit.Remaining[i] = crawlstate.Request{URL: r.URL, Depth: r.Depth, Referrer: r.Referrer}
	}
	res := workflows.CrawlBatchResult{Pages: b.pages, Errors: b.failures, Images: stats.Images, Skipped: b.skipped, Changed: b.changed, Unchanged: b.same}
	for _, p := range b.pending {
		res.DocumentIDs = append(res.DocumentIDs, p.Document.ID)
	}
	// The captures must be durable before the commit records them.
	if syncer, ok := b.a.Captures.(interface{ SyncCaptures(context.Context) error }); ok {
		if err := syncer.SyncCaptures(b.ctx); err != nil {
			return res, err
		}
	}
	commit.Pending = b.pending
	commit.Result = func(queued int) any { res.Queued = queued; return res }
	q, err := b.a.State.Commit(b.in.CrawlID, commit)
	if err != nil {
		return res, err
	}
	res.Queued = q
	if q == 0 {
		b.a.sessions.Delete(b.in.CrawlID)
	}
	return res, nil
}

// session returns the crawl's login session, reading its stored recipe (and
// the credentials it names) when this worker has none yet; jar, when set, holds
// the cookies the session starts from.
func (a *Activities) session(crawlID, recipe string, jar http.CookieJar) (*crawler.Session, error) {
	if s, ok := a.sessions.Load(crawlID); ok {
		return s.(*crawler.Session), nil
	}
	l, err := a.Secrets.Login(recipe)
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
