package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil"
	"vigil/audit"
	"vigil/evidence"
	"vigil/store/embedded"
)

func TestCasePurgeLeavesNothingOfTheCase(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(data, "index")})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := evidence.LoadOrCreateKey(evidenceKeyPath(data))
	arch, _ := evidence.NewArchive(evidence.ArchiveConfig{Dir: evidenceDir(data), Key: key})
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sha := strings.Repeat("ab", 32)
	for _, c := range []struct{ crawl, caseID string }{{"crawl-a1", "case-a"}, {"crawl-a2", "case-a"}, {"crawl-b", "case-b"}} {
		for _, u := range []string{"http://site.onion/1", "http://site.onion/2"} {
			doc := vigil.Document{ID: vigil.DocumentID(c.crawl, u), CrawlID: c.crawl, CaseID: c.caseID, Site: "site.onion", URL: u,
				Status: 200, Text: "contact seller@example.com", CapturedAt: at}
			if err := store.PutDocuments(ctx, []vigil.Document{doc}); err != nil {
				t.Fatal(err)
			}
			if err := store.PutFindings(ctx, []vigil.Finding{{ID: vigil.FindingID(doc.ID, vigil.KindEmail, "seller@example.com", 8), Kind: vigil.KindEmail,
				Value: "seller@example.com", DocumentID: doc.ID, CrawlID: c.crawl, CaseID: c.caseID, URL: u, CapturedAt: at}}); err != nil {
				t.Fatal(err)
			}
			if err := store.PutImages(ctx, []vigil.Image{{ID: vigil.ImageID(c.crawl, u, u+".jpg"), URL: u + ".jpg", PageURL: u, DocumentID: doc.ID,
				CrawlID: c.crawl, CaseID: c.caseID, SHA256: sha, MD5: strings.Repeat("cd", 16), PHash: "0123456789abcdef", CapturedAt: at}}); err != nil {
				t.Fatal(err)
			}
			if err := store.PutCapture(ctx, doc.ID, []byte("<html>"+u)); err != nil {
				t.Fatal(err)
			}
			if _, err := arch.WriteCapture(c.crawl, 0, evidence.Capture{URL: u, Status: 200, Body: []byte(u)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := arch.EndBatch(c.crawl, 0, evidence.Run{CaseID: c.caseID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	out, err := runCLI("case", "purge", "--data", data, "--case", "case-a", "--user", "det. smith")
	if err != nil || !strings.Contains(out, "case case-a purged: 2 crawls") {
		t.Fatalf("purge: %q, %v", out, err)
	}

	store, err = embedded.Open(embedded.Config{Dir: filepath.Join(data, "index")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	count := func(caseID string) (docs, findings, images, captures int) {
		res, err := store.Search(ctx, vigil.Query{CaseID: caseID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		fr, err := store.Findings(ctx, vigil.FindingQuery{CaseID: caseID})
		if err != nil {
			t.Fatal(err)
		}
		hits, err := store.MatchImages(ctx, vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoSHA256, Value: sha}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Image.CaseID == caseID {
				images++
			}
		}
		for crawl, c := range map[string]string{"crawl-a1": "case-a", "crawl-a2": "case-a", "crawl-b": "case-b"} {
			for _, u := range []string{"http://site.onion/1", "http://site.onion/2"} {
				if _, err := store.Capture(ctx, vigil.DocumentID(crawl, u)); err == nil && c == caseID {
					captures++
				}
			}
		}
		return res.Total, fr.Total, images, captures
	}
	if d, f, i, c := count("case-a"); d+f+i+c != 0 {
		t.Errorf("after purge case-a keeps %d documents, %d findings, %d images, %d captures", d, f, i, c)
	}
	if d, f, i, c := count("case-b"); d != 2 || f != 2 || i != 2 || c != 2 {
		t.Errorf("case-b has %d documents, %d findings, %d images, %d captures; want 2 of each", d, f, i, c)
	}
	for _, crawl := range []string{"crawl-a1", "crawl-a2"} {
		if _, err := os.Stat(filepath.Join(evidenceDir(data), crawl)); !os.IsNotExist(err) {
			t.Errorf("evidence of %s still on disk (%v)", crawl, err)
		}
	}
	if rep, err := evidence.Verify(evidenceDir(data), nil); err != nil || !rep.OK() || len(rep.Manifests) != 1 {
		t.Errorf("remaining evidence: %+v, %v; want case-b's one crawl, verified", rep, err)
	}
	entries, _, err := openAudit(t, data).Search(audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	last := entries[0] // newest first
	if last.Action != "case.purge" || last.CaseID != "case-a" || last.User != "det. smith" || !strings.Contains(last.Result, "2 crawls purged") {
		t.Errorf("last audit entry %+v; want the purge", last)
	}
}

func openAudit(t *testing.T, data string) *audit.Log {
	t.Helper()
	l, err := audit.Open(filepath.Join(data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
