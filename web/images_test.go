package web

import (
	"cmp"
	"io"
	"strconv"
	"strings"
	"testing"

	"vigil"
	"vigil/cases/audit"
)

// fakeImages is an image store with one crawl of one WARC file.
type fakeImages struct{}

func (fakeImages) Files(crawlID string) ([]string, error) {
	if crawlID != "crawl-1" {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "no files of crawl %s", crawlID)
	}
	return []string{"b000001-00000.warc.gz", "manifest.json"}, nil
}

func (fakeImages) Open(crawlID, name string) (io.ReadCloser, int64, error) {
	if crawlID != "crawl-1" || name != "b000001-00000.warc.gz" {
		return nil, 0, vigil.Errorf(vigil.ENOTFOUND, "no file %s", name)
	}
	return io.NopCloser(strings.NewReader("WARC bytes")), 10, nil
}

func TestTheImageStoreIsForAnalystsOnlyAndAudited(t *testing.T) {
	f := newFixture(t, true)
	f.srv.cfg.Images = fakeImages{}
	tests := []struct {
		path, who string
		want      int
	}{
		{"/api/images/crawl-1", "investigator", 403},
		{"/api/images/crawl-1/b000001-00000.warc.gz", "investigator", 403},
		{"/api/images/crawl-1/b000001-00000.warc.gz", "", 401},
		{"/api/images/crawl-1", "analyst", 200},
		{"/api/images/crawl-1/b000001-00000.warc.gz", "analyst", 200},
		{"/api/images/crawl-2", "analyst", 404},
		{"/api/images/crawl-1/other.warc.gz", "admin", 404},
	}
	for _, tt := range tests {
		t.Run("GET "+tt.path+" as "+cmp.Or(tt.who, "nobody")+" is "+strconv.Itoa(tt.want), func(t *testing.T) {
			w := f.do(t, "GET", tt.path, f.tokens[tt.who], nil)
			if w.Code != tt.want {
				t.Fatalf("= %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if tt.want == 200 && strings.HasSuffix(tt.path, ".gz") {
				if w.Body.String() != "WARC bytes" || w.Header().Get("Content-Type") != "application/octet-stream" ||
					!strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") {
					t.Errorf("download: %q, headers %v", w.Body, w.Header())
				}
			}
		})
	}
	entries, _, err := f.log.Search(audit.Filter{Action: "images."})
	if err != nil {
		t.Fatal(err)
	}
	// The analysts' and the admin's requests, not the refused ones.
	if len(entries) != 4 {
		t.Fatalf("%d audit entries for the image store, want 4: %+v", len(entries), entries)
	}
	for _, e := range entries {
		if e.Query["crawl"] == "" || (e.Action != "images.list" && e.Action != "images.download") {
			t.Errorf("audit entry %+v", e)
		}
	}
}

func TestNoImageStoreIsNotFound(t *testing.T) {
	f := newFixture(t, false)
	if w := f.do(t, "GET", "/api/images/crawl-1", f.tokens["analyst"], nil); w.Code != 404 {
		t.Fatalf("GET /api/images/crawl-1 without an image store = %d, want 404", w.Code)
	}
}
