package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil"
)

// TestCaseRequiredAndPurged drives cases through the real binary: a crawl
// without --case is refused naming the flag, a case is created with its
// retention and legal authority (named in the crawl's signed manifest),
// crawled, then purged through the API, after which the index
// answers nothing of it, its evidence directory is gone, the registry marks
// it purged, the audit log records the purge, and the case admits no crawl.
func TestCaseRequiredAndPurged(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><title>Case shop</title><body>write to purgeme@example.com <a href="/2">next</a></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	inst := startUp(t, "--direct")

	_, errOut, code := runVigil(t, "crawl", "--server", inst.URL, srv.URL+"/")
	if code != 1 || !strings.Contains(errOut, "case_id is required") || !strings.Contains(errOut, "--case") {
		t.Fatalf("crawl without a case: exit %d, %q; want 1 naming case_id and --case", code, errOut)
	}
	if out, errOut, code := runVigil(t, "case", "create", "op-7", "--server", inst.URL, "--retention", "30d", "--authority", "warrant 7/2026"); code != 0 || !strings.Contains(out, "case op-7 created") {
		t.Fatalf("case create: exit %d, %s %s", code, out, errOut)
	}
	out, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "op-7", "--depth", "-1", "--wait", srv.URL+"/")
	if code != 0 {
		t.Fatalf("crawl: exit %d: %s %s", code, out, errOut)
	}
	crawlID := strings.Fields(out)[1]
	var res vigil.SearchResult
	getJSON(t, inst.URL, "/api/search?case=op-7&q=", &res)
	if res.Total != 2 {
		t.Fatalf("case op-7 has %d documents before the purge; want 2", res.Total)
	}
	evidence := filepath.Join(inst.Data, "evidence", crawlID)
	if _, err := os.Stat(evidence); err != nil {
		t.Fatalf("no evidence of the crawl before the purge: %v", err)
	}
	if m, err := os.ReadFile(filepath.Join(evidence, "manifest.json")); err != nil || !strings.Contains(string(m), `"legal_authority": "warrant 7/2026"`) {
		t.Errorf("the crawl's manifest does not name the case's authority (%v):\n%s", err, m)
	}

	out, errOut, code = runVigil(t, "case", "purge", "op-7", "--server", inst.URL)
	if code != 0 || !strings.Contains(out, "case op-7 purged: 1 crawls") {
		t.Fatalf("purge: exit %d: %s %s", code, out, errOut)
	}
	getJSON(t, inst.URL, "/api/search?case=op-7&q=", &res)
	var fr vigil.FindingResult
	getJSON(t, inst.URL, "/api/findings?case=op-7", &fr)
	if res.Total != 0 || fr.Total != 0 {
		t.Errorf("after the purge case op-7 has %d documents and %d findings", res.Total, fr.Total)
	}
	if _, err := os.Stat(evidence); !os.IsNotExist(err) {
		t.Errorf("evidence directory of the crawl after the purge: %v", err)
	}
	var c vigil.Case
	if getJSON(t, inst.URL, "/api/cases/op-7", &c); c.PurgedAt.IsZero() || c.Authority != "warrant 7/2026" {
		t.Errorf("case after the purge: %+v; want it marked purged", c)
	}
	audit, err := os.ReadFile(filepath.Join(inst.Data, "audit.log"))
	if err != nil || !strings.Contains(string(audit), `"action":"case.purge"`) || !strings.Contains(string(audit), crawlID) {
		t.Errorf("audit log does not record the purge of %s (%v)", crawlID, err)
	}
	if _, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "op-7", srv.URL+"/"); code != 1 || !strings.Contains(errOut, "purged") {
		t.Errorf("crawl of the purged case: exit %d, %q; want it refused", code, errOut)
	}
}
