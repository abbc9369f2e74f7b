package activities

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"vigil"
	"vigil/crawler"
	"vigil/evidence"
	"vigil/workflows"
)

func testImage(t *testing.T, seed byte, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 128, 96))
	for i := range img.Pix {
		img.Pix[i] = byte(i*int(seed)) ^ byte(i>>7)
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImagesReachedByLinksAreIndexedWithTheirPage crawls, one page per
// batch, a page that links a photo (served as text/html) and holds a data:
// image: the photo, fetched in a later batch, is indexed with the linking
// page as its page of origin and is no document; the data: image is
// indexed too, and the page's capture and WARC record hold neither.
func TestImagesReachedByLinksAreIndexedWithTheirPage(t *testing.T) {
	photo := testImage(t, 3, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	inline := testImage(t, 5, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/":
			w.Write([]byte(`<p><a href="/full/1.jpg">full size</a> <img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(inline) + `"></p>`))
		case "/full/1.jpg":
			w.Write(photo)
		}
	}))
	defer srv.Close()
	a := newActivities(t)
	_, key, _ := ed25519.GenerateKey(nil)
	arch, err := evidence.NewArchive(evidence.ArchiveConfig{Dir: filepath.Join(t.TempDir(), "evidence"), Key: key, IsImage: func(b []byte) bool {
		c, _ := crawler.Classify(b)
		return c == crawler.ClassImage
	}})
	if err != nil {
		t.Fatal(err)
	}
	a.Evidence = arch
	ctx := context.Background()
	if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: "c1", Seeds: []string{srv.URL + "/"}}); err != nil {
		t.Fatal(err)
	}
	var docs, images int
	for batch := 1; batch <= 3; batch++ {
		res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "c1", Batch: batch, MaxPages: 1})
		if err != nil {
			t.Fatal(err)
		}
		idx, err := a.IndexBatch(ctx, workflows.IndexBatchInput{CrawlID: "c1", Batch: batch, DocumentIDs: res.DocumentIDs})
		if err != nil {
			t.Fatal(err)
		}
		docs, images = docs+idx.Documents, images+idx.Images
		if res.Queued == 0 {
			break
		}
	}
	if docs != 1 || images != 2 {
		t.Fatalf("indexed %d documents and %d images; want the page alone, and the photo and the data: image", docs, images)
	}
	for name, img := range map[string][]byte{"photo": photo, "data: image": inline} {
		hits, err := a.Store.MatchImages(ctx, vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoSHA256, Value: sha256Hex(img)}}})
		if err != nil || len(hits) != 1 || hits[0].Image.PageURL != srv.URL+"/" {
			t.Errorf("%s: hits %+v, %v; want one on %s/", name, hits, err, srv.URL)
		}
	}
	if _, err := a.Store.Document(ctx, vigil.DocumentID("c1", srv.URL+"/full/1.jpg")); vigil.ErrorCode(err) != vigil.ENOTFOUND {
		t.Errorf("the linked photo is a document: %v", err)
	}
	doc, err := a.Store.Document(ctx, vigil.DocumentID("c1", srv.URL+"/"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := a.Captures.Capture(ctx, doc.ID)
	want := crawler.RemovedImageRef(sha256Hex(inline))
	if !bytes.Contains(body, []byte(want)) || bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(inline)[:40])) {
		t.Errorf("capture %s", body)
	}
	rec, err := evidence.ReadRecordAt(filepath.Join(arch.CrawlDir("c1"), doc.WARCFile), doc.WARCOffset)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Header.Get(evidence.ImagesRemovedField); got != "1 data: images replaced by placeholders: sha256:"+sha256Hex(inline) {
		t.Errorf("the WARC record says %q", got)
	}
}
