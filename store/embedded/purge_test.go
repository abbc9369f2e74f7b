package embedded_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil"
)

func TestPurgeCase(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sha := strings.Repeat("ab", 32)
	put := func(crawl, caseID, url string) string {
		doc := vigil.Document{ID: vigil.DocumentID(crawl+caseID, url), CrawlID: crawl, CaseID: caseID, Site: "a.onion", URL: url, Status: 200, Text: "mail x@example.com", CapturedAt: at}
		must(t, s.PutDocuments(ctx, []vigil.Document{doc}))
		must(t, s.PutFindings(ctx, []vigil.Finding{{ID: vigil.FindingID(doc.ID, vigil.KindEmail, "x@example.com", 5), Kind: vigil.KindEmail, Value: "x@example.com",
			DocumentID: doc.ID, CrawlID: crawl, CaseID: caseID, URL: url, CapturedAt: at}}))
		must(t, s.PutImages(ctx, []vigil.Image{{ID: vigil.ImageID(crawl+caseID, url, url+".jpg"), URL: url + ".jpg", PageURL: url, DocumentID: doc.ID,
			CrawlID: crawl, CaseID: caseID, SHA256: sha, MD5: strings.Repeat("cd", 16), PHash: "0123456789abcdef", CapturedAt: at}}))
		must(t, s.PutCapture(ctx, doc.ID, []byte("<html>"+url)))
		return doc.ID
	}
	put("c1", "case-a", "http://a.onion/1")
	put("c2", "case-a", "http://a.onion/2")
	loose := put("", "case-a", "http://a.onion/3") // put without a crawl
	kept := put("c3", "case-b", "http://a.onion/1")

	if got, err := s.CaseCrawls(ctx, "case-a"); err != nil || !slices.Equal(got, []string{"", "c1", "c2"}) {
		t.Fatalf("CaseCrawls = %v, %v; want \"\", c1, c2", got, err)
	}
	crawls, err := s.PurgeCase(ctx, "case-a")
	if err != nil || !slices.Equal(crawls, []string{"c1", "c2"}) {
		t.Fatalf("PurgeCase = %v, %v; want c1, c2", crawls, err)
	}
	if got, err := s.CaseCrawls(ctx, "case-a"); err != nil || len(got) != 0 {
		t.Errorf("after the purge CaseCrawls = %v, %v; want none", got, err)
	}
	res, _ := s.Search(ctx, vigil.Query{Text: "mail"})
	fr, _ := s.Findings(ctx, vigil.FindingQuery{Value: "x@example.com"})
	hits, _ := s.MatchImages(ctx, vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoSHA256, Value: sha}}})
	if res.Total != 1 || fr.Total != 1 || len(hits) != 1 || hits[0].Image.CaseID != "case-b" {
		t.Errorf("after the purge: %d documents, %d findings, %d images; want case-b's one of each", res.Total, fr.Total, len(hits))
	}
	if _, err := s.Capture(ctx, loose); vigil.ErrorCode(err) != vigil.ENOTFOUND {
		t.Errorf("capture of a document put without a crawl: %v; want it deleted", err)
	}
	if _, err := s.Capture(ctx, kept); err != nil {
		t.Errorf("capture of case-b: %v", err)
	}
	if st, err := s.Stats(ctx); err != nil || st != (vigil.Stats{Documents: 1, Findings: 1, Images: 1}) {
		t.Errorf("stats %+v, %v", st, err)
	}
	if crawls, err := s.PurgeCase(ctx, "case-a"); err != nil || len(crawls) != 0 {
		t.Errorf("second purge = %v, %v; want nothing", crawls, err)
	}
	if _, err := s.PurgeCase(ctx, ""); vigil.ErrorCode(err) != vigil.EINVALID {
		t.Errorf("purge of no case: %v; want EINVALID", err)
	}
}
