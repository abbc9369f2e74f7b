package imagehash

import (
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/disintegration/imaging"
)

// FuzzHash feeds arbitrary bytes to Hash: it must never panic, and must
// either refuse with one of the sentinel errors or return well-formed hashes
// of an image within the limits.
func FuzzHash(f *testing.F) {
	// Seeds are small: the fuzzer minimises every new input it finds, and
	// minimising a 50 KB photo takes the whole run.
	photo, err := imaging.Open(photoPaths(f)[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeJPEG(f, imaging.Resize(photo, 80, 64, imaging.Box), 50))
	f.Add(encodePNG(f, imaging.Resize(photo, 72, 64, imaging.Box)))
	f.Add(encodePNG(f, image.NewNRGBA(image.Rect(0, 0, 70, 80))))
	f.Add(encodePNG(f, image.NewPaletted(image.Rect(0, 0, 64, 64), color.Palette{color.Black, color.White})))
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("GIF89a\x40\x00\x40\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("BM"))
	f.Add([]byte("II*\x00"))
	h := New(Config{MaxPixels: 4_000_000, MaxBytes: 1 << 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, err := h.Hash(data)
		if err != nil {
			if !errors.Is(err, ErrNotImage) && !errors.Is(err, ErrTooSmall) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is none of the sentinels", err)
			}
			return
		}
		if len(hs.PDQ) != 64 || len(hs.PHash) != 16 || len(hs.SHA256) != 64 || len(hs.MD5) != 32 {
			t.Fatalf("malformed hashes %+v", hs)
		}
		if hs.Width < 64 || hs.Height < 64 || hs.Width*hs.Height > 4_000_000 {
			t.Fatalf("accepted a %dx%d image", hs.Width, hs.Height)
		}
		if hs.PDQQuality < 0 || hs.PDQQuality > 100 {
			t.Fatalf("quality %d", hs.PDQQuality)
		}
	})
}
