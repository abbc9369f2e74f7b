package e2e

import (
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil"
	"vigil/internal/demo"
	"vigil/internal/pycheck"
)

// TestCrawlSearchEndToEnd is the foundation's proof: `vigil up` with the
// embedded Temporal server crawls a generated ~600-page forum and market in
// lab mode, every page lands in the index exactly once, and `vigil search`
// finds planted contacts through the API.
func TestCrawlSearchEndToEnd(t *testing.T) {
	t.Parallel()
	site := demo.New(demo.Config{})
	srv := httptest.NewServer(site)
	defer srv.Close()
	pages := site.Pages()
	if len(pages) < 500 {
		t.Fatalf("demo site has %d pages, the test needs at least 500", len(pages))
	}

	inst := startUp(t, "--direct", "--concurrency", "8")
	seed := srv.URL + "/"
	out, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "e2e", "--depth", "-1", "--max-pages", "5000", "--wait", seed)
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s\n%s", code, errOut, out)
	}
	crawlID := strings.Fields(out)[1]
	if !strings.HasPrefix(crawlID, "crawl-") {
		t.Fatalf("crawl output does not start with the crawl ID: %q", out)
	}

	var st vigil.CrawlStatus
	getJSON(t, inst.URL, "/api/crawls/"+crawlID, &st)
	if st.State != "finished" || st.Pages != len(pages) || st.Indexed != len(pages) {
		t.Fatalf("crawl status = %+v; want finished with %d pages fetched and indexed", st, len(pages))
	}

	// Every page exactly once: the index counts as many documents as the
	// site has pages, and each page's deterministic ID is there.
	var stats vigil.Stats
	getJSON(t, inst.URL, "/api/stats", &stats)
	if stats.Documents != len(pages) {
		t.Fatalf("index holds %d documents, the site has %d pages", stats.Documents, len(pages))
	}
	for _, p := range pages {
		id := vigil.DocumentID(crawlID, srv.URL+p)
		var doc struct{ Document vigil.Document }
		if code := getJSON(t, inst.URL, "/api/documents/"+id, &doc); code != 200 || doc.Document.URL != srv.URL+p {
			t.Fatalf("page %s: GET document %s answered %d (%q)", p, id, code, doc.Document.URL)
		}
	}
	if stats.Images == 0 {
		t.Fatalf("no image hashes indexed")
	}

	// Planted contacts are found through `vigil search`, on their page.
	checked := map[vigil.Kind]bool{}
	for _, p := range site.Unique() {
		if (p.Kind != vigil.KindEmail && p.Kind != vigil.KindPhone) || checked[p.Kind] {
			continue
		}
		checked[p.Kind] = true
		out, errOut, code := runVigil(t, "search", "--server", inst.URL, "--json", "--kind", string(p.Kind), p.Value)
		if code != 0 {
			t.Fatalf("search %s exited %d: %s", p.Value, code, errOut)
		}
		recs := jsonLines(t, out)
		found := false
		for _, r := range recs {
			if r["kind"] == string(p.Kind) && r["value"] == p.Value && r["url"] == srv.URL+p.Path && r["snippet"] != "" {
				found = true
			}
		}
		if !found {
			t.Fatalf("search --kind %s %s: %d records, none on %s: %s", p.Kind, p.Value, len(recs), p.Path, out)
		}
	}
	if !checked[vigil.KindEmail] || !checked[vigil.KindPhone] {
		t.Fatalf("the demo site planted no unique email or phone: %v", checked)
	}

	// Full-text search finds a page by words of its title.
	var res vigil.SearchResult
	first := site.Pages()[len(pages)/2]
	doc := struct{ Document vigil.Document }{}
	getJSON(t, inst.URL, "/api/documents/"+vigil.DocumentID(crawlID, srv.URL+first), &doc)
	words := strings.Fields(doc.Document.Title)
	if len(words) == 0 {
		t.Fatalf("page %s has no title", first)
	}
	getJSON(t, inst.URL, "/api/search?q="+url.QueryEscape(doc.Document.Title)+"&limit=50", &res)
	hit := false
	for _, h := range res.Hits {
		if h.Document.ID == doc.Document.ID {
			hit = true
		}
	}
	if !hit {
		t.Fatalf("full-text search for %q did not return its page (%d hits)", doc.Document.Title, res.Total)
	}
	out, _, code = runVigil(t, "search", "--server", inst.URL, "--json", doc.Document.Title)
	if code != 0 || len(jsonLines(t, out)) == 0 || jsonLines(t, out)[0]["type"] != "page" {
		t.Fatalf("vigil search --json %q: exit %d, %s", doc.Document.Title, code, out)
	}

	// Readers Vigil did not write: warcio reads every WARC file of the
	// crawl (every record's digests), and the OASIS stix2-validator accepts
	// the case's STIX bundle.
	if n := checkEvidence(t, inst.Data); n == 0 {
		t.Fatal("the crawl's manifests list no WARC file")
	}
	bundle := filepath.Join(t.TempDir(), "e2e.stix.json")
	if out, errOut, code := runVigil(t, "export", "--server", inst.URL, "--case", "e2e", "--format", "stix", "-o", bundle); code != 0 {
		t.Fatalf("vigil export --format stix: exit %d: %s %s", code, out, errOut)
	}
	if raw, err := os.ReadFile(bundle); err != nil || strings.Count(string(raw), `"type": "indicator"`) < 2 {
		t.Fatalf("the STIX bundle holds fewer than 2 indicators (%v)", err)
	}
	if err := pycheck.STIX(bundle); err != nil {
		t.Fatal(err)
	}
}
