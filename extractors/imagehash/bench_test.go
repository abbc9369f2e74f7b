package imagehash

import (
	"image"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"golang.org/x/sys/unix"
)

// The benchmarks run over the 62 photos of testdata/pdq/photos (at most
// 512 px a side). HashVsDecode reports the ratio `make bench` shows: Hash
// (decode, preprocess, PDQ, pHash) against decoding alone, on one core;
// DecodeOnly and Hash give the same rates in wall-clock time. Run with
// -cpu 1 for one core.

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

// BenchmarkHashVsDecode times, photo by photo in the same loop, decoding
// alone and Hash (decode, preprocess, PDQ, pHash), and reports both rates
// in images per second of the process's CPU time (with -cpu 1, one core;
// time the machine gave to other processes is not counted, the garbage
// collector's is), Hash's in wall-clock time too, and their ratio: how many
// times decoding alone Hash costs.
func BenchmarkHashVsDecode(b *testing.B) {
	ds := loadPhotos(b)
	h := New(Config{})
	var dec, hash, wall time.Duration
	n := 0
	for b.Loop() {
		d := ds[n%len(ds)]
		t0 := processCPU(b)
		if _, err := imaging.Decode(bytesReader(d), imaging.AutoOrientation(true)); err != nil {
			b.Fatal(err)
		}
		t1 := processCPU(b)
		w := time.Now()
		if _, err := h.Hash(d); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(w)
		t2 := processCPU(b)
		dec, hash = dec+t1-t0, hash+t2-t1
		n++
	}
	b.ReportMetric(float64(n)/dec.Seconds(), "decode-images/s")
	b.ReportMetric(float64(n)/hash.Seconds(), "hash-images/s")
	b.ReportMetric(float64(n)/wall.Seconds(), "hash-wall-images/s")
	b.ReportMetric(hash.Seconds()/dec.Seconds(), "hash/decode")
}

func processCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
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
