package activities

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"vigil/evidence"
	"vigil/internal/demo"
	"vigil/workflows"
)

// TestCrawlBatchArchivesEveryPageAsWARC crawls the demo site with an
// evidence archive and reads every document's WARC record back: its payload
// is byte-equal to the stored capture and the crawl's signed manifest
// verifies.
func TestCrawlBatchArchivesEveryPageAsWARC(t *testing.T) {
	site := demo.New(demo.Config{Threads: 20, Listings: 20})
	srv := httptest.NewServer(site)
	defer srv.Close()
	a := newActivities(t)
	_, key, _ := ed25519.GenerateKey(nil)
	archive, err := evidence.NewArchive(evidence.ArchiveConfig{Dir: filepath.Join(t.TempDir(), "evidence"), Key: key, MaxFileBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	a.Evidence = archive
	ctx := context.Background()
	if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: "c1", CaseID: "case-1", Seeds: []string{srv.URL + "/"}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for batch := 1; ; batch++ {
		res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "c1", Batch: batch, MaxPages: 30})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.DocumentIDs...)
		if _, err := a.IndexBatch(ctx, workflows.IndexBatchInput{CrawlID: "c1", Batch: batch, DocumentIDs: res.DocumentIDs}); err != nil {
			t.Fatal(err)
		}
		if res.Queued == 0 {
			break
		}
		if batch > 100 {
			t.Fatal("crawl does not end")
		}
	}
	if len(ids) != len(site.Pages()) {
		t.Fatalf("captured %d pages; the site has %d", len(ids), len(site.Pages()))
	}
	dir := archive.CrawlDir("c1")
	for _, id := range ids {
		doc, err := a.Store.Document(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if doc.WARCFile == "" {
			t.Fatalf("document %s (%s) has no WARC location", id, doc.URL)
		}
		rec, err := evidence.ReadRecordAt(filepath.Join(dir, doc.WARCFile), doc.WARCOffset)
		if err != nil {
			t.Fatalf("%s: %v", doc.URL, err)
		}
		if err := rec.Verify(); err != nil {
			t.Fatalf("%s: %v", doc.URL, err)
		}
		payload, err := rec.Payload()
		if err != nil {
			t.Fatal(err)
		}
		body, err := a.Captures.Capture(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(payload, body) {
			t.Fatalf("%s: WARC payload (%d bytes) differs from the capture (%d bytes)", doc.URL, len(payload), len(body))
		}
	}
	m, _, err := evidence.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.Responses != len(ids) || m.CaseID != "case-1" || len(m.Seeds) != 1 {
		t.Fatalf("manifest counts %+v, case %q, seeds %v; want %d responses of case-1", m.Counts, m.CaseID, m.Seeds, len(ids))
	}
	if !strings.HasPrefix(m.Scope.Robots, "ignore") || m.Scope.Network != "tor" || m.TorIsolation.Key != "c1" {
		t.Errorf("manifest scope %+v, isolation %+v; want the default robots policy (ignore) and per-site isolation", m.Scope, m.TorIsolation)
	}
	rep, err := evidence.Verify(dir, key.Public().(ed25519.PublicKey))
	if err != nil || !rep.OK() {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}
