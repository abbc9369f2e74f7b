package pycheck

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil"
	"vigil/evidence"
	"vigil/evidence/export"
)

// writeWARC writes a crawl's evidence with Vigil's archive and returns its
// one WARC file and the record count its manifest states.
func writeWARC(t *testing.T) (string, int) {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	dir := t.TempDir()
	a, err := evidence.NewArchive(evidence.ArchiveConfig{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://site.onion/", "http://site.onion/t?id=1", "http://site.onion/big"} {
		body := []byte("<html><title>page</title>" + strings.Repeat("x", 300) + " marker-body</html>")
		if _, err := a.WriteCapture("crawl-1", 0, evidence.Capture{URL: u, Status: 200, Header: http.Header{"Content-Type": {"text/html"}},
			Body: body, FetchedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.EndBatch("crawl-1", 0, evidence.Run{CaseID: "c"}); err != nil {
		t.Fatal(err)
	}
	m, _, err := evidence.ReadManifest(a.CrawlDir("crawl-1"))
	if err != nil || len(m.Files) != 1 {
		t.Fatalf("manifest: %+v, %v", m.Files, err)
	}
	return filepath.Join(a.CrawlDir("crawl-1"), m.Files[0].Name), m.Files[0].Records
}

func TestWARCChecker(t *testing.T) {
	path, records := writeWARC(t)
	t.Run("a WARC file Vigil writes passes warcio with every record read", func(t *testing.T) {
		n, err := WARC(path)
		if err != nil {
			t.Fatal(err)
		}
		if n != records || n != 7 {
			t.Fatalf("warcio read %d records; the manifest states %d, want 7 (warcinfo and 3 response/request pairs)", n, records)
		}
	})
	raw, _ := os.ReadFile(path)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		// Lengths stay equal, so only the digests can notice.
		"a byte of a body changed": bytes.Replace(plain, []byte("marker-body"), []byte("marker-bodY"), 1),
		"a cut gzip member":        raw[:len(raw)-40],
		"a block digest edited":    flipAfter(plain, "WARC-Block-Digest: sha256:"),
	}
	for name, data := range bad {
		t.Run(name+" fails warcio", func(t *testing.T) {
			if bytes.Equal(data, plain) {
				t.Fatal("the corruption changed nothing")
			}
			ext := ".warc"
			if name == "a cut gzip member" {
				ext = ".warc.gz"
			}
			p := filepath.Join(t.TempDir(), "bad"+ext)
			os.WriteFile(p, data, 0o600)
			if n, err := WARC(p); err == nil {
				t.Fatalf("warcio accepted it (%d records)", n)
			} else {
				t.Logf("rejected as expected: %.300s", err)
			}
		})
	}
}

// flipAfter returns a copy of b with the character after the first marker
// changed to another hex digit.
func flipAfter(b []byte, marker string) []byte {
	out := bytes.Clone(b)
	i := bytes.Index(out, []byte(marker)) + len(marker)
	if out[i] == '0' {
		out[i] = '1'
	} else {
		out[i] = '0'
	}
	return out
}

var findings = []vigil.Finding{
	{ID: "f1", Kind: vigil.KindEmail, Value: "seller@example.com", DocumentID: "d1", CrawlID: "c1", CaseID: "case-1", Site: "forumabc.onion", URL: "http://forumabc.onion/t/1", CapturedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), Snippet: "mail seller@example.com"},
	{ID: "f2", Kind: vigil.KindPhone, Value: "+14155550123", DocumentID: "d1", URL: "http://forumabc.onion/t/1", CapturedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)},
	{ID: "f3", Kind: vigil.KindBTC, Value: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", DocumentID: "d3"},
	{ID: "f4", Kind: vigil.KindTelegram, Value: "o'brien_shop", DocumentID: "d4"},
	{ID: "f5", Kind: vigil.KindOnion, Value: strings.Repeat("a", 56) + ".onion", DocumentID: "d4"},
	{ID: "f6", Kind: vigil.KindPGP, Value: strings.Repeat("AB12", 10), DocumentID: "d4"},
}

func TestSTIXChecker(t *testing.T) {
	var buf bytes.Buffer
	if err := export.WriteSTIX(&buf, findings, export.Options{CaseID: "case-1"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, buf.Bytes(), 0o600)
	t.Run("a bundle Vigil writes passes the OASIS validator", func(t *testing.T) {
		if err := STIX(good); err != nil {
			t.Fatal(err)
		}
	})
	breakers := map[string]func(o map[string]any){
		"an indicator without valid_from is an error": func(o map[string]any) {
			if o["type"] == "indicator" {
				delete(o, "valid_from")
			}
		},
		"a pattern that does not parse is an error": func(o map[string]any) {
			if o["type"] == "indicator" {
				o["pattern"] = "[email-addr:value = "
			}
		},
		"a warning not justified fails too": func(o map[string]any) {
			if o["type"] == "indicator" {
				o["indicator_types"] = []string{"not-in-the-vocabulary"} // warning 222
			}
		},
	}
	for name, breakIt := range breakers {
		t.Run(name, func(t *testing.T) {
			var b map[string]any
			json.Unmarshal(buf.Bytes(), &b)
			for _, o := range b["objects"].([]any) {
				breakIt(o.(map[string]any))
			}
			raw, _ := json.Marshal(b)
			p := filepath.Join(t.TempDir(), "bad.json")
			os.WriteFile(p, raw, 0o600)
			if err := STIX(p); err == nil {
				t.Fatal("the validator accepted it")
			} else {
				t.Logf("rejected as expected: %.300s", err)
			}
		})
	}
}
