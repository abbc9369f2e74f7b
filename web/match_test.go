package web

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"vigil"
	"vigil/cases/audit"
	"vigil/extractors/imagehash"
	"vigil/photo/match"
	"vigil/photo/watchlist"
	"vigil/store/embedded"
)

type matchFixture struct {
	h     http.Handler
	log   *audit.Log
	photo []byte // a photo whose resized copy is indexed
	other []byte // a photo that is not
}

func newMatchFixture(t *testing.T) *matchFixture {
	t.Helper()
	dir := t.TempDir()
	log, err := audit.Open(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	st, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "index")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wl, err := watchlist.Open(filepath.Join(dir, "watchlist.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wl.Close() })
	ps, _ := filepath.Glob("../testdata/pdq/photos/*.jpg")
	if len(ps) < 2 {
		t.Fatalf("want photos in ../testdata/pdq/photos, got %d", len(ps))
	}
	load := func(p string, side int) []byte {
		img, err := imaging.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		jpeg.Encode(&b, imaging.Fit(img, side, side, imaging.Lanczos), &jpeg.Options{Quality: 80})
		return b.Bytes()
	}
	f := &matchFixture{log: log, photo: load(ps[0], 600), other: load(ps[1], 600)}
	hasher := imagehash.New(imagehash.Config{})
	hs, err := hasher.Hash(load(ps[0], 450))
	if err != nil {
		t.Fatal(err)
	}
	err = st.PutImages(context.Background(), []vigil.Image{{ID: "i1", URL: "http://s/i.jpg", PageURL: "http://s/page", Site: "s",
		SHA256: hs.SHA256, MD5: hs.MD5, PDQ: hs.PDQ, PDQQuality: hs.PDQQuality, PHash: hs.PHash}})
	if err != nil {
		t.Fatal(err)
	}
	f.h = New(Config{Store: fakeStore{}, Crawls: fakeCrawls{}, Audit: log,
		Matcher: &match.Matcher{Hasher: hasher, Index: st}, Watchlist: wl})
	return f
}

func upload(t *testing.T, h http.Handler, path, field string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, "photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req := localRequest("POST", path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestMatchAPI(t *testing.T) {
	f := newMatchFixture(t)

	t.Run("a resized copy is found and the query hashes are audited", func(t *testing.T) {
		rec := upload(t, f.h, "/api/match", "image", f.photo)
		if rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var hits []vigil.ImageHit
		if err := json.Unmarshal(rec.Body.Bytes(), &hits); err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].Image.PageURL != "http://s/page" || hits[0].Band != vigil.BandMatch {
			t.Fatalf("hits = %+v", hits)
		}
		es, _, err := f.log.Search(audit.Filter{Action: "match"})
		if err != nil || len(es) != 1 {
			t.Fatalf("audit entries = %+v, %v", es, err)
		}
		q := es[0].Query
		if len(q[vigil.AlgoSHA256]) != 64 || len(q[vigil.AlgoPDQ]) != 64 || len(q[vigil.AlgoPHash]) != 16 || !strings.HasPrefix(es[0].Result, "1 hits, 1 in the match band") {
			t.Errorf("audit entry = %+v; want the photo's hashes and the outcome", es[0])
		}
	})
	t.Run("another photo finds nothing at the match thresholds", func(t *testing.T) {
		rec := upload(t, f.h, "/api/match?max_distance=31&phash_distance=10", "image", f.other)
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
			t.Fatalf("status %d: %s; want []", rec.Code, rec.Body)
		}
	})
	t.Run("bad uploads are refused with a clear error", func(t *testing.T) {
		for _, c := range []struct {
			name, path, field string
			data              []byte
			status            int
			msg               string
		}{
			{"not an image", "/api/match", "image", []byte("hello, not a photo"), 400, "cannot hash the image"},
			{"wrong field", "/api/match", "photo", f.photo, 400, `no form field "image"`},
			{"bad parameter", "/api/match?max_distance=999", "image", f.photo, 400, "max_distance"},
			{"over 20 MiB", "/api/match", "image", make([]byte, MaxPhotoBytes+1), 413, "over 20 MiB"},
		} {
			rec := upload(t, f.h, c.path, c.field, c.data)
			var e ErrorResponse
			json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != c.status || !strings.Contains(e.Error, c.msg) {
				t.Errorf("%s: status %d %q; want %d with %q", c.name, rec.Code, e.Error, c.status, c.msg)
			}
		}
	})
	t.Run("a large upload is never spilled to disk", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		// 2100×2100 opaque noise: an RGB PNG of ~13 MB, over multipart's
		// 10 MB in-memory default.
		img := image.NewNRGBA(image.Rect(0, 0, 2100, 2100))
		r := rand.New(rand.NewPCG(1, 2))
		for i := range img.Pix {
			img.Pix[i] = uint8(r.IntN(256))
		}
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 255
		}
		img.Set(0, 0, color.NRGBA{A: 255})
		var b bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if b.Len() < 12<<20 || b.Len() > MaxPhotoBytes {
			t.Fatalf("test photo is %d bytes", b.Len())
		}
		rec := upload(t, f.h, "/api/match", "image", b.Bytes())
		if rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Fatalf("the upload left %d files in TMPDIR", len(ents))
		}
	})
}

func TestWatchlistAndAlertsAPI(t *testing.T) {
	f := newMatchFixture(t)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := localRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "text/csv")
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	rec := do("GET", "/api/alerts", "")
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("alerts: %d %s; want an empty array", rec.Code, rec.Body)
	}
	rec = do("POST", "/api/watchlists?name=partner", "algorithm,hash,label\nmd5,098f6bcd4621d373cade4e832627b4f6,victim\n")
	var res vigil.WatchlistImport
	json.Unmarshal(rec.Body.Bytes(), &res)
	if rec.Code != 201 || res.Added != 1 || res.List != "partner" {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	rec = do("POST", "/api/watchlists?name=partner", "f8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22,x\n")
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "line 1: 64 hex digits may be PDQ or SHA-256") {
		t.Fatalf("ambiguous import: %d %s", rec.Code, rec.Body)
	}
	if rec = do("POST", "/api/watchlists", "098f6bcd4621d373cade4e832627b4f6,x\n"); rec.Code != 400 {
		t.Fatalf("import without a name: %d", rec.Code)
	}
	rec = do("GET", "/api/watchlists", "")
	var ls []vigil.Watchlist
	json.Unmarshal(rec.Body.Bytes(), &ls)
	if rec.Code != 200 || len(ls) != 1 || ls[0].Name != "partner" || ls[0].Entries != 1 {
		t.Fatalf("lists: %d %s", rec.Code, rec.Body)
	}
	if es, _, _ := f.log.Search(audit.Filter{Action: "watchlist.import"}); len(es) != 2 || es[1].Result != "1 rows, 1 added, 0 updated" {
		t.Errorf("audit of imports = %+v", es)
	}

	off := New(Config{Store: fakeStore{}, Crawls: fakeCrawls{}, Audit: f.log})
	for _, p := range []string{"/api/alerts", "/api/watchlists"} {
		rec := httptest.NewRecorder()
		off.ServeHTTP(rec, localRequest("GET", p, nil))
		if rec.Code != 503 {
			t.Errorf("GET %s without a watchlist: %d; want 503", p, rec.Code)
		}
	}
	if rec := upload(t, off, "/api/match", "image", f.photo); rec.Code != 503 {
		t.Errorf("match without a matcher: %d; want 503", rec.Code)
	}
}
