package embedded_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"

	"vigil"
)

// BenchmarkOneIndexLayout indexes documents and findings (three per
// document) into a single bleve index with a "type" keyword, the layout the
// store does not use, for comparison with BenchmarkTwoIndexLayout's pair of
// PutFindings+PutDocuments calls.
func BenchmarkOneIndexLayout(b *testing.B) {
	im := bleve.NewIndexMapping()
	im.IndexDynamic, im.StoreDynamic, im.DocValuesDynamic = false, false, false
	dm := bleve.NewDocumentStaticMapping()
	txt := bleve.NewTextFieldMapping()
	txt.Analyzer, txt.Store, txt.IncludeInAll, txt.DocValues = standard.Name, false, false, false
	kw := bleve.NewKeywordFieldMapping()
	kw.Analyzer, kw.Store, kw.IncludeInAll, kw.IncludeTermVectors = keyword.Name, false, false, false
	dt := bleve.NewDateTimeFieldMapping()
	dt.Store, dt.IncludeInAll = false, false
	dm.AddFieldMappingsAt("title", txt)
	dm.AddFieldMappingsAt("text", txt)
	for _, k := range []string{"type", "site", "crawl_id", "case_id", "kinds", "kind", "value", "document_id", "url"} {
		dm.AddFieldMappingsAt(k, kw)
	}
	dm.AddFieldMappingsAt("captured_at", dt)
	im.DefaultMapping = dm
	idx, err := bleve.New(filepath.Join(b.TempDir(), "one.bleve"), im)
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	c := newCorpus(1)
	b.ResetTimer()
	start := time.Now()
	for from := 0; from < b.N; from += benchBatch {
		docs := c.docs("bench", from, min(benchBatch, b.N-from))
		bt := idx.NewBatch()
		for i, d := range docs {
			for k := range 3 {
				fid := fmt.Sprint(d.ID, k)
				bt.Index(fid, map[string]any{"type": "finding", "kind": "email", "value": fmt.Sprintf("v%d", (from+i*3+k)%5000),
					"site": d.Site, "crawl_id": d.CrawlID, "document_id": d.ID, "url": d.URL, "captured_at": d.CapturedAt})
			}
			bt.Index(d.ID, map[string]any{"type": "document", "title": d.Title, "text": d.Text, "site": d.Site,
				"crawl_id": d.CrawlID, "kinds": []string{"email"}, "captured_at": d.CapturedAt})
		}
		if err := idx.Batch(bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
	b.StopTimer()
	lat := make([]time.Duration, 200)
	for i := range lat {
		t := time.Now()
		tq, vq := bleve.NewTermQuery("finding"), bleve.NewTermQuery(fmt.Sprintf("v%d", i*7))
		tq.SetField("type")
		vq.SetField("value")
		req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(tq, vq), 100, 0, false)
		req.SortBy([]string{"captured_at", "url", "_id"})
		if _, err := idx.Search(req); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(t)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "lookup-p50-ms")
}

// BenchmarkTwoIndexLayout is the store's layout on the same data.
func BenchmarkTwoIndexLayout(b *testing.B) {
	s := open(b, b.TempDir())
	c := newCorpus(1)
	b.ResetTimer()
	start := time.Now()
	for from := 0; from < b.N; from += benchBatch {
		docs := c.docs("bench", from, min(benchBatch, b.N-from))
		var fs []vigil.Finding
		for i, d := range docs {
			for k := range 3 {
				fs = append(fs, vigil.Finding{ID: fmt.Sprint(d.ID, k), Kind: vigil.KindEmail, Value: fmt.Sprintf("v%d", (from+i*3+k)%5000),
					Site: d.Site, CrawlID: d.CrawlID, DocumentID: d.ID, URL: d.URL, CapturedAt: d.CapturedAt})
			}
		}
		if err := s.PutFindings(b.Context(), fs); err != nil {
			b.Fatal(err)
		}
		if err := s.PutDocuments(b.Context(), docs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
	b.StopTimer()
	lat := make([]time.Duration, 200)
	for i := range lat {
		t := time.Now()
		if _, err := s.Findings(b.Context(), vigil.FindingQuery{Value: fmt.Sprintf("v%d", i*7)}); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(t)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "lookup-p50-ms")
}
