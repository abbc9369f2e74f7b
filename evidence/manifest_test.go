package evidence

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestArchive(t *testing.T) (*Archive, string) {
	t.Helper()
	root := t.TempDir()
	key, err := LoadOrCreateKey(filepath.Join(root, "keys", "evidence.key"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewArchive(ArchiveConfig{Dir: filepath.Join(root, "evidence"), Key: key, Operator: "det. a. smith", LegalAuthority: "warrant 2026/123", MaxFileBytes: 2 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return a, root
}

var testRun = Run{
	CaseID: "case-7", Seeds: []string{"http://forumabc.onion/"}, StartedAt: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
	Scope:        Scope{Hosts: []string{"forumabc.onion"}, MaxDepth: 3, Robots: "ignored", FetchImages: true},
	IsolationKey: "crawl-1",
}

// writeCrawl writes two batches of pages (and one image, not kept) and ends both.
func writeCrawl(t *testing.T, a *Archive) {
	t.Helper()
	for batch := range 2 {
		for i := range 20 {
			c := Capture{URL: fmt.Sprintf("http://forumabc.onion/t/%d/%d", batch, i), Status: 200,
				Header: http.Header{"Content-Type": {"text/html"}}, Body: bytes.Repeat([]byte("post text "), 40+i), FetchedAt: time.Now()}
			if _, err := a.WriteCapture("crawl-1", batch, c); err != nil {
				t.Fatal(err)
			}
		}
		loc, err := a.WriteCapture("crawl-1", batch, Capture{URL: "http://forumabc.onion/a.jpg", Status: 200, Header: http.Header{"Content-Type": {"image/jpeg"}}, Body: []byte{1, 2, 3}})
		if err != nil || loc.File != "" {
			t.Fatalf("image capture: %+v, %v; want it skipped", loc, err)
		}
		if err := a.EndBatch("crawl-1", batch, testRun); err != nil {
			t.Fatal(err)
		}
	}
}

func TestArchiveManifestVerifies(t *testing.T) {
	a, root := newTestArchive(t)
	writeCrawl(t, a)
	dir := a.CrawlDir("crawl-1")
	m, _, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.CaseID != "case-7" || m.LegalAuthority != "warrant 2026/123" || m.Operator != "det. a. smith" || m.Format != ManifestFormat {
		t.Errorf("manifest identity fields: %+v", m)
	}
	if m.Counts.Responses != 40 || m.Counts.Files != len(m.Files) || m.Counts.Files < 4 {
		t.Errorf("counts %+v over %d files; want 40 responses in several rotated files", m.Counts, len(m.Files))
	}
	if got := m.TorIsolation.Sites["forumabc.onion:80"]; got != "crawl-1/forumabc.onion:80" {
		t.Errorf("isolation of forumabc.onion:80 = %q", got)
	}
	if m.Tool.ConfigDigest != ConfigDigest(m.Scope) || len(m.Tool.ConfigDigest) != 64 {
		t.Errorf("config digest %q does not digest the scope", m.Tool.ConfigDigest)
	}
	if !m.EndedAt.After(m.StartedAt) {
		t.Errorf("ended %v not after started %v", m.EndedAt, m.StartedAt)
	}
	pub := a.cfg.Key.Public().(ed25519.PublicKey)
	for _, verifyDir := range []string{dir, filepath.Join(root, "evidence")} {
		rep, err := Verify(verifyDir, pub)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Files != len(m.Files) || rep.Records != m.Counts.Records || !rep.Pinned {
			t.Fatalf("Verify(%s) = %+v; want every file and record verified", verifyDir, rep)
		}
	}
	exported, err := ParsePublicKeyPEM(mustRead(t, filepath.Join(dir, PublicKeyName)))
	if err != nil || !exported.Equal(pub) {
		t.Fatalf("signer.pub is not the signing key's public key: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	b := mustRead(t, path)
	if at < 0 {
		at += len(b)
	}
	b[at] ^= 0x01
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyNamesTamperedFile(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string, m Manifest)
		want   string
	}{
		{"one byte of a WARC file", func(t *testing.T, dir string, m Manifest) {
			flipByte(t, filepath.Join(dir, m.Files[1].Name), len(mustRead(t, filepath.Join(dir, m.Files[1].Name)))/2)
		}, "crawl-1/" + "FILE1"},
		{"one byte of the manifest", func(t *testing.T, dir string, m Manifest) {
			raw := mustRead(t, filepath.Join(dir, ManifestName))
			raw = bytes.Replace(raw, []byte("warrant 2026/123"), []byte("warrant 2026/124"), 1)
			os.WriteFile(filepath.Join(dir, ManifestName), raw, 0o600)
		}, "crawl-1/manifest.json"},
		{"a WARC file added", func(t *testing.T, dir string, m Manifest) {
			os.WriteFile(filepath.Join(dir, "extra.warc.gz"), mustRead(t, filepath.Join(dir, m.Files[0].Name)), 0o600)
		}, "crawl-1/extra.warc.gz"},
		{"a WARC file removed", func(t *testing.T, dir string, m Manifest) {
			os.Remove(filepath.Join(dir, m.Files[0].Name))
		}, "crawl-1/" + "FILE0"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" fails verification naming the file", func(t *testing.T) {
			a, root := newTestArchive(t)
			writeCrawl(t, a)
			dir := a.CrawlDir("crawl-1")
			m, _, _ := ReadManifest(dir)
			tc.tamper(t, dir, m)
			want := strings.NewReplacer("FILE0", m.Files[0].Name, "FILE1", m.Files[1].Name).Replace(tc.want)
			rep, err := Verify(filepath.Join(root, "evidence"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("Verify passed after tampering")
			}
			found := false
			for _, p := range rep.Problems {
				found = found || p.File == want
			}
			if !found {
				t.Fatalf("problems %v do not name %s", rep.Problems, want)
			}
		})
	}
	t.Run("a manifest signed by another key fails against the pinned key", func(t *testing.T) {
		a, _ := newTestArchive(t)
		writeCrawl(t, a)
		other, _, _ := ed25519.GenerateKey(nil)
		rep, err := Verify(a.CrawlDir("crawl-1"), other)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || rep.Problems[0].File != "manifest.json" {
			t.Fatalf("Verify with another key = %+v; want a signature problem on manifest.json", rep)
		}
	})
}

func TestArchiveRetriedBatchReplacesFiles(t *testing.T) {
	a, _ := newTestArchive(t)
	for i := range 30 {
		a.WriteCapture("crawl-1", 5, Capture{URL: fmt.Sprintf("http://x.onion/%d", i), Status: 200, Body: bytes.Repeat([]byte("x"), 500)})
	}
	a.AbortBatch("crawl-1", 5)
	if _, err := a.WriteCapture("crawl-1", 5, Capture{URL: "http://x.onion/again", Status: 200, Body: []byte("again")}); err != nil {
		t.Fatal(err)
	}
	if err := a.EndBatch("crawl-1", 5, testRun); err != nil {
		t.Fatal(err)
	}
	m, _, _ := ReadManifest(a.CrawlDir("crawl-1"))
	if m.Counts.Responses != 1 || len(m.Files) != 1 {
		t.Fatalf("manifest lists %d files, %d responses; want only the retry's one file and response", len(m.Files), m.Counts.Responses)
	}
	if rep, _ := Verify(a.CrawlDir("crawl-1"), nil); !rep.OK() {
		t.Fatalf("problems: %v", rep.Problems)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "evidence.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v); want 0600", st.Mode().Perm(), err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("second load gave another key (%v)", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("a world-readable key was accepted")
	}
}

// TestLoadOrCreateKeyConcurrently: workers that start together on one
// volume create the key once and all sign with it; none sees a partly
// written key, and no temporary file is left.
func TestLoadOrCreateKeyConcurrently(t *testing.T) {
	for round := range 20 {
		dir := filepath.Join(t.TempDir(), "keys")
		path := filepath.Join(dir, "evidence.key")
		const workers = 8
		keys := make([]ed25519.PrivateKey, workers)
		errs := make([]error, workers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				keys[i], errs[i] = LoadOrCreateKey(path)
			}()
		}
		close(start)
		wg.Wait()
		stored, err := LoadOrCreateKey(path)
		if err != nil {
			t.Fatalf("round %d: reading the stored key: %v", round, err)
		}
		for i := range workers {
			if errs[i] != nil {
				t.Fatalf("round %d: worker %d: %v", round, i, errs[i])
			}
			if !keys[i].Equal(stored) {
				t.Fatalf("round %d: worker %d got another key than the one stored", round, i)
			}
		}
		if ents, err := os.ReadDir(dir); err != nil || len(ents) != 1 {
			t.Fatalf("round %d: key directory holds %d files (%v); want the key alone", round, len(ents), err)
		}
	}
}

func TestArchiveDirectNetworkClaimsNoIsolation(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	a, err := NewArchive(ArchiveConfig{Dir: t.TempDir(), Key: key, Network: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	a.WriteCapture("crawl-1", 0, Capture{URL: "http://127.0.0.1:8000/", Status: 200, Body: []byte("lab")})
	if err := a.EndBatch("crawl-1", 0, testRun); err != nil {
		t.Fatal(err)
	}
	m, _, _ := ReadManifest(a.CrawlDir("crawl-1"))
	if m.Scope.Network != "direct" || m.TorIsolation.Key != "" || len(m.TorIsolation.Sites) != 0 {
		t.Fatalf("lab-mode manifest network %q isolation %+v; want direct and none", m.Scope.Network, m.TorIsolation)
	}
}

func TestPurgeCaseRemovesOnlyThatCase(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	root := t.TempDir()
	a, _ := NewArchive(ArchiveConfig{Dir: root, Key: key})
	for crawl, c := range map[string]string{"c1": "case-a", "c2": "case-b", "c3": "case-a"} {
		a.WriteCapture(crawl, 0, Capture{URL: "http://x.onion/", Status: 200, Body: []byte(crawl)})
		if err := a.EndBatch(crawl, 0, Run{CaseID: c}); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := PurgeCase(root, "case-a")
	if err != nil || strings.Join(removed, ",") != "c1,c3" {
		t.Fatalf("PurgeCase = %v, %v; want c1,c3", removed, err)
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 || ents[0].Name() != "c2" {
		t.Fatalf("left %v; want only c2", ents)
	}
	if rep, err := Verify(filepath.Join(root, "c2"), nil); err != nil || !rep.OK() {
		t.Fatalf("the other case's evidence no longer verifies: %+v, %v", rep, err)
	}
}

func TestManifestNamesTheCaseAuthority(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	a, err := NewArchive(ArchiveConfig{Dir: t.TempDir(), Key: key, LegalAuthority: "unit order 1",
		CaseAuthority: func(caseID string) string {
			if caseID == "op-7" {
				return "warrant 7/2026"
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	for crawl, c := range map[string]string{"c1": "op-7", "c2": "op-8"} {
		a.WriteCapture(crawl, 0, Capture{URL: "http://x.onion/", Status: 200, Body: []byte(crawl)})
		if err := a.EndBatch(crawl, 0, Run{CaseID: c}); err != nil {
			t.Fatal(err)
		}
	}
	for crawl, want := range map[string]string{"c1": "warrant 7/2026", "c2": "unit order 1"} {
		m, _, err := ReadManifest(a.CrawlDir(crawl))
		if err != nil || m.LegalAuthority != want {
			t.Errorf("manifest of %s names %q (%v); want %q", crawl, m.LegalAuthority, err, want)
		}
	}
}

func TestPurgeCrawlsRemovesThoseDirectoriesOnly(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"c1", "c2", "c3"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := PurgeCrawls(root, []string{"c3", "c1", "gone"})
	if err != nil || strings.Join(removed, ",") != "c1,c3" {
		t.Fatalf("PurgeCrawls = %v, %v; want c1,c3", removed, err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 1 || ents[0].Name() != "c2" {
		t.Errorf("left %v; want only c2", ents)
	}
	for _, bad := range []string{"", "..", "a/b", `a\b`} {
		if _, err := PurgeCrawls(root, []string{bad}); err == nil {
			t.Errorf("PurgeCrawls(%q) = nil error; want refused", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "c2")); err != nil {
		t.Errorf("c2 after refused purges: %v", err)
	}
}

// TestArchiveRedactsCookieValues: the WARC records keep the Set-Cookie and
// Cookie headers with their cookie names and attributes, but no cookie
// value (an undercover account's session), the records still verify, and
// the manifest says which header values were redacted.
func TestArchiveRedactsCookieValues(t *testing.T) {
	a, _ := newTestArchive(t)
	secrets := []string{"S3SSION-value-1", "remember-value-2", "sent-cookie-3", "sent-cookie-4"}
	c := Capture{URL: "http://forumabc.onion/members", Status: 200,
		RequestHeader: http.Header{"Cookie": {"sid=" + secrets[2] + "; pref=" + secrets[3]}},
		Header: http.Header{"Content-Type": {"text/html"}, "Set-Cookie": {
			"sid=" + secrets[0] + "; Path=/; HttpOnly", "remember=" + secrets[1] + "; Max-Age=3600; Secure",
		}},
		Body: []byte("<p>members</p>"), FetchedAt: time.Now()}
	if _, err := a.WriteCapture("crawl-1", 0, c); err != nil {
		t.Fatal(err)
	}
	if err := a.EndBatch("crawl-1", 0, testRun); err != nil {
		t.Fatal(err)
	}
	dir := a.CrawlDir("crawl-1")
	m, _, err := ReadManifest(dir)
	if err != nil || len(m.Files) != 1 {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	if strings.Join(m.RedactedHeaders, ",") != "Cookie,Set-Cookie" {
		t.Errorf("manifest redacted_headers = %v; want Cookie and Set-Cookie", m.RedactedHeaders)
	}
	var resp, req *Record
	for _, r := range readAll(t, filepath.Join(dir, m.Files[0].Name)) {
		if err := r.Verify(); err != nil {
			t.Errorf("record %s: %v", r.Type(), err)
		}
		for _, s := range secrets {
			if bytes.Contains(r.Block, []byte(s)) {
				t.Errorf("the %s record holds the cookie value %s", r.Type(), s)
			}
		}
		switch r.Type() {
		case "response":
			resp = r
		case "request":
			req = r
		}
	}
	if resp == nil || req == nil {
		t.Fatal("no response or request record")
	}
	hr, _, err := resp.Response()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sid=" + RedactedValue + "; Path=/; HttpOnly", "remember=" + RedactedValue + "; Max-Age=3600; Secure"}
	if got := hr.Header.Values("Set-Cookie"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Set-Cookie in the response record = %q; want %q", got, want)
	}
	if !bytes.Contains(req.Block, []byte("Cookie: sid="+RedactedValue+"; pref="+RedactedValue+"\r\n")) {
		t.Errorf("request record:\n%s\nwant the Cookie header with its names and redacted values", req.Block)
	}
	if c.Header.Get("Set-Cookie") != "sid="+secrets[0]+"; Path=/; HttpOnly" {
		t.Errorf("the caller's header was changed: %v", c.Header)
	}
}
