package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/tsatest"
)

// stampedCrawls writes two crawls' evidence, each manifest signature
// stamped by tsa, and returns the evidence directory.
func stampedCrawls(t *testing.T, tsa *tsatest.TSA) string {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	dir := t.TempDir()
	a, err := NewArchive(ArchiveConfig{Dir: dir, Key: key, Timestamper: &TSAClient{URL: tsa.URL}})
	if err != nil {
		t.Fatal(err)
	}
	for _, crawl := range []string{"crawl-a", "crawl-b"} {
		if _, err := a.WriteCapture(crawl, 0, Capture{URL: "http://site.onion/" + crawl, Status: 200,
			Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("page"), FetchedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := a.EndBatch(crawl, 0, Run{CaseID: "c"}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTimestampedManifests(t *testing.T) {
	tsa := tsatest.Start(t)
	before := time.Now().Add(-2 * time.Second)
	dir := stampedCrawls(t, tsa)
	roots, err := LoadCertPool(tsa.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every manifest signature carries a token that verifies against the TSA's CA", func(t *testing.T) {
		if n := tsa.Requests.Load(); n != 2 {
			t.Fatalf("the TSA answered %d requests; want one per manifest written", n)
		}
		rep, err := VerifyWith(dir, VerifyOptions{TSARoots: roots})
		if err != nil || !rep.OK() || len(rep.Stamps) != 2 || !rep.TSAPinned {
			t.Fatalf("verify: %+v, %v", rep, err)
		}
		for _, st := range rep.Stamps {
			if !st.Chained || !strings.Contains(st.TSA, "Vigil Test TSA") || st.Time.Before(before) || st.Time.After(time.Now().Add(2*time.Second)) {
				t.Errorf("stamp %+v: want a chained token of the test TSA from now", st)
			}
		}
	})
	t.Run("openssl ts -verify accepts the token over the raw signature", func(t *testing.T) {
		crawl := filepath.Join(dir, "crawl-a")
		sigText, _ := os.ReadFile(filepath.Join(crawl, SignatureName))
		sig, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText)))
		raw := filepath.Join(t.TempDir(), "sig.bin")
		os.WriteFile(raw, sig, 0o600)
		out, err := exec.Command("openssl", "ts", "-verify", "-data", raw, "-in", filepath.Join(crawl, TimestampName), "-token_in", "-CAfile", tsa.CAFile).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verification: OK") {
			t.Fatalf("openssl ts -verify: %v\n%s", err, out)
		}
	})
	t.Run("without trusted roots the token is checked but not its chain", func(t *testing.T) {
		rep, err := Verify(dir, nil)
		if err != nil || !rep.OK() || len(rep.Stamps) != 2 || rep.Stamps[0].Chained || rep.TSAPinned {
			t.Fatalf("verify: %+v, %v", rep, err)
		}
	})

	other := tsatest.NewCA(t, t.TempDir(), "Another Root")
	otherRoots, err := LoadCertPool(other)
	if err != nil {
		t.Fatal(err)
	}
	tokenA, _ := os.ReadFile(filepath.Join(dir, "crawl-a", TimestampName))
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		roots  func() VerifyOptions
		want   string
	}{
		{"a token of another signature fails on its imprint",
			func(t *testing.T, dir string) {
				os.WriteFile(filepath.Join(dir, "crawl-b", TimestampName), tokenA, 0o600)
			},
			func() VerifyOptions { return VerifyOptions{TSARoots: roots} }, "message imprint"},
		{"a token from a TSA of another CA fails its chain",
			func(t *testing.T, dir string) {}, func() VerifyOptions { return VerifyOptions{TSARoots: otherRoots} }, "does not chain"},
		{"a token whose time was moved fails its signature",
			func(t *testing.T, dir string) {
				// The first GeneralizedTime of the token is the TSTInfo's
				// genTime (the certificates come after it); change its year.
				loc := regexp.MustCompile(`20[0-9]{12}(\.[0-9]+)?Z`).FindIndex(tokenA)
				if loc == nil {
					t.Fatal("no genTime in the token")
				}
				bad := bytes.Clone(tokenA)
				bad[loc[0]+3]++
				os.WriteFile(filepath.Join(dir, "crawl-a", TimestampName), bad, 0o600)
			}, func() VerifyOptions { return VerifyOptions{} }, TimestampName},
		{"a missing token fails when TSA roots are given",
			func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "crawl-a", TimestampName)) },
			func() VerifyOptions { return VerifyOptions{TSARoots: roots} }, "no timestamp token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cp := copyDir(t, dir)
			tc.change(t, cp)
			rep, err := VerifyWith(cp, tc.roots())
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("verify passed")
			}
			found := false
			for _, p := range rep.Problems {
				found = found || strings.Contains(p.String(), tc.want)
			}
			if !found {
				t.Fatalf("problems %v; want one naming %q", rep.Problems, tc.want)
			}
		})
	}
}

func TestALyingTSAFailsTheBatch(t *testing.T) {
	tsa := tsatest.Start(t)
	tsa.WrongImprint.Store(true)
	_, key, _ := ed25519.GenerateKey(nil)
	a, _ := NewArchive(ArchiveConfig{Dir: t.TempDir(), Key: key, Timestamper: &TSAClient{URL: tsa.URL}})
	a.WriteCapture("crawl-1", 0, Capture{URL: "http://site.onion/", Status: 200, Body: []byte("page"), FetchedAt: time.Now()})
	err := a.EndBatch("crawl-1", 0, Run{CaseID: "c"})
	if err == nil || !strings.Contains(err.Error(), "message imprint") {
		t.Fatalf("end batch with a TSA stamping other data: %v; want the imprint named", err)
	}
	if _, err := os.Stat(filepath.Join(a.CrawlDir("crawl-1"), ManifestName)); !os.IsNotExist(err) {
		t.Fatalf("a manifest was written without its token: %v", err)
	}
}

// copyDir copies the evidence tree at src into a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}
