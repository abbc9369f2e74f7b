package activities

import (
	"context"
	"fmt"

	"vigil"
	"vigil/crawler"
	"vigil/workflows"
)

// WatchlistChecker checks crawled images against watchlists and returns the
// alerts it newly raised (none for images it has already alerted on).
// *watchlist.DB implements it.
type WatchlistChecker interface {
	Check(images []vigil.Image) ([]vigil.Alert, error)
}

// IndexBatch runs the extractors over a batch's pending captures and writes
// findings, image hashes and documents to the index, then releases the
// captures from the pending set. Every write is idempotent by ID, so a retry
// after a crash or an index outage neither loses nor duplicates anything.
func (a *Activities) IndexBatch(ctx context.Context, in workflows.IndexBatchInput) (workflows.IndexBatchResult, error) {
	var res workflows.IndexBatchResult
	hb := newHeartbeater(ctx, in.Batch)
	defer hb.close()
	pending, err := a.State.Pending(in.CrawlID, in.DocumentIDs)
	if err != nil {
		return res, err
	}
	if len(pending) == 0 {
		return res, nil // indexed by an earlier attempt
	}
	docs := make([]vigil.Document, 0, len(pending))
	var findings []vigil.Finding
	var images []vigil.Image
	var ids []string // every pending key, images-only ones included
	drift := 0
	for i := range pending {
		p := &pending[i]
		if d := p.Drift; d != nil {
			drift++
			a.logger().Warn("template drift", "crawl", in.CrawlID, "site", d.Site, "template", d.Template,
				"template_version", d.Version, "expect", d.Expect, "missing", d.Missing, "url", p.Document.URL)
		}
		images = append(images, p.Images...)
		ids = append(ids, p.Document.ID)
		if p.ImagesOnly {
			continue
		}
		findings = append(findings, a.extract(&p.Page)...)
		docs = append(docs, p.Document)
	}
	// Findings and images first: a document visible in search always has
	// its findings.
	if err := a.Store.PutFindings(ctx, findings); err != nil {
		return res, fmt.Errorf("index findings of batch %d: %w", in.Batch, err)
	}
	if err := a.Store.PutImages(ctx, images); err != nil {
		return res, fmt.Errorf("index images of batch %d: %w", in.Batch, err)
	}
	if err := a.checkWatchlist(in, images); err != nil {
		return res, err
	}
	if err := a.Store.PutDocuments(ctx, docs); err != nil {
		return res, fmt.Errorf("index documents of batch %d: %w", in.Batch, err)
	}
	if err := a.State.Release(in.CrawlID, ids); err != nil {
		return res, err
	}
	res = workflows.IndexBatchResult{Documents: len(docs), Findings: len(findings), Images: len(images), Drift: drift}
	return res, nil
}

// checkWatchlist checks a batch's images against the watchlists, when
// there are any, and logs each alert raised.
func (a *Activities) checkWatchlist(in workflows.IndexBatchInput, images []vigil.Image) error {
	if a.Watchlist == nil || len(images) == 0 {
		return nil
	}
	alerts, err := a.Watchlist.Check(images)
	if err != nil {
		return fmt.Errorf("check images of batch %d against watchlists: %w", in.Batch, err)
	}
	for _, al := range alerts {
		a.logger().Warn("watchlist alert", "crawl", in.CrawlID, "list", al.List, "label", al.Label,
			"page_url", al.Image.PageURL, "image_url", al.Image.URL, "algorithm", al.Algorithm, "distance", al.Distance)
	}
	return nil
}

// extract runs every extractor over p and stamps the findings' provenance.
func (a *Activities) extract(p *vigil.Page) []vigil.Finding {
	var out []vigil.Finding
	for _, x := range a.Extractors {
		out = append(out, x.Extract(p)...)
	}
	p.Stamp(out)
	return out
}

// applyTemplates applies the site templates to a crawled page and returns
// the records, stamped with the page's provenance, and the template drift
// (nil when there is none). A page no template matches yields neither.
func (a *Activities) applyTemplates(p *crawler.Page, page *vigil.Page) ([]vigil.Record, *vigil.TemplateDrift) {
	u := p.URL
	if u == "" {
		u = p.Request.URL
	}
	res, err := a.Templates.Apply(p.Doc, u)
	if err != nil {
		a.logger().Info("templates not applied", "url", u, "error", err)
		return nil, nil
	}
	page.StampRecords(res.Records)
	return res.Records, res.TemplateDrift(page.Site)
}
