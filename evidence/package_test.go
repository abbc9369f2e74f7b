package evidence

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil"
)

// caseArchive writes one crawl for each of two cases (crawl-a of case-1,
// crawl-b of case-2) under a new evidence directory and returns it.
func caseArchive(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	key, err := LoadOrCreateKey(filepath.Join(data, "keys", "evidence.key"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(data, "evidence")
	a, err := NewArchive(ArchiveConfig{Dir: root, Key: key, LegalAuthority: "warrant 42"})
	if err != nil {
		t.Fatal(err)
	}
	for crawl, caseID := range map[string]string{"crawl-a": "case-1", "crawl-b": "case-2"} {
		if _, err := a.WriteCapture(crawl, 0, Capture{URL: "http://site.onion/", Status: 200, Body: []byte("page of " + crawl)}); err != nil {
			t.Fatal(err)
		}
		if err := a.EndBatch(crawl, 0, Run{CaseID: caseID}); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// unzip extracts the zip at path into a new directory and returns it with
// the names the zip holds.
func unzip(t *testing.T, path string) (string, map[string]bool) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dir := t.TempDir()
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, names
}

func TestPackageHoldsTheCaseAndVerifies(t *testing.T) {
	root := caseArchive(t)
	crawls, err := CaseCrawls(root, "case-1")
	if err != nil || !slices.Equal(crawls, []string{"crawl-a"}) {
		t.Fatalf("CaseCrawls = %v, %v; want [crawl-a]", crawls, err)
	}
	var findings []vigil.Finding
	for i := range 3 {
		findings = append(findings, vigil.Finding{ID: fmt.Sprint("f", i), Kind: vigil.KindEmail, Value: fmt.Sprintf("u%d@example.com", i),
			CaseID: "case-1", URL: "http://site.onion/", DocumentID: "d", CapturedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	}
	zipPath := filepath.Join(t.TempDir(), "case.zip")
	pkg := Package{Root: root, CaseID: "case-1", Crawls: crawls, Findings: findings}
	if err := pkg.WriteFile(zipPath); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(zipPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("package file %v, %v; want mode 0600", st, err)
	}
	unzipped, names := unzip(t, zipPath)
	for _, want := range []string{"crawls/crawl-a/manifest.json", "crawls/crawl-a/manifest.json.sig", "crawls/crawl-a/signer.pub", "crawls/crawl-a/b000000-00000.warc.gz", "findings.csv", "SUMMARY.txt"} {
		if !names[want] {
			t.Errorf("zip lacks %s (has %v)", want, names)
		}
	}
	for n := range names {
		if strings.Contains(n, "crawl-b") {
			t.Errorf("zip holds %s of another case", n)
		}
	}
	summary, _ := os.ReadFile(filepath.Join(unzipped, "SUMMARY.txt"))
	if !bytes.Contains(summary, []byte("warrant 42")) || !bytes.Contains(summary, []byte("Findings: 3")) {
		t.Errorf("summary:\n%s", summary)
	}
	if rep, err := Verify(filepath.Join(unzipped, "crawls"), nil); err != nil || !rep.OK() || len(rep.Manifests) != 1 {
		t.Fatalf("verify of the unzipped package: %+v, %v; want 1 manifest, OK", rep, err)
	}

	t.Run("an existing file is not overwritten", func(t *testing.T) {
		if err := pkg.WriteFile(zipPath); !errors.Is(err, fs.ErrExist) {
			t.Fatalf("second WriteFile = %v; want a file-exists error", err)
		}
		if _, names := unzip(t, zipPath); !names["SUMMARY.txt"] {
			t.Fatal("the first package was damaged")
		}
	})
}

func TestPackageRefusesTamperedEvidence(t *testing.T) {
	root := caseArchive(t)
	warc := filepath.Join(root, "crawl-a", "b000000-00000.warc.gz")
	raw, err := os.ReadFile(warc)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-3] ^= 0xff
	if err := os.WriteFile(warc, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "case.zip")
	err = Package{Root: root, CaseID: "case-1", Crawls: []string{"crawl-a"}}.WriteFile(zipPath)
	if err == nil || !strings.Contains(err.Error(), "crawl-a fails verification") {
		t.Fatalf("WriteFile of tampered evidence = %v; want a verification failure naming the crawl", err)
	}
	if _, err := os.Stat(zipPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed package left a file (%v)", err)
	}
}

func TestPackageName(t *testing.T) {
	for _, tc := range []struct{ caseID, want string }{
		{"case-1_a", "case-case-1_a-evidence.zip"},
		{"../op 7/x", "case-___op_7_x-evidence.zip"},
	} {
		if got := PackageName(tc.caseID); got != tc.want {
			t.Errorf("PackageName(%q) = %q; want %q", tc.caseID, got, tc.want)
		}
	}
	if _, err := CaseCrawls(filepath.Join(t.TempDir(), "none"), "c"); err == nil {
		t.Error("CaseCrawls of a missing directory succeeded")
	}
}
