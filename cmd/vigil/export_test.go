package main

import (
	"archive/zip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil"
	"vigil/evidence"
	"vigil/internal/pycheck"
)

// findingsAPI serves /api/findings for case-1 only, in pages of the
// requested limit, and records the queries it answered.
func findingsAPI(t *testing.T, n int) *httptest.Server {
	t.Helper()
	var all []vigil.Finding
	for i := range n {
		all = append(all, vigil.Finding{ID: fmt.Sprintf("f%d", i), Kind: vigil.KindEmail, Value: fmt.Sprintf("u%d@example.com", i%7),
			CaseID: "case-1", URL: fmt.Sprintf("http://site.onion/%d", i), DocumentID: "d", CapturedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/api/findings" || q.Get("case") != "case-1" {
			http.Error(w, `{"error":"unexpected request"}`, http.StatusBadRequest)
			return
		}
		var off, lim int
		fmt.Sscan(q.Get("offset"), &off)
		fmt.Sscan(q.Get("limit"), &lim)
		end := min(off+lim, len(all))
		json.NewEncoder(w).Encode(vigil.FindingResult{Total: len(all), Findings: all[min(off, end):end]})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestExportCommandWritesEveryFindingOfTheCase(t *testing.T) {
	srv := findingsAPI(t, 12345) // more than one API page
	out := filepath.Join(t.TempDir(), "f.csv")
	if _, err := runCLI("export", "--server", srv.URL, "--case", "case-1", "--format", "csv", "-o", out); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(out)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 12346 {
		t.Fatalf("%d rows (%v); want a header and 12345 findings", len(rows), err)
	}
	stix, err := runCLI("export", "--server", srv.URL, "--case", "case-1", "--format", "stix")
	if err != nil || !strings.Contains(stix, `"type": "bundle"`) || strings.Count(stix, `"type": "indicator"`) != 7 {
		t.Fatalf("stix export (%v): %d indicators; want 7 distinct emails", err, strings.Count(stix, `"type": "indicator"`))
	}
	bundle := filepath.Join(t.TempDir(), "case.stix.json")
	if _, err := runCLI("export", "--server", srv.URL, "--case", "case-1", "--format", "stix", "-o", bundle); err != nil {
		t.Fatal(err)
	}
	if err := pycheck.STIX(bundle); err != nil {
		t.Fatalf("the OASIS validator rejects the bundle: %v", err)
	}
	if _, err := runCLI("export", "--server", srv.URL, "--format", "csv"); err == nil {
		t.Fatal("export without --case succeeded")
	}
}

// TestEvidenceExportZip: the command packs the case's crawls with the
// findings it fetched from the API (the package itself is tested in
// evidence).
func TestEvidenceExportZip(t *testing.T) {
	data := t.TempDir()
	key, _ := evidence.LoadOrCreateKey(evidenceKeyPath(data))
	a, _ := evidence.NewArchive(evidence.ArchiveConfig{Dir: evidenceDir(data), Key: key, LegalAuthority: "warrant 42"})
	for crawl, caseID := range map[string]string{"crawl-a": "case-1", "crawl-b": "case-2"} {
		if _, err := a.WriteCapture(crawl, 0, evidence.Capture{URL: "http://site.onion/", Status: 200, Body: []byte("page of " + crawl)}); err != nil {
			t.Fatal(err)
		}
		if err := a.EndBatch(crawl, 0, evidence.Run{CaseID: caseID}); err != nil {
			t.Fatal(err)
		}
	}
	srv := findingsAPI(t, 3)
	zipPath := filepath.Join(t.TempDir(), "case.zip")
	out, err := runCLI("evidence", "export", "--server", srv.URL, "--data", data, "--case", "case-1", "-o", zipPath)
	if err != nil || !strings.Contains(out, "1 crawls and 3 findings of case case-1 written to "+zipPath) {
		t.Fatalf("export: %q, %v", out, err)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
		if f.Name != "findings.csv" {
			continue
		}
		rc, _ := f.Open()
		rows, err := csv.NewReader(rc).ReadAll()
		rc.Close()
		if err != nil || len(rows) != 4 {
			t.Errorf("findings.csv: %d rows (%v); want a header and the 3 findings of the API", len(rows), err)
		}
	}
	if !names["crawls/crawl-a/manifest.json"] || !names["findings.csv"] || names["crawls/crawl-b/manifest.json"] {
		t.Errorf("zip holds %v; want crawl-a and findings.csv, not crawl-b", names)
	}
	if _, err := runCLI("evidence", "export", "--server", srv.URL, "--data", data, "--case", "case-3", "-o", filepath.Join(t.TempDir(), "none.zip")); err == nil || !strings.Contains(err.Error(), "no evidence of case case-3") {
		t.Errorf("export of a case without evidence: %v; want it refused", err)
	}
}
