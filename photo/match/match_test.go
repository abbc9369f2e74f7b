package match

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"maps"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"vigil"
	"vigil/extractors/imagehash"
	"vigil/store/embedded"
)

func photos(t testing.TB, n int) [][]byte {
	t.Helper()
	ps, err := filepath.Glob("../../testdata/pdq/photos/*.jpg")
	if err != nil || len(ps) < n {
		t.Fatalf("want %d photos in ../../testdata/pdq/photos, got %d (%v)", n, len(ps), err)
	}
	sort.Strings(ps)
	var out [][]byte
	for _, p := range ps[:n] {
		img, err := imaging.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		// Photos are up to 2560 px: keep the tests quick.
		out = append(out, encode(t, imaging.Fit(img, 640, 640, imaging.Lanczos), 90))
	}
	return out
}

func encode(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decode(t testing.TB, data []byte) image.Image {
	t.Helper()
	img, err := imaging.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// stored returns the vigil.Image a crawl would record for data.
func stored(t testing.TB, h *imagehash.Hasher, id, page string, data []byte, at time.Time) vigil.Image {
	t.Helper()
	hs, err := h.Hash(data)
	if err != nil {
		t.Fatal(err)
	}
	return vigil.Image{
		ID: id, URL: "http://site.test/img/" + id + ".jpg", PageURL: page, Site: "site.test", CrawlID: "c1",
		SHA256: hs.SHA256, MD5: hs.MD5, PDQ: hs.PDQ, PDQQuality: hs.PDQQuality, PHash: hs.PHash,
		Width: hs.Width, Height: hs.Height, Size: len(data), CapturedAt: at,
	}
}

// The hasher crawled images go through is the one a query goes through.
var _ QueryHasher = (*imagehash.Hasher)(nil)

func newMatcher(t testing.TB, images ...vigil.Image) *Matcher {
	t.Helper()
	st, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutImages(context.Background(), images); err != nil {
		t.Fatal(err)
	}
	return &Matcher{Hasher: imagehash.New(imagehash.Config{}), Index: st}
}

func TestMatchFindsTransformedCopiesOnTheirPage(t *testing.T) {
	ps := photos(t, 6)
	h := imagehash.New(imagehash.Config{})
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	src := decode(t, ps[0])
	// The index holds a JPEG q75 copy of photo 0 at 80% size, a mirrored
	// copy of photo 1, and photos 2..4 untouched.
	small := encode(t, imaging.Resize(src, src.Bounds().Dx()*8/10, 0, imaging.Lanczos), 75)
	mirrored := encode(t, imaging.FlipH(decode(t, ps[1])), 85)
	m := newMatcher(t,
		stored(t, h, "a", "http://site.test/thread/1", small, at),
		stored(t, h, "b", "http://site.test/thread/2", mirrored, at),
		stored(t, h, "c", "http://site.test/thread/3", ps[2], at),
		stored(t, h, "d", "http://site.test/thread/4", ps[3], at),
		stored(t, h, "e", "http://site.test/thread/5", ps[4], at),
	)
	ctx := context.Background()

	t.Run("a resized JPEG copy is a PDQ match on the page that embeds it", func(t *testing.T) {
		hits, err := m.Match(ctx, ps[0], vigil.MatchOptions{PHashRadius: -1})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Image.ID != "a" {
			t.Fatalf("hits = %+v; want image a first", hits)
		}
		top := hits[0]
		if top.Band != vigil.BandMatch || top.Algorithm != vigil.AlgoPDQ || top.Distance > PDQMatch || top.Variant != "original" {
			t.Errorf("top hit = %s %s d=%d variant %q; want a pdq match of the original", top.Band, top.Algorithm, top.Distance, top.Variant)
		}
		if top.Image.PageURL != "http://site.test/thread/1" || !top.FirstSeen.Equal(at) || !top.LastSeen.Equal(at) || top.Seen != 1 {
			t.Errorf("top hit page %q, seen %v..%v ×%d", top.Image.PageURL, top.FirstSeen, top.LastSeen, top.Seen)
		}
		for _, x := range hits[1:] {
			if x.Band == vigil.BandMatch {
				t.Errorf("unrelated photo %s is a match: %+v", x.Image.ID, x)
			}
		}
	})
	t.Run("the same copy by pHash alone is a match too", func(t *testing.T) {
		hits, err := m.Match(ctx, ps[0], vigil.MatchOptions{PDQRadius: -1})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Image.ID != "a" || hits[0].Algorithm != vigil.AlgoPHash || hits[0].Band != vigil.BandMatch {
			t.Fatalf("hits = %+v; want a by phash", hits)
		}
	})
	t.Run("a mirrored copy matches through a dihedral variant", func(t *testing.T) {
		hits, err := m.Match(ctx, ps[1], vigil.MatchOptions{PHashRadius: -1})
		if err != nil {
			t.Fatal(err)
		}
		// FlipH mirrors about the vertical (y) axis: PDQ's "flipy".
		if len(hits) == 0 || hits[0].Image.ID != "b" || hits[0].Band != vigil.BandMatch || hits[0].Algorithm != vigil.AlgoPDQ || hits[0].Variant != "flipy" {
			t.Fatalf("hits = %+v; want b matched by the flipy variant", hits)
		}
		hits, err = m.Match(ctx, ps[1], vigil.MatchOptions{PHashRadius: -1, PDQRadius: PDQMatch})
		if err != nil || len(hits) != 1 {
			t.Fatalf("at the match radius: %+v, %v; want b alone", hits, err)
		}
	})
	t.Run("identical bytes are an exact match ranked first", func(t *testing.T) {
		hits, err := m.Match(ctx, ps[2], vigil.MatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Image.ID != "c" || hits[0].Algorithm != vigil.AlgoSHA256 || hits[0].Distance != 0 || hits[0].Band != vigil.BandMatch {
			t.Fatalf("hits = %+v; want c by sha256", hits)
		}
	})
	t.Run("a photo not in the index matches nothing", func(t *testing.T) {
		hits, err := m.Match(ctx, ps[5], vigil.MatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range hits {
			if x.Band == vigil.BandMatch {
				t.Errorf("photo 5 matched %s: %+v", x.Image.ID, x)
			}
		}
		hits, err = m.Match(ctx, ps[5], vigil.MatchOptions{PDQRadius: PDQMatch, PHashRadius: PHashMatch})
		if err != nil || len(hits) != 0 {
			t.Fatalf("at the match thresholds: %d hits, %v; want none", len(hits), err)
		}
	})
	t.Run("a radius of 1 drops the resized copy", func(t *testing.T) {
		hits, err := m.Match(ctx, ps[0], vigil.MatchOptions{PDQRadius: 1, PHashRadius: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range hits {
			if x.Distance > 1 {
				t.Errorf("hit beyond radius 1: %+v", x)
			}
		}
	})
}

func TestMatchRefusesWhatItCannotHash(t *testing.T) {
	m := &Matcher{Hasher: imagehash.New(imagehash.Config{MaxBytes: 1000}), Index: &fakeIndex{}}
	_, err := m.Match(context.Background(), []byte("not an image at all"), vigil.MatchOptions{})
	if vigil.ErrorCode(err) != vigil.EINVALID || !errors.Is(err, imagehash.ErrNotImage) {
		t.Errorf("not an image: %v (code %s); want EINVALID wrapping ErrNotImage", err, vigil.ErrorCode(err))
	}
	_, err = m.Match(context.Background(), make([]byte, 2000), vigil.MatchOptions{})
	if vigil.ErrorCode(err) != vigil.ETOOLARGE || !errors.Is(err, imagehash.ErrTooLarge) {
		t.Errorf("too large: %v (code %s); want ETOOLARGE", err, vigil.ErrorCode(err))
	}
}

func TestBand(t *testing.T) {
	for _, c := range []struct {
		algo string
		d    int
		want string
	}{
		{vigil.AlgoPDQ, 0, vigil.BandMatch}, {vigil.AlgoPDQ, 31, vigil.BandMatch}, {vigil.AlgoPDQ, 32, vigil.BandReview},
		{vigil.AlgoPDQ, 63, vigil.BandReview}, {vigil.AlgoPDQ, 64, ""},
		{vigil.AlgoPHash, 10, vigil.BandMatch}, {vigil.AlgoPHash, 11, vigil.BandReview}, {vigil.AlgoPHash, 12, vigil.BandReview},
		{vigil.AlgoPHash, 13, ""},
		{vigil.AlgoSHA256, 0, vigil.BandMatch}, {vigil.AlgoMD5, 0, vigil.BandMatch}, {vigil.AlgoMD5, 1, ""},
		{"ahash", 0, ""}, {"dhash", 0, ""},
	} {
		if got := Band(c.algo, "original", c.d); got != c.want {
			t.Errorf("Band(%s, original, %d) = %q; want %q", c.algo, c.d, got, c.want)
		}
	}
	// Through a crop variant a pHash hit is a match only within 8.
	for _, c := range []struct {
		variant string
		d       int
		want    string
	}{
		{"crop-0.85-center", 8, vigil.BandMatch}, {"crop-0.85-center", 9, vigil.BandReview},
		{"crop-0.80-topright", 10, vigil.BandReview}, {"crop-0.70-left", 12, vigil.BandReview},
		{"crop-0.95-center", 13, ""}, {"original", 10, vigil.BandMatch}, {"rot90", 8, vigil.BandMatch},
	} {
		if got := Band(vigil.AlgoPHash, c.variant, c.d); got != c.want {
			t.Errorf("Band(phash, %s, %d) = %q; want %q", c.variant, c.d, got, c.want)
		}
	}
}

// fakeIndex answers MatchImages from a table per algorithm and records the
// queries.
type fakeIndex struct {
	hits    map[string][]vigil.ImageHit
	queries []vigil.ImageQuery
}

func (f *fakeIndex) PutImages(context.Context, []vigil.Image) error { return nil }

func (f *fakeIndex) MatchImages(_ context.Context, q vigil.ImageQuery) ([]vigil.ImageHit, error) {
	f.queries = append(f.queries, q)
	var out []vigil.ImageHit
	seen := map[string]bool{}
	for _, qh := range q.Hashes {
		if !seen[qh.Algorithm] {
			seen[qh.Algorithm] = true
			out = append(out, f.hits[qh.Algorithm]...)
		}
	}
	return out, nil
}

func TestMatchHashesBandsMergesAndCollapses(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	img := func(id, page string, q int, at time.Time) vigil.Image {
		return vigil.Image{ID: id, URL: "http://s/x.jpg", PageURL: page, PDQQuality: q, CapturedAt: at}
	}
	f := &fakeIndex{hits: map[string][]vigil.ImageHit{
		vigil.AlgoPDQ: {
			{Image: img("p1", "http://s/1", 90, t0), Algorithm: vigil.AlgoPDQ, Distance: 20, Variant: "rot90"},
			{Image: img("low", "http://s/low", 40, t0), Algorithm: vigil.AlgoPDQ, Distance: 0, Variant: "original"},
			{Image: img("p2", "http://s/2", 90, t0), Algorithm: vigil.AlgoPDQ, Distance: 50, Variant: "original"},
		},
		vigil.AlgoPHash: {
			// The same image as p1, by pHash in the review band: the PDQ
			// match must win.
			{Image: img("p1", "http://s/1", 90, t0), Algorithm: vigil.AlgoPHash, Distance: 11, Variant: "crop-0.90-center"},
			// A later capture of the same image on the same page.
			{Image: img("p1-again", "http://s/1", 90, t0.Add(48*time.Hour)), Algorithm: vigil.AlgoPHash, Distance: 12, Variant: "original"},
			{Image: img("p3", "http://s/3", 0, t0), Algorithm: vigil.AlgoPHash, Distance: 4, Variant: "crop-0.80-topleft"},
		},
	}}
	m := &Matcher{Index: f}
	qs := []vigil.QueryHash{
		{Algorithm: vigil.AlgoSHA256, Value: "aa"}, {Algorithm: vigil.AlgoMD5, Value: "bb"},
		{Algorithm: vigil.AlgoPDQ, Value: "cc"}, {Algorithm: vigil.AlgoPHash, Value: "dd"},
	}
	hits, err := m.MatchHashes(context.Background(), qs, vigil.MatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.queries) != 3 {
		t.Fatalf("%d index queries; want one per family (exact, pdq, phash)", len(f.queries))
	}
	for _, q := range f.queries {
		fam := q.Hashes[0].Algorithm
		for _, h := range q.Hashes {
			if (fam == vigil.AlgoPDQ || fam == vigil.AlgoPHash) && h.Algorithm != fam {
				t.Errorf("query mixes %s and %s", fam, h.Algorithm)
			}
		}
		if fam == vigil.AlgoPDQ && q.MaxDistance[vigil.AlgoPDQ] != PDQReview || fam == vigil.AlgoPHash && q.MaxDistance[vigil.AlgoPHash] != PHashReview {
			t.Errorf("query %s radius %v; want the review limits by default", fam, q.MaxDistance)
		}
	}
	type row struct {
		page, algo, band string
		d, seen          int
	}
	var got []row
	for _, h := range hits {
		got = append(got, row{h.Image.PageURL, h.Algorithm, h.Band, h.Distance, h.Seen})
	}
	want := []row{
		{"http://s/3", vigil.AlgoPHash, vigil.BandMatch, 4, 1}, // 4/64 < 20/256
		{"http://s/1", vigil.AlgoPDQ, vigil.BandMatch, 20, 2},
		{"http://s/2", vigil.AlgoPDQ, vigil.BandReview, 50, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("hits = %+v; want %+v (the quality-40 PDQ hit dropped)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("hit %d = %+v; want %+v", i, got[i], want[i])
		}
	}
	if !hits[1].FirstSeen.Equal(t0) || !hits[1].LastSeen.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("seen %v..%v; want %v..%v", hits[1].FirstSeen, hits[1].LastSeen, t0, t0.Add(48*time.Hour))
	}
	hits, err = m.MatchHashes(context.Background(), qs, vigil.MatchOptions{Limit: 1})
	if err != nil || len(hits) != 1 || hits[0].Image.PageURL != "http://s/3" {
		t.Fatalf("limit 1: %+v, %v", hits, err)
	}
}

// variantIndex answers like the stores do: per image the smallest distance
// over the query's hashes within the radius, from a table per variant.
type variantIndex struct {
	hits    map[string][]vigil.ImageHit // by query variant
	queries int
}

func (f *variantIndex) PutImages(context.Context, []vigil.Image) error { return nil }

func (f *variantIndex) MatchImages(_ context.Context, q vigil.ImageQuery) ([]vigil.ImageHit, error) {
	f.queries++
	best := map[string]vigil.ImageHit{}
	for _, qh := range q.Hashes {
		for _, h := range f.hits[qh.Variant] {
			if o, ok := best[h.Image.ID]; h.Distance <= q.MaxDistance[qh.Algorithm] && (!ok || h.Distance < o.Distance) {
				best[h.Image.ID] = h
			}
		}
	}
	var out []vigil.ImageHit
	for _, h := range best {
		out = append(out, h)
	}
	return out, nil
}

// TestMatchHashesCropThreshold checks that a pHash hit through a crop is a
// match only within PHashCropMatch, and that a nearer crop hit does not hide
// a whole-photo hit that is a match (the index keeps one distance per image
// and query, so crops and the whole photo are queried apart).
func TestMatchHashesCropThreshold(t *testing.T) {
	img := func(id string) vigil.Image {
		return vigil.Image{ID: id, URL: "http://s/" + id + ".jpg", PageURL: "http://s/" + id}
	}
	hit := func(id, variant string, d int) vigil.ImageHit {
		return vigil.ImageHit{Image: img(id), Algorithm: vigil.AlgoPHash, Distance: d, Variant: variant}
	}
	f := &variantIndex{hits: map[string][]vigil.ImageHit{
		"original":         {hit("whole10", "original", 10)},
		"crop-0.90-center": {hit("whole10", "crop-0.90-center", 9), hit("crop9", "crop-0.90-center", 9), hit("crop8", "crop-0.90-center", 8)},
	}}
	m := &Matcher{Index: f}
	qs := []vigil.QueryHash{
		{Algorithm: vigil.AlgoPHash, Value: "00", Variant: "original"},
		{Algorithm: vigil.AlgoPHash, Value: "01", Variant: "crop-0.90-center"},
	}
	hits, err := m.MatchHashes(context.Background(), qs, vigil.MatchOptions{PDQRadius: -1})
	if err != nil {
		t.Fatal(err)
	}
	if f.queries != 2 {
		t.Errorf("%d index queries; want 2 (whole photo, crops)", f.queries)
	}
	got := map[string]string{}
	for _, h := range hits {
		got[h.Image.ID] = fmt.Sprintf("%s %s %d", h.Band, h.Variant, h.Distance)
	}
	want := map[string]string{
		"whole10": "match original 10",
		"crop8":   "match crop-0.90-center 8",
		"crop9":   "review crop-0.90-center 9",
	}
	if !maps.Equal(got, want) {
		t.Errorf("hits %v; want %v", got, want)
	}
}
