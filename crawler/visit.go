package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gocolly/colly/v2"

	"vigil"
)

// batch is what the workers of one Crawl call share: the collector that
// fetches pages, the client that fetches images, robots.txt and logins, the
// per-host gates, the scope, the queue and the caller's Seen and Handler.
type batch struct {
	*Crawler
	col         *colly.Collector
	imageClient *http.Client
	gates       *hostGates
	robots      *robotsCache // nil unless Config.ObeyRobots
	ss          *scopeSet
	st          *crawlState
	seen        Seen
	h           Handler
}

// newBatch sets up one Crawl call over frontier, within ss, stopping after
// maxPages pages (≤ 0: no limit).
func (c *Crawler) newBatch(ctx context.Context, frontier []Request, maxPages int, ss *scopeSet, seen Seen, h Handler) *batch {
	b := &batch{Crawler: c, ss: ss, st: newCrawlState(frontier, maxPages), seen: seen, h: h}
	b.col = c.newCollector(ctx, ss, b.st, seen)
	b.imageClient = &http.Client{
		Jar:           c.cfg.Jar,
		Transport:     c.raw,
		Timeout:       c.cfg.RequestTimeout,
		CheckRedirect: ss.followRedirect,
	}
	b.gates = newHostGates(c.cfg.Politeness)
	if c.cfg.ObeyRobots {
		b.robots = newRobotsCache(b.imageClient, c.cfg.UserAgent)
	}
	return b
}

// followRedirect is the image client's redirect policy: at most
// MaxRedirects redirects, and only to hosts in scope.
func (ss *scopeSet) followRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", MaxRedirects)
	}
	if u, ok := normalizeURL(req.URL); !ok || !ss.allowsHost(u) {
		return fmt.Errorf("redirect to %s is out of scope", req.URL.Redacted())
	}
	return nil
}

// work visits requests from the queue until the batch is over for this
// worker. Pages robots.txt disallows are skipped without a fetch.
func (b *batch) work(ctx context.Context) {
	for {
		r, ok := b.st.next()
		if !ok {
			return
		}
		if b.robots != nil && !b.robots.allowed(ctx, r.URL) {
			b.skip(r, &TrapError{URL: r.URL, Reason: "disallowed by robots.txt"})
			b.st.finish(nil)
			continue
		}
		b.visit(ctx, r)
	}
}

// skip counts a link or page not followed and reports it to OnSkip.
func (b *batch) skip(r Request, err error) {
	b.st.count(func(s *Stats) { s.Skipped++ })
	if b.h.OnSkip != nil {
		b.h.OnSkip(r, err)
	}
}

// visit fetches one page, hands it over, and queues its links and images.
// It settles r in the crawl state: finished, or aborted back into the
// remaining frontier.
func (b *batch) visit(ctx context.Context, r Request) {
	res, settled, err := b.fetchLoggedIn(ctx, r)
	switch {
	case settled:
		return
	case err != nil:
		b.fetchFailed(ctx, r, err)
		return
	case res.f.class != ClassPage:
		b.notAPage(r, res.f)
		return
	case res.f.refused != "":
		b.st.count(func(s *Stats) { s.Pages++; s.Skipped++ })
		if b.h.OnSkip != nil {
			b.h.OnSkip(r, &TrapError{URL: r.URL, Reason: fmt.Sprintf("content type %q is not allowed", res.f.refused)})
		}
		b.st.finish(nil)
		return
	}
	p, received, inline := b.page(r, res)
	b.hashInline(p, inline)
	// Links and images are read before OnPage, which may change the tree.
	links, images := b.outlinks(p, res.f.finalURL)
	b.st.count(func(s *Stats) {
		s.Pages++
		s.Bytes += int64(received)
		if p.Truncated {
			s.Truncated++
		}
		if p.NotModified {
			s.NotModified++
		}
	})
	if b.h.OnPage != nil {
		if err := b.h.OnPage(p); err != nil {
			b.st.abort(r, fmt.Errorf("handle page %s: %w", r.URL, err))
			return
		}
	}
	b.queueLinks(r, links)
	b.fetchImages(ctx, r, images)
	b.st.finish(nil)
}

// fetched is one page's answer: its fetch and, when the server answered 304
// to a conditional request, the body and content type of the last capture.
type fetched struct {
	f        *fetch
	cached   []byte
	cachedCT string
}

// fetchLoggedIn fetches r, conditionally when Config.Revalidate knows its
// last capture, and, when the page shows that the login session expired,
// logs in again and fetches it again (three attempts in all). settled is
// true when r has been dealt with already: reported as still logged out, or
// aborted because logging in again was refused. err is a failed fetch, or a
// failed login caused by the context or the proxy.
func (b *batch) fetchLoggedIn(ctx context.Context, r Request) (res fetched, settled bool, err error) {
	var etag, lastModified string
	if b.cfg.Revalidate != nil {
		etag, lastModified = b.cfg.Revalidate.Validators(r.URL)
	}
	sess := b.cfg.Session
	for attempt := 0; ; attempt++ {
		gen := 0
		if sess != nil {
			gen = sess.generation()
		}
		res = fetched{}
		res.f, err = b.fetchPage(ctx, b.col, b.gates, r, etag, lastModified)
		if err != nil || res.f.refused != "" || res.f.class != ClassPage {
			return res, false, err
		}
		if res.f.status == http.StatusNotModified && (etag != "" || lastModified != "") {
			res.cached, res.cachedCT, err = b.cfg.Revalidate.Cached(ctx, r.URL)
			if err == nil {
				return res, false, nil
			}
			// The last capture is gone: fetch the page unconditionally.
			etag, lastModified, res.cached, err = "", "", nil, nil
			if attempt < 2 {
				continue
			}
		}
		if sess == nil || !sess.login.expired(r, res.f) {
			return res, false, nil
		}
		if attempt >= 2 {
			b.st.count(func(s *Stats) { s.Pages++; s.Errors++ })
			if b.h.OnError != nil {
				b.h.OnError(r, fmt.Errorf("fetch %s: still logged out after logging in again", r.URL))
			}
			b.st.finish(nil)
			return res, true, nil
		}
		if settled, err := b.logInAgain(ctx, r, gen); settled || err != nil {
			return res, settled, err
		}
	}
}

// logInAgain logs in again after r showed that the session of generation
// gen expired. A refused login stops the crawl: r is aborted, to be fetched
// again by a later batch, and settled is true. A login that failed because
// of the context or the proxy returns its error instead.
func (b *batch) logInAgain(ctx context.Context, r Request, gen int) (settled bool, err error) {
	_, loggedIn, err := b.cfg.Session.ensure(ctx, gen, b.imageClient, b.gates, b.cfg.UserAgent, b.cfg.MaxBodyBytes)
	if err != nil {
		if ctx.Err() == nil && vigil.ErrorCode(err) != vigil.EUNAVAILABLE {
			b.st.abort(r, fmt.Errorf("session expired at %s and logging in again failed: %w", r.URL, err))
			return true, nil
		}
		return false, err
	}
	if loggedIn {
		b.st.count(func(s *Stats) { s.Logins++ })
	}
	return false, nil
}

// fetchFailed settles r after its fetch failed with err: a cancelled
// context puts r back into the remaining frontier, so does a proxy that is
// down (which stops the crawl); any other failure is reported to OnError.
func (b *batch) fetchFailed(ctx context.Context, r Request, err error) {
	switch {
	case ctx.Err() != nil:
		b.st.abort(r, nil)
	case vigil.ErrorCode(err) == vigil.EUNAVAILABLE:
		b.st.abort(r, fmt.Errorf("crawl stopped at %s: %w", r.URL, err))
	default:
		b.st.count(func(s *Stats) { s.Pages++; s.Errors++ })
		if b.h.OnError != nil {
			b.h.OnError(r, fmt.Errorf("fetch %s: %w", r.URL, err))
		}
		b.st.finish(nil)
	}
}

// page builds the Page handed over for r: the body cut at MaxBodyBytes (or,
// for a 304, the last capture's, parsed again), its content type (sniffed
// when the server sent none), its data: images taken out (inline) and
// credentials of the login session redacted. received is the number of
// body bytes that came over the wire.
func (b *batch) page(r Request, res fetched) (p *Page, received int, inline []DataImage) {
	f := res.f
	body := f.raw.Bytes()
	received = len(body)
	truncated := len(body) > b.cfg.MaxBodyBytes
	if truncated {
		body = body[:b.cfg.MaxBodyBytes]
	}
	ct := f.header.Get("Content-Type")
	notModified := res.cached != nil
	if notModified {
		body, ct = res.cached, res.cachedCT
		if f.finalURL != nil && strings.Contains(ct, "html") {
			if doc, err := parseHTML(body, ct, f.finalURL); err == nil {
				f.doc = doc
			}
		}
	}
	if ct == "" && len(body) > 0 {
		ct = f.mime
	}
	if f.doc == nil && f.finalURL != nil && f.mime == "text/html" {
		// HTML served under another type (image/jpeg, say) is a page:
		// its bytes decide.
		if doc, err := parseHTML(body, "text/html", f.finalURL); err == nil {
			f.doc = doc
		}
	}
	finalURL := r.URL
	if f.finalURL != nil {
		finalURL = f.finalURL.String()
	}
	p = &Page{
		Request:     r,
		URL:         finalURL,
		Status:      f.status,
		Header:      f.header,
		Body:        body,
		Truncated:   truncated,
		ContentType: ct,
		FetchedAt:   time.Now().UTC(),
		Doc:         f.doc,
		NotModified: notModified,
	}
	inline = scrubPage(p, f.finalURL)
	if sess := b.cfg.Session; sess != nil && sess.redactPage(p) {
		p.Redacted = true
	}
	return p, received, inline
}

// outlinks returns the in-scope links of p to follow (from a 2xx or
// not-modified HTML page, when the next depth is allowed) and, with
// Config.FetchImages, its image references (imageRefs), resolved against
// <base href> or the final URL.
func (b *batch) outlinks(p *Page, finalURL *url.URL) (links, images []*url.URL) {
	if p.Doc == nil || finalURL == nil {
		return nil, nil
	}
	base := finalURL
	if href, ok := p.Doc.Find("base[href]").First().Attr("href"); ok {
		if u, err := base.Parse(strings.TrimSpace(href)); err == nil {
			base = u
		}
	}
	if (p.Status >= 200 && p.Status < 300 || p.NotModified) && b.ss.allowsDepth(p.Request.Depth+1) {
		links = collectRefs(p.Doc, linkRefs, base, b.ss)
	}
	if b.cfg.FetchImages {
		images = collectRefs(p.Doc, imageRefs, base, b.ss)
	}
	return links, images
}

// queueLinks marks the links of r's page in Seen and queues those new
// there at the next depth. Links to the login session's pages to avoid and
// links that break a trap limit are reported to OnSkip instead, once per
// Crawl call.
func (b *batch) queueLinks(r Request, links []*url.URL) {
	var next []Request
	for _, u := range links {
		key := u.String()
		if !b.st.markKnown(key) {
			continue
		}
		if sess := b.cfg.Session; sess != nil {
			if why := sess.login.avoids(u); why != "" {
				b.skip(Request{URL: key, Depth: r.Depth + 1}, &TrapError{URL: key, Reason: why})
				continue
			}
		}
		if err := b.cfg.Traps.check(u); err != nil {
			b.skip(Request{URL: key, Depth: r.Depth + 1}, err)
			continue
		}
		if b.seen.MarkNew(key) {
			next = append(next, Request{URL: key, Depth: r.Depth + 1, Referrer: r.URL})
		}
	}
	b.st.push(next)
}
