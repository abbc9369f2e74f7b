package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"vigil/internal/fixtures/imagescan"
	"vigil/internal/fixtures/imagesite"
)

// The image site is built once per test binary (about 3 s of CPU).
var (
	imageSiteOnce sync.Once
	imageSite     *imagesite.Site
)

func theImageSite() *imagesite.Site {
	imageSiteOnce.Do(func() { imageSite = imagesite.New(imagesite.Config{Seed: 1}) })
	return imageSite
}

// countingWriter counts the body bytes a handler writes.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// crawlImageSite crawls the whole image site with images fetched and
// returns what the handler received, the skips, and the bytes the site
// wrote per path.
func crawlImageSite(t *testing.T) (srv *httptest.Server, rec *recorder, skips map[string]string, written map[string]*atomic.Int64) {
	t.Helper()
	site := theImageSite()
	written = map[string]*atomic.Int64{}
	for _, m := range site.Media() {
		written[m.Path] = &atomic.Int64{}
	}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, ok := written[r.URL.Path]; ok {
			w = countingWriter{w, n}
		}
		site.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newCrawler(t, Config{FetchImages: true, Concurrency: 4})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+site.Seed())
	rec = &recorder{}
	h := rec.handler()
	var mu sync.Mutex
	skips = map[string]string{}
	h.OnSkip = func(r Request, err error) {
		mu.Lock()
		skips[r.URL] = err.Error()
		mu.Unlock()
	}
	if _, _, err := c.Crawl(context.Background(), frontier, scope, 0, seen, h); err != nil {
		t.Fatal(err)
	}
	return srv, rec, skips, written
}

// TestImageSiteEveryImageTakesTheImagePath crawls a forum that reaches its
// photos by every path (internal/fixtures/imagesite): every image, of
// every reference and delivery kind, reaches OnImage with its exact bytes
// and a page that refers to it as its page of origin; no page handed to
// OnPage holds a window of any image, raw or base64; the HTML page served
// as image/jpeg is a page, and the photos only it links are reached; the
// videos are skipped after their first bytes.
func TestImageSiteEveryImageTakesTheImagePath(t *testing.T) {
	site := theImageSite()
	srv, rec, skips, written := crawlImageSite(t)

	got := map[string][]*ImageFetch{} // SHA-256 → fetches
	for _, img := range rec.images {
		sum := sha256.Sum256(img.Body)
		got[hex.EncodeToString(sum[:])] = append(got[hex.EncodeToString(sum[:])], img)
	}
	var needles []imagescan.Needle
	for _, kind := range imagesite.Kinds() {
		t.Run("every "+string(kind)+" image reaches OnImage from a page that refers to it", func(t *testing.T) {
			n := 0
			for _, im := range site.Images() {
				if !im.Has(kind) {
					continue
				}
				n++
				fetches := got[im.SHA256]
				if len(fetches) == 0 {
					t.Errorf("%s (%v) never reached OnImage", im.Name, im.Kinds)
					continue
				}
				pages := map[string]bool{}
				for _, p := range im.Pages() {
					pages[srv.URL+p] = true
				}
				for _, f := range fetches {
					if !pages[f.PageURL] {
						t.Errorf("%s reached OnImage from %s, which does not refer to it (%v)", im.Name, f.PageURL, im.Pages())
					}
				}
			}
			if n == 0 {
				t.Fatalf("the site has no image of kind %s", kind)
			}
		})
	}
	for _, im := range site.Images() {
		needles = append(needles, imagescan.Windows(im.Name, im.Bytes, 3)...)
	}
	sc := imagescan.NewScanner(needles)
	for _, p := range rec.pages {
		for _, h := range sc.Scan(p.Request.URL, p.Body) {
			t.Errorf("a page handed to OnPage holds image bytes: %s", h)
		}
		if p.Doc != nil {
			html, _ := p.Doc.Html()
			for _, h := range sc.Scan(p.Request.URL+" (parsed)", []byte(html)) {
				t.Errorf("a parsed page holds image bytes: %s", h)
			}
		}
	}
	t.Run("the HTML page served as image/jpeg is a page", func(t *testing.T) {
		for _, pd := range site.PageDetails() {
			if pd.ServedAsImage && rec.page(srv.URL+pd.Path) == nil {
				t.Errorf("%s (served as %s) was not handed to OnPage", pd.Path, pd.ContentType)
			}
		}
	})
	t.Run("linked videos are skipped after their first bytes, embedded ones never fetched", func(t *testing.T) {
		for _, m := range site.Media() {
			linked := false
			for _, r := range m.Refs {
				linked = linked || r.Kind == imagesite.KindAHref
			}
			why, ok := skips[srv.URL+m.Path]
			switch {
			case linked && (!ok || !strings.Contains(why, "media is not fetched")):
				t.Errorf("%s: skip %q", m.Path, why)
			case !linked && (ok || written[m.Path].Load() > 0):
				t.Errorf("%s, only in <video>, was requested (skip %q, %d bytes written)", m.Path, why, written[m.Path].Load())
			}
			if m.Large && written[m.Path].Load() > 8<<20 {
				t.Errorf("%s: the site wrote %d of its %d bytes", m.Path, written[m.Path].Load(), m.Size)
			}
		}
	})
}
