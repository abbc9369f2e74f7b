package evidence

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"vigil"
)

// TestReportEscapesHostileContent: every value that comes from a crawled
// site or a user is text in the report, never markup, and no image is
// shown, only its hashes.
func TestReportEscapesHostileContent(t *testing.T) {
	hostile := `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	rep := CaseReport{
		Case:        vigil.Case{ID: "op-1", Authority: "warrant " + hostile, Retention: "30d"},
		GeneratedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Crawls: []ReportCrawl{{Manifest: Manifest{CrawlID: "crawl-1", Seeds: []string{"http://x.onion/" + hostile},
			Files: []FileInfo{{Name: "b000000-00000.warc.gz", SHA256: strings.Repeat("ab", 32), Records: 3}}, Scope: Scope{Network: "tor"},
			TorIsolation: Isolation{Key: "crawl-1", Sites: map[string]string{"x.onion:80": "crawl-1/x.onion:80"}}},
			ManifestSHA256: strings.Repeat("cd", 32), Stamp: &Stamp{TSA: "CN=TSA " + hostile, Chained: true}}},
		Matches: []vigil.Alert{{List: "known", Label: hostile, Algorithm: "pdq", Distance: 12, Hash: strings.Repeat("0", 64),
			PageURL: "http://x.onion/p" + hostile, ImageURL: "http://x.onion/i.jpg", Image: vigil.Image{SHA256: strings.Repeat("ef", 32), URL: "http://x.onion/i.jpg"}}},
		Audit:          []ReportAuditEntry{{Seq: 1, User: "alice", Action: "search", Query: "q=" + hostile}},
		FindingsByKind: map[vigil.Kind]int{vigil.KindEmail: 2},
	}
	var buf bytes.Buffer
	if err := rep.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, bad := range []string{"<script", "<img", "onerror=alert(2)>"} {
		if strings.Contains(html, bad) {
			t.Errorf("the report holds %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", strings.Repeat("ab", 32), strings.Repeat("cd", 32), strings.Repeat("ef", 32),
		"pdq, 12", "one circuit per site: SOCKS username crawl-1/&lt;host:port&gt; (1 sites)", "TSA chain verified", "email: 2",
		`content="default-src 'none'; style-src 'unsafe-inline'"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
