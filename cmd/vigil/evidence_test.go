package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/evidence"
	"vigil/internal/tsatest"
)

// runCLI runs the command line args and returns its output and error.
func runCLI(args ...string) (string, error) { return runCLIContext(context.Background(), args...) }

// runCLIContext is runCLI bounded by ctx.
func runCLIContext(ctx context.Context, args ...string) (string, error) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func TestEvidenceVerifyCommand(t *testing.T) {
	data := t.TempDir()
	key, err := evidence.LoadOrCreateKey(evidenceKeyPath(data))
	if err != nil {
		t.Fatal(err)
	}
	a, err := evidence.NewArchive(evidence.ArchiveConfig{Dir: evidenceDir(data), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := a.WriteCapture("crawl-9", 0, evidence.Capture{URL: fmt.Sprintf("http://site.onion/%d", i), Status: 200,
			Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("page"), FetchedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.EndBatch("crawl-9", 0, evidence.Run{CaseID: "c1"}); err != nil {
		t.Fatal(err)
	}
	pem, err := runCLI("evidence", "pubkey", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := evidence.ParsePublicKeyPEM([]byte(pem))
	if err != nil || !pub.Equal(key.Public().(ed25519.PublicKey)) {
		t.Fatalf("pubkey printed %q (%v); want the signing key's public key", pem, err)
	}
	pubFile := filepath.Join(t.TempDir(), "signer.pem")
	os.WriteFile(pubFile, []byte(pem), 0o600)

	out, err := runCLI("evidence", "verify", "--pubkey", pubFile, evidenceDir(data))
	if err != nil || !strings.HasPrefix(out, "OK 1 manifests, 1 WARC files, 11 records verified") {
		t.Fatalf("verify of untouched evidence: %q, %v", out, err)
	}

	warc := filepath.Join(evidenceDir(data), "crawl-9", "b000000-00000.warc.gz")
	raw, err := os.ReadFile(warc)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-3] ^= 0xff
	os.WriteFile(warc, raw, 0o600)
	out, err = runCLI("evidence", "verify", "--pubkey", pubFile, evidenceDir(data))
	if err == nil || !strings.Contains(err.Error(), "crawl-9/b000000-00000.warc.gz") || !strings.Contains(out, "FAIL crawl-9/b000000-00000.warc.gz") {
		t.Fatalf("verify of a tampered WARC: %q, %v; want a failure naming the file", out, err)
	}
}

func TestOpenEvidenceCreatesAPrivateKey(t *testing.T) {
	data := t.TempDir()
	if a, im, err := openEvidence(evidenceFlags{Off: true}, data, false, nil); a != nil || im != nil || err != nil {
		t.Fatalf("--no-evidence gave %v, %v, %v; want no archive", a, im, err)
	}
	a, im, err := openEvidence(evidenceFlags{Operator: "op"}, data, true, nil)
	if err != nil || a == nil || im != nil {
		t.Fatalf("openEvidence = %v, %v, %v; want a page archive and no image store", a, im, err)
	}
	st, err := os.Stat(evidenceKeyPath(data))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key %v, %v; want a 0600 file", st, err)
	}
	if _, err := os.Stat(imageStoreDir(data)); !os.IsNotExist(err) {
		t.Fatalf("an image store directory exists without --evidence-keep-images: %v", err)
	}
}

func TestKeepImagesOpensAPrivateImageStore(t *testing.T) {
	data := t.TempDir()
	os.MkdirAll(imageStoreDir(data), 0o755) // made too open by hand
	a, im, err := openEvidence(evidenceFlags{KeepImages: true}, data, true, nil)
	if err != nil || a == nil || im == nil {
		t.Fatalf("openEvidence = %v, %v, %v; want both archives", a, im, err)
	}
	if st, err := os.Stat(imageStoreDir(data)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("image store %v, %v; want a 0700 directory", st, err)
	}
	if im.CrawlDir("c") == a.CrawlDir("c") {
		t.Fatalf("the image store shares the pages' directory %s", a.CrawlDir("c"))
	}
}

// TestEvidenceVerifyChecksTimestamps: with --tsa-url every manifest
// signature is stamped by the TSA (a real openssl TSA on 127.0.0.1), and
// evidence verify --tsa-ca checks each token's chain, failing on another
// CA's trust file.
func TestEvidenceVerifyChecksTimestamps(t *testing.T) {
	tsa := tsatest.Start(t)
	data := t.TempDir()
	a, _, err := openEvidence(evidenceFlags{TSAURL: tsa.URL}, data, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteCapture("crawl-1", 0, evidence.Capture{URL: "http://127.0.0.1:1/", Status: 200, Body: []byte("page"), FetchedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := a.EndBatch("crawl-1", 0, evidence.Run{CaseID: "c1"}); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI("evidence", "verify", "--tsa-ca", tsa.CAFile, evidenceDir(data))
	if err != nil || !strings.Contains(out, "TIMESTAMP crawl-1/manifest.json: ") || !strings.Contains(out, "1 timestamp tokens chain to "+tsa.CAFile) {
		t.Fatalf("verify --tsa-ca: %q, %v", out, err)
	}
	other := tsatest.NewCA(t, t.TempDir(), "Another Root")
	out, err = runCLI("evidence", "verify", "--tsa-ca", other, evidenceDir(data))
	if err == nil || !strings.Contains(out, "FAIL crawl-1/manifest.json.sig.tst: ") || !strings.Contains(out, "does not chain") {
		t.Fatalf("verify against another CA: %q, %v; want the token refused", out, err)
	}
	for _, bad := range []evidenceFlags{{TSAViaTor: true}, {TSAURL: "ftp://tsa.example/"}, {TSAURL: "http://user:pw@tsa.example/"}} {
		if _, _, err := openEvidence(bad, data, true, nil); err == nil {
			t.Errorf("openEvidence(%+v) succeeded; want a usage error", bad)
		}
	}
}
