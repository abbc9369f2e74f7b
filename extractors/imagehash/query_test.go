package imagehash

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"

	"vigil"
)

func TestQueryVariantsNamesAndOriginals(t *testing.T) {
	h := New(Config{})
	data := readFile(t, photoPaths(t)[1])
	qs, err := h.QueryVariants(data)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	seen := map[string]bool{}
	for _, q := range qs {
		count[q.Algorithm]++
		key := q.Algorithm + "/" + q.Variant
		if seen[key] {
			t.Errorf("variant %s twice", key)
		}
		seen[key] = true
	}
	want := map[string]int{vigil.AlgoSHA256: 1, vigil.AlgoMD5: 1, vigil.AlgoPDQ: 8, vigil.AlgoPHash: 1 + len(QueryCrops)}
	for algo, n := range want {
		if count[algo] != n {
			t.Errorf("%d %s hashes, want %d", count[algo], algo, n)
		}
	}
	if len(QueryCrops) < 20 {
		t.Errorf("only %d crops", len(QueryCrops))
	}
	hs := mustHash(t, h, data)
	for _, want := range []vigil.QueryHash{
		{Algorithm: vigil.AlgoSHA256, Value: hs.SHA256, Variant: "original"},
		{Algorithm: vigil.AlgoMD5, Value: hs.MD5, Variant: "original"},
		{Algorithm: vigil.AlgoPDQ, Value: hs.PDQ, Variant: "original"},
		{Algorithm: vigil.AlgoPHash, Value: hs.PHash, Variant: "original"},
	} {
		if !containsHash(qs, want) {
			t.Errorf("query lacks %+v, the hash crawling stores", want)
		}
	}
	for _, name := range []string{"rot90", "flipx", "crop-0.85-center", "crop-0.90-topleft", "crop-0.70-bottomright"} {
		if !seen[vigil.AlgoPDQ+"/"+name] && !seen[vigil.AlgoPHash+"/"+name] {
			t.Errorf("no variant named %s", name)
		}
	}
}

func containsHash(qs []vigil.QueryHash, want vigil.QueryHash) bool {
	for _, q := range qs {
		if q == want {
			return true
		}
	}
	return false
}

func TestQueryVariantsOmitLowQualityPDQ(t *testing.T) {
	flat := imaging.New(300, 200, color.NRGBA{90, 90, 90, 255})
	qs, err := New(Config{}).QueryVariants(encodePNG(t, flat))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Algorithm == vigil.AlgoPDQ {
			t.Fatalf("a flat image's query has PDQ variant %s", q.Variant)
		}
	}
}

// best returns the smallest distance from value to the query's hashes of
// algo, and the variant at that distance.
func best(t *testing.T, qs []vigil.QueryHash, algo, value string) (int, string) {
	t.Helper()
	d, v := 1<<30, ""
	for _, q := range qs {
		if q.Algorithm != algo {
			continue
		}
		if x := mustDist(t, q.Value, value); x < d {
			d, v = x, q.Variant
		}
	}
	return d, v
}

// TestQueryVariantsFindTransformedCopies hashes rotated, mirrored and
// cropped copies the way crawling would, then checks that the original's
// query matches them through the variant that undoes the transformation,
// with recall at the match thresholds (PDQ ≤ 31, pHash ≤ 10) of at least 95%
// for rotations and mirrors and 90% for crops up to 18%.
func TestQueryVariantsFindTransformedCopies(t *testing.T) {
	h := New(Config{})
	dihedral := []struct {
		name    string
		f       func(image.Image) *image.NRGBA
		variant string
	}{
		{"rotated 90° counter-clockwise", imaging.Rotate90, "rot90"},
		{"rotated 180°", imaging.Rotate180, "rot180"},
		{"rotated 90° clockwise", imaging.Rotate270, "rot270"},
		{"mirrored top to bottom", imaging.FlipV, "flipx"},
		{"mirrored left to right", imaging.FlipH, "flipy"},
		{"transposed", imaging.Transpose, "flipplus"},
		{"transversed", imaging.Transverse, "flipminus"},
	}
	crops := []Crop{{0.95, "center"}, {0.9, "topleft"}, {0.88, "bottomright"}, {0.85, "center"}, {0.87, "topright"}, {0.82, "bottomleft"}, {0.92, "bottom"}, {0.85, "left"}, {0.9, "right"}}
	cropMiss, cropTotal, dihMiss, dihTotal := 0, 0, 0, 0
	for _, p := range photoPaths(t)[:16] {
		data := readFile(t, p)
		img, err := imaging.Decode(bytesReader(data))
		if err != nil {
			t.Fatal(err)
		}
		qs, err := h.QueryVariants(data)
		if err != nil {
			t.Fatal(err)
		}
		if mustHash(t, h, data).PDQQuality >= MinQuality {
			for _, tc := range dihedral {
				cp := mustHash(t, h, encodeJPEG(t, tc.f(img), 80))
				d, v := best(t, qs, vigil.AlgoPDQ, cp.PDQ)
				dihTotal++
				if v != tc.variant || d > 48 {
					t.Errorf("%s %s: best PDQ variant %s at %d, want %s", filepath.Base(p), tc.name, v, d, tc.variant)
				}
				if d > 31 {
					dihMiss++
					t.Logf("%s %s: %s at %d, over the match threshold", filepath.Base(p), tc.name, v, d)
				}
			}
		}
		for _, c := range crops {
			cropped := imaging.Crop(img, c.Rect(img.Bounds()))
			cp := mustHash(t, h, encodeJPEG(t, cropped, 80))
			cropTotal++
			if d, v := best(t, qs, vigil.AlgoPHash, cp.PHash); d > 10 {
				cropMiss++
				t.Logf("%s %s: best pHash variant %s at %d", filepath.Base(p), c.Name(), v, d)
			}
		}
	}
	dihRecall := 1 - float64(dihMiss)/float64(dihTotal)
	t.Logf("rotation and mirror recall %.3f (%d of %d)", dihRecall, dihTotal-dihMiss, dihTotal)
	if dihRecall < 0.95 {
		t.Errorf("rotation and mirror recall %.3f, want ≥ 0.95", dihRecall)
	}
	recall := 1 - float64(cropMiss)/float64(cropTotal)
	t.Logf("crop recall %.3f (%d of %d)", recall, cropTotal-cropMiss, cropTotal)
	if recall < 0.9 {
		t.Errorf("crop recall %.3f, want ≥ 0.90", recall)
	}
}
