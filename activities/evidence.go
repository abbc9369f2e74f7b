package activities

import (
	"fmt"
	"net/http"

	"vigil"
	"vigil/crawler"
	"vigil/evidence"
	"vigil/store/crawlstate"
	"vigil/workflows"
)

// EvidenceArchive keeps captures as WARC records with a signed manifest per
// crawl (implemented by *evidence.Archive). WriteCapture may be called from
// several goroutines at once.
type EvidenceArchive interface {
	// WriteCapture writes one capture into the batch's WARC files and says
	// where its response record is (zero when it was not written: an image
	// while images are not kept).
	WriteCapture(crawlID string, batch int, c evidence.Capture) (evidence.Location, error)
	// EndBatch seals the batch's files and refreshes the crawl's signed
	// manifest; it is called before the batch is committed.
	EndBatch(crawlID string, batch int, run evidence.Run) error
	// AbortBatch drops the batch's writer after a failed attempt; the retry
	// replaces its files.
	AbortBatch(crawlID string, batch int)
}

var _ EvidenceArchive = (*evidence.Archive)(nil)

// archivePage writes p to the evidence archive, when there is one, and
// records the location on doc.
func (a *Activities) archivePage(in workflows.CrawlBatchInput, p *crawler.Page, doc *vigil.Document) error {
	if a.Evidence == nil {
		return nil
	}
	body := p.Body
	if p.NotModified {
		body = nil // a 304 has no body: the one indexed is the earlier capture's
	}
	loc, err := a.Evidence.WriteCapture(in.CrawlID, in.Batch, evidence.Capture{
		Method: http.MethodGet, URL: p.URL, RequestHeader: http.Header{"User-Agent": {a.userAgent()}},
		Status: p.Status, Header: p.Header, Body: body, Truncated: p.Truncated, FetchedAt: p.FetchedAt,
		ImagesRemoved: p.ImagesRemoved,
	})
	if err != nil {
		return fmt.Errorf("archive %s as WARC: %w", p.URL, err)
	}
	doc.WARCFile, doc.WARCOffset = loc.File, loc.Offset
	return nil
}

// keepImage writes img to the image store, when images are kept
// (Activities.ImageStore): apart from the pages, in its own WARC files. A
// data: image is recorded under its page's URL, with a fragment naming
// its SHA-256.
func (a *Activities) keepImage(in workflows.CrawlBatchInput, img *crawler.ImageFetch, sha string) error {
	if a.ImageStore == nil {
		return nil
	}
	c := evidence.Capture{Method: http.MethodGet, URL: img.URL, RequestHeader: http.Header{"User-Agent": {a.userAgent()}},
		Status: img.Status, Header: img.Header.Clone(), Body: img.Body, FetchedAt: img.FetchedAt}
	if img.Status == 0 {
		c.URL = img.PageURL + "#data-image-sha256-" + sha
		c.Status, c.Header = http.StatusOK, http.Header{"Content-Type": {img.ContentType}}
	}
	if _, err := a.ImageStore.WriteCapture(in.CrawlID, in.Batch, c); err != nil {
		return fmt.Errorf("keep image %s in the image store: %w", img.URL, err)
	}
	return nil
}

func (a *Activities) userAgent() string {
	if a.Crawler.UserAgent != "" {
		return a.Crawler.UserAgent
	}
	return crawler.DefaultUserAgent
}

// endEvidence seals the batch's WARC files and refreshes the crawl's signed
// manifest; with failed set it only drops the batch's writer.
func (a *Activities) endEvidence(in workflows.CrawlBatchInput, meta crawlstate.Meta, cfg crawler.Config, failed bool) error {
	if a.Evidence == nil {
		return nil
	}
	if failed {
		a.Evidence.AbortBatch(in.CrawlID, in.Batch)
		if a.ImageStore != nil {
			a.ImageStore.AbortBatch(in.CrawlID, in.Batch)
		}
		return nil
	}
	robots := "ignore: robots.txt is not fetched"
	if cfg.ObeyRobots {
		robots = "obey: each host's robots.txt is fetched and its disallowed paths skipped"
	}
	run := evidence.Run{
		CaseID: meta.CaseID, Seeds: meta.Seeds, StartedAt: meta.Created, IsolationKey: in.CrawlID,
		Scope: evidence.Scope{Hosts: meta.Hosts, MaxDepth: cfg.MaxDepth, Robots: robots,
			Concurrency: cfg.Concurrency, UserAgent: a.userAgent(), FetchImages: cfg.FetchImages},
	}
	if err := a.Evidence.EndBatch(in.CrawlID, in.Batch, run); err != nil {
		return fmt.Errorf("seal evidence of batch %d: %w", in.Batch, err)
	}
	if a.ImageStore != nil {
		if err := a.ImageStore.EndBatch(in.CrawlID, in.Batch, run); err != nil {
			return fmt.Errorf("seal the image store's files of batch %d: %w", in.Batch, err)
		}
	}
	return nil
}
