package evidence

import (
	"bytes"
	"crypto/ed25519"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// isJPEG stands in for crawler.Classify: a JPEG by its magic number.
func isJPEG(b []byte) bool { return bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) }

func TestIsImageJudgesTheBytesBothWays(t *testing.T) {
	tests := []struct {
		name    string
		c       Capture
		written bool
	}{
		{"an HTML page served as image/jpeg is written",
			Capture{URL: "http://a.onion/preview.jpg", Status: 200, Header: http.Header{"Content-Type": {"image/jpeg"}}, Body: []byte("<!DOCTYPE html><p>x</p>")}, true},
		{"a JPEG served as text/html is not written",
			Capture{URL: "http://a.onion/p.html", Status: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte{0xff, 0xd8, 0xff, 0xe0}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := NewWriter(Config{Dir: t.TempDir(), IsImage: isJPEG})
			loc, err := w.WriteCapture(tt.c)
			if err != nil || (loc.File != "") != tt.written {
				t.Fatalf("WriteCapture = %+v, %v; want written %v", loc, err, tt.written)
			}
			w.Close()
		})
	}
}

func TestRemovedImagesAreNamedInTheRecordAndTheManifest(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	root := t.TempDir()
	a, err := NewArchive(ArchiveConfig{Dir: root, Key: key, IsImage: isJPEG})
	if err != nil {
		t.Fatal(err)
	}
	shas := []string{strings.Repeat("ab", 32), strings.Repeat("cd", 32)}
	body := []byte(`<img src="vigil:removed-image:sha256:` + shas[0] + `"><img src="vigil:removed-image:sha256:` + shas[1] + `">`)
	loc, err := a.WriteCapture("c1", 1, Capture{URL: "http://a.onion/t/1", Status: 200, Body: body, FetchedAt: time.Now(), ImagesRemoved: shas})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteCapture("c1", 1, Capture{URL: "http://a.onion/t/2", Status: 200, Body: []byte("<p>plain</p>")}); err != nil {
		t.Fatal(err)
	}
	if err := a.EndBatch("c1", 1, Run{CaseID: "k"}); err != nil {
		t.Fatal(err)
	}
	rec, err := ReadRecordAt(filepath.Join(a.CrawlDir("c1"), loc.File), loc.Offset)
	if err != nil {
		t.Fatal(err)
	}
	want := "2 data: images replaced by placeholders: sha256:" + shas[0] + " sha256:" + shas[1]
	if got := rec.Header.Get(ImagesRemovedField); got != want {
		t.Errorf("%s = %q, want %q", ImagesRemovedField, got, want)
	}
	m, _, err := ReadManifest(a.CrawlDir("c1"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.ImagesRemoved != 1 || m.Files[0].ImagesRemoved != 1 || m.Scope.Images != ImagePolicy || m.Scope.KeepImages {
		t.Errorf("manifest counts %+v, files %+v, scope %+v", m.Counts, m.Files, m.Scope)
	}
	// A file another process wrote is re-read, and counted the same.
	b, _ := NewArchive(ArchiveConfig{Dir: root, Key: key})
	if err := b.EndBatch("c1", 2, Run{CaseID: "k"}); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := ReadManifest(a.CrawlDir("c1")); m.Counts.ImagesRemoved != 1 {
		t.Errorf("after a re-read the manifest counts %d records with images removed", m.Counts.ImagesRemoved)
	}
	if _, err := os.Stat(filepath.Join(a.CrawlDir("c1"), ManifestName)); err != nil {
		t.Fatal(err)
	}
}

func TestImageStoreFilesAreListedAndOpenedByName(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "crawl-1"), 0o700)
	os.WriteFile(filepath.Join(root, "crawl-1", "b000001-00000.warc.gz"), []byte("w"), 0o600)
	os.WriteFile(filepath.Join(root, "crawl-1", ManifestName), []byte("{}"), 0o600)
	os.WriteFile(filepath.Join(root, "crawl-1", "notes.txt"), []byte("x"), 0o600)
	d := Dir(root)
	files, err := d.Files("crawl-1")
	if err != nil || strings.Join(files, ",") != "b000001-00000.warc.gz,manifest.json" {
		t.Fatalf("Files = %v, %v", files, err)
	}
	f, n, err := d.Open("crawl-1", "b000001-00000.warc.gz")
	if err != nil || n != 1 {
		t.Fatalf("Open = %v, %d", err, n)
	}
	f.Close()
	for _, bad := range [][2]string{{"crawl-1", "notes.txt"}, {"..", "manifest.json"}, {"crawl-1", "../crawl-1/manifest.json"}, {"crawl-9", "manifest.json"}} {
		if _, _, err := d.Open(bad[0], bad[1]); err == nil {
			t.Errorf("Open(%q, %q) succeeded", bad[0], bad[1])
		}
	}
	if _, err := d.Files("crawl-9"); err == nil {
		t.Errorf("Files of an unknown crawl succeeded")
	}
}
