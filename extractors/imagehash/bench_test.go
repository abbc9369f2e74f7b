package imagehash

import (
	"image"
	"testing"

	"github.com/disintegration/imaging"
)

// The benchmarks run over the 62 photos of testdata/pdq/photos. Compare
// images/s of DecodeOnly with Hash (decode, preprocess, PDQ, pHash) for the
// ratio `make bench` reports; run with GOMAXPROCS=1 for one core.

func loadPhotos(b *testing.B) [][]byte {
	b.Helper()
	var ds [][]byte
	for _, p := range photoPaths(b) {
		ds = append(ds, readFile(b, p))
	}
	return ds
}

func reportImagesPerSecond(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkDecodeOnly(b *testing.B) {
	ds := loadPhotos(b)
	n := 0
	for b.Loop() {
		if _, err := imaging.Decode(bytesReader(ds[n%len(ds)]), imaging.AutoOrientation(true)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportImagesPerSecond(b, n)
}

func BenchmarkHash(b *testing.B) {
	ds := loadPhotos(b)
	h := New(Config{})
	n := 0
	for b.Loop() {
		if _, err := h.Hash(ds[n%len(ds)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportImagesPerSecond(b, n)
}

func BenchmarkQueryVariants(b *testing.B) {
	ds := loadPhotos(b)
	h := New(Config{})
	n := 0
	for b.Loop() {
		if _, err := h.QueryVariants(ds[n%len(ds)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportImagesPerSecond(b, n)
}

// The hashing steps alone, on already decoded and preprocessed photos.
func benchDecoded(b *testing.B, f func(img *image.NRGBA)) {
	var imgs []*image.NRGBA
	for _, d := range loadPhotos(b) {
		img, err := imaging.Decode(bytesReader(d))
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, Preprocess(img))
	}
	n := 0
	for b.Loop() {
		f(imgs[n%len(imgs)])
		n++
	}
	reportImagesPerSecond(b, n)
}

func BenchmarkPDQOnly(b *testing.B) {
	benchDecoded(b, func(img *image.NRGBA) { PDQFromImage(img) })
}

func BenchmarkPHashOnly(b *testing.B) {
	benchDecoded(b, func(img *image.NRGBA) {
		if _, err := pHash(img); err != nil {
			b.Fatal(err)
		}
	})
}
