package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil"
	"vigil/cases/audit"
	"vigil/crawler"
	"vigil/evidence"
	"vigil/internal/fixtures/imagescan"
	"vigil/store/embedded"
)

// noisyImage encodes a w×h image of seeded noise with enc.
func noisyImage(t *testing.T, seed uint64, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(r.UintN(256))
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// oldData is a data directory as versions before the one-rule fetch
// boundary left it: a full-size photo captured as a page (served as
// text/html), a page holding a data: image, and a plain page, each in the
// capture store, the index and the WARC evidence.
type oldData struct {
	dir             string
	photo, inline   []byte
	photoID, dataID string
	plainID         string
	plainLoc        evidence.Location
	plainRecordID   string
}

func seedOldData(t *testing.T) oldData {
	t.Helper()
	d := oldData{dir: t.TempDir()}
	d.photo = noisyImage(t, 1, 320, 240, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, &jpeg.Options{Quality: 90}) })
	d.inline = noisyImage(t, 2, 96, 96, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	ctx := context.Background()
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(d.dir, "index")})
	if err != nil {
		t.Fatal(err)
	}
	key, err := evidence.LoadOrCreateKey(evidenceKeyPath(d.dir))
	if err != nil {
		t.Fatal(err)
	}
	// The old archive judged images by Content-Type alone.
	arch, err := evidence.NewArchive(evidence.ArchiveConfig{Dir: evidenceDir(d.dir), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	const crawlID, site = "crawl-old", "http://old.onion"
	pages := []struct {
		path, ctype string
		body        []byte
	}{
		{"/img/full/1.jpg", "text/html", d.photo},
		{"/t/1", "text/html", []byte(`<p>pasted: <img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(d.inline) + `"></p>`)},
		{"/t/2", "text/html", []byte("<p>nothing but text, +44 20 7946 0123</p>")},
	}
	var docs []vigil.Document
	for i, p := range pages {
		u := site + p.path
		doc := vigil.Document{ID: vigil.DocumentID(crawlID, u), CrawlID: crawlID, CaseID: "old", Site: "old.onion", URL: u,
			Status: 200, ContentType: p.ctype, Size: len(p.body), SHA256: sha256Hex(p.body), Text: string(p.body), CapturedAt: time.Now().UTC()}
		loc, err := arch.WriteCapture(crawlID, 1, evidence.Capture{URL: u, Status: 200, Header: http.Header{"Content-Type": {p.ctype}}, Body: p.body})
		if err != nil || loc.File == "" {
			t.Fatalf("seed WARC: %v %v", loc, err)
		}
		doc.WARCFile, doc.WARCOffset = loc.File, loc.Offset
		if err := store.PutCapture(ctx, doc.ID, p.body); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
		switch i {
		case 0:
			d.photoID = doc.ID
		case 1:
			d.dataID = doc.ID
		case 2:
			d.plainID, d.plainLoc = doc.ID, loc
		}
	}
	if err := store.PutDocuments(ctx, docs); err != nil {
		t.Fatal(err)
	}
	store.Close()
	if err := arch.EndBatch(crawlID, 1, evidence.Run{CaseID: "old"}); err != nil {
		t.Fatal(err)
	}
	rec, err := evidence.ReadRecordAt(filepath.Join(evidenceDir(d.dir), crawlID, d.plainLoc.File), d.plainLoc.Offset)
	if err != nil {
		t.Fatal(err)
	}
	d.plainRecordID = rec.Header.Get("WARC-Record-ID")
	return d
}

func (d oldData) scan(t *testing.T) []imagescan.Hit {
	t.Helper()
	sc := imagescan.NewScanner(append(imagescan.Windows("photo", d.photo, 3), imagescan.Windows("inline", d.inline, 3)...))
	hits, _, err := sc.ScanDir(d.dir)
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// TestPurgeImagesRemovesWhatEarlierVersionsKept seeds a data directory with
// image bytes where earlier versions kept them, runs `vigil maintenance
// purge-images`, and checks that no window of either image is left in any
// file, that both images are now in the image index, that the evidence
// still verifies with every other record where its document says, that the
// purge is in the audit log, and that a second run finds nothing.
func TestPurgeImagesRemovesWhatEarlierVersionsKept(t *testing.T) {
	d := seedOldData(t)
	before := d.scan(t)
	places := map[string]bool{}
	for _, h := range before {
		places[strings.SplitN(h.Where, string(filepath.Separator), 2)[0]+"/"+h.Needle.Image] = true
	}
	for _, want := range []string{"index/photo", "index/inline", "evidence/photo", "evidence/inline"} {
		if !places[want] {
			t.Fatalf("the seeded data holds no %s (%v): the scan would prove nothing", want, places)
		}
	}

	out, err := runCLI("maintenance", "purge-images", "--data", d.dir, "--user", "alice")
	if err != nil {
		t.Fatalf("purge-images: %v\n%s", err, out)
	}
	want := "purged 1 image captures and 1 data: images from 1 captures (2 images hashed); WARC: 1 image records and 1 data: images from 1 records in 1 files"
	if !strings.Contains(out, want) || !strings.Contains(out, d.photoID) || !strings.Contains(out, d.dataID) {
		t.Fatalf("purge-images printed:\n%s\nwant %q and both documents named", out, want)
	}
	for _, h := range d.scan(t) {
		t.Errorf("image bytes left after the purge: %s", h)
	}

	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(d.dir, "index")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, img := range map[string][]byte{"photo": d.photo, "inline": d.inline} {
		hits, err := store.MatchImages(ctx, vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoSHA256, Value: sha256Hex(img)}}})
		if err != nil || len(hits) != 1 {
			t.Errorf("%s: %d hits in the image index (%v), want 1", name, len(hits), err)
		}
	}
	if body, err := store.Capture(ctx, d.dataID); err != nil || !bytes.Contains(body, []byte(crawler.RemovedImageRef(sha256Hex(d.inline)))) {
		t.Errorf("the cleaned capture: %v\n%s", err, body)
	} else if doc, _ := store.Document(ctx, d.dataID); doc.SHA256 != sha256Hex(body) {
		t.Errorf("the document's SHA-256 does not follow its cleaned capture")
	}
	if doc, err := store.Document(ctx, d.photoID); err != nil || doc.Text != "" || doc.SHA256 != "" {
		t.Errorf("the photo's document keeps %d bytes of text (%v)", len(doc.Text), err)
	}
	store.Close()

	if out, err := runCLI("evidence", "verify", evidenceDir(d.dir)); err != nil || !strings.HasPrefix(out, "OK ") {
		t.Errorf("evidence verify after the purge: %v\n%s", err, out)
	}
	rec, err := evidence.ReadRecordAt(filepath.Join(evidenceDir(d.dir), "crawl-old", d.plainLoc.File), d.plainLoc.Offset)
	if err != nil || rec.Header.Get("WARC-Record-ID") != d.plainRecordID {
		t.Errorf("the plain page's record moved: %v", err)
	}
	m, _, err := evidence.ReadManifest(filepath.Join(evidenceDir(d.dir), "crawl-old"))
	if err != nil || len(m.Amendments) != 1 || m.Counts.ImagesRemoved != 1 {
		t.Errorf("manifest amendments %+v, counts %+v (%v)", m.Amendments, m.Counts, err)
	}

	log, err := audit.Open(filepath.Join(d.dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := log.Search(audit.Filter{Action: "maintenance.purge-images"})
	log.Close()
	if err != nil || len(entries) != 1 || entries[0].User != "alice" || !strings.Contains(entries[0].Result, want) {
		t.Errorf("audit entries %+v (%v)", entries, err)
	}

	out, err = runCLI("maintenance", "purge-images", "--data", d.dir)
	if err != nil || !strings.Contains(out, "purged 0 image captures and 0 data: images from 0 captures (0 images hashed); WARC: 0 image records") {
		t.Errorf("a second purge-images: %v\n%s", err, out)
	}
}
