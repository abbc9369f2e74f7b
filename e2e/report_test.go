package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"vigil/evidence"
	"vigil/internal/tsatest"
)

// TestCaseReportAndTimestamps drives the evidence chain a court sees through
// the real binary: `vigil up` stamps every manifest signature at a real
// RFC 3161 TSA (openssl ts on 127.0.0.1), `evidence verify --tsa-ca` checks
// the tokens, `audit verify` checks the signed checkpoints, and `case
// report` writes HTML (hostile page content escaped) and a PDF printed by
// headless Chromium in which pdftotext finds the case ID and every
// evidence hash. With VIGIL_DOCS_SCREENSHOT=1 it also writes the PDF's first
// page to docs/report.png.
func TestCaseReportAndTimestamps(t *testing.T) {
	t.Parallel()
	tsa := tsatest.Start(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><title>Jobs abroad</title><body>write to report-%s@example.com <a href="/2?x=<script>alert(1)</script>">next</a></body></html>`, strings.Trim(r.URL.Path, "/"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	inst := startUp(t, "--direct", "--tsa-url", tsa.URL, "--audit-checkpoint-every", "2")
	if out, errOut, code := runVigil(t, "case", "create", "op-9", "--server", inst.URL, "--retention", "30d", "--authority", "warrant <b>9</b>/2026"); code != 0 {
		t.Fatalf("case create: exit %d: %s %s", code, out, errOut)
	}
	out, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "op-9", "--depth", "-1", "--wait", srv.URL+"/")
	if code != 0 {
		t.Fatalf("crawl: exit %d: %s %s", code, out, errOut)
	}
	crawlID := strings.Fields(out)[1]
	crawlDir := filepath.Join(inst.Data, "evidence", crawlID)

	out, errOut, code = runVigil(t, "evidence", "verify", "--tsa-ca", tsa.CAFile, crawlDir)
	if code != 0 || !strings.Contains(out, "1 timestamp tokens chain to") || tsa.Requests.Load() == 0 {
		t.Fatalf("evidence verify --tsa-ca: exit %d: %s %s", code, out, errOut)
	}
	other := tsatest.NewCA(t, t.TempDir(), "Not the TSA's CA")
	if out, _, code := runVigil(t, "evidence", "verify", "--tsa-ca", other, crawlDir); code != 1 || !strings.Contains(out, "does not chain") {
		t.Fatalf("evidence verify against another CA: exit %d: %s", code, out)
	}
	if out, errOut, code := runVigil(t, "audit", "verify", "--data", inst.Data); code != 0 || !strings.Contains(out, "chain intact") || !strings.Contains(out, "1 mirrored in evidence manifests agree") {
		t.Fatalf("audit verify: exit %d: %s %s", code, out, errOut)
	}

	m, raw, err := evidence.ReadManifest(crawlDir)
	if err != nil || len(m.Files) == 0 || m.AuditCheckpoint == nil {
		t.Fatalf("manifest: %v, %d files, checkpoint %v", err, len(m.Files), m.AuditCheckpoint)
	}
	dir := t.TempDir()
	report := func(name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		out, errOut, code := runVigil(t, "case", "report", "op-9", "--server", inst.URL, "--data", inst.Data, "--tsa-ca", tsa.CAFile, "-o", p)
		if code != 0 || !strings.Contains(out, "written to "+p) {
			t.Fatalf("case report -o %s: exit %d: %s %s", name, code, out, errOut)
		}
		return p
	}
	html, _ := os.ReadFile(report("report.html"))
	for _, want := range []string{"warrant &lt;b&gt;9&lt;/b&gt;/2026", "TSA chain verified", "email: ", crawlID} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	if strings.Contains(string(html), "<script") || strings.Contains(string(html), "<b>9") || strings.Contains(string(html), "<img") {
		t.Errorf("the HTML report holds unescaped crawled or typed markup, or an image")
	}

	pdf := report("report.pdf")
	text, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s (make deps installs poppler-utils): %v", pdf, err)
	}
	hashes := []string{sha256Hex(raw)}
	for _, f := range m.Files {
		hashes = append(hashes, f.SHA256)
	}
	for _, want := range append(hashes, "op-9", crawlID) {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF's text lacks %s", want)
		}
	}
	if os.Getenv("VIGIL_DOCS_SCREENSHOT") == "1" {
		shot := exec.Command("pdftoppm", "-png", "-f", "1", "-l", "1", "-r", "70", "-singlefile", pdf, filepath.Join("..", "docs", "report"))
		if out, err := shot.CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
	}
}
