package imagehash

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

func photoPaths(t testing.TB) []string {
	t.Helper()
	ps, err := filepath.Glob(filepath.Join(vectorDir, "photos", "*.jpg"))
	if err != nil || len(ps) != 62 {
		t.Fatalf("want 62 photos, got %d (%v)", len(ps), err)
	}
	sort.Strings(ps)
	return ps
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustHash(t testing.TB, h *Hasher, data []byte) Hashes {
	t.Helper()
	hs, err := h.Hash(data)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func mustDist(t testing.TB, a, b string) int {
	t.Helper()
	d, err := Distance(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHashFillsEveryField(t *testing.T) {
	data := readFile(t, photoPaths(t)[0])
	hs := mustHash(t, New(Config{}), data)
	s := sha256.Sum256(data)
	m := md5.Sum(data)
	if hs.SHA256 != hex.EncodeToString(s[:]) || hs.MD5 != hex.EncodeToString(m[:]) {
		t.Errorf("byte hashes %s %s do not match the data", hs.SHA256, hs.MD5)
	}
	if len(hs.PDQ) != 64 || len(hs.PHash) != 16 {
		t.Errorf("pdq %q phash %q: wrong lengths", hs.PDQ, hs.PHash)
	}
	if hs.Format != "jpeg" || hs.Width != 512 || hs.Height != 320 {
		t.Errorf("format %s %dx%d, want jpeg 512x320", hs.Format, hs.Width, hs.Height)
	}
	if hs.PDQQuality < 50 {
		t.Errorf("quality %d of a photo, want ≥ 50", hs.PDQQuality)
	}
	again := mustHash(t, New(Config{}), data)
	if again != hs {
		t.Errorf("hashing twice differs: %+v vs %+v", hs, again)
	}
}

// TestHashMatchesReferenceOnPlainPhotos checks that preprocessing leaves
// borderless opaque photos of at most 512 px as they are, so the Hasher's PDQ
// is then the raw algorithm's, within the conformance bound of Meta's
// reference. Photos with a flat edge are trimmed (sunset's black foreground);
// they must be few.
func TestHashMatchesReferenceOnPlainPhotos(t *testing.T) {
	h := New(Config{})
	plain, trimmed := 0, 0
	for _, v := range loadVectors(t) {
		if !strings.HasPrefix(v.file, "photos/") || v.quality < 80 {
			continue
		}
		data := readFile(t, filepath.Join(vectorDir, v.file))
		hs := mustHash(t, h, data)
		img := decodeFile(t, v.file)
		if Preprocess(img).Bounds() != img.Bounds() {
			trimmed++
			t.Logf("%s: trimmed to %v", v.file, Preprocess(img).Bounds())
			continue
		}
		plain++
		if d := mustDist(t, hs.PDQ, v.hashes[0]); d > 10 {
			t.Errorf("%s: Hasher PDQ %d bits from the reference, want ≤ 10", v.file, d)
		}
	}
	if trimmed > 3 || plain < 50 {
		t.Errorf("%d photos trimmed, %d left whole; want at most 3 trimmed", trimmed, plain)
	}
}

// TestPinnedDistances pins distances between transformed copies: re-encoded
// or resized copies match; different photos are far apart.
func TestPinnedDistances(t *testing.T) {
	h := New(Config{})
	ps := photoPaths(t)
	var all []Hashes
	for _, p := range ps {
		all = append(all, mustHash(t, h, readFile(t, p)))
	}
	for i, p := range ps[:20] {
		img, err := imaging.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		orig := all[i]
		if orig.PDQQuality < 50 {
			continue
		}
		small := imaging.Resize(img, img.Bounds().Dx()*2/3, 0, imaging.Lanczos)
		for name, data := range map[string][]byte{
			"jpeg q40":          encodeJPEG(t, img, 40),
			"resize 2/3 q75":    encodeJPEG(t, small, 75),
			"png":               encodePNG(t, img),
			"grey":              encodeJPEG(t, imaging.Grayscale(img), 85),
			"bordered":          encodeJPEG(t, addBorder(img, 40, color.NRGBA{0, 0, 0, 255}), 90),
			"transparent frame": encodePNG(t, addBorder(img, 30, color.NRGBA{0, 0, 0, 0})),
		} {
			cp := mustHash(t, h, data)
			if d := mustDist(t, orig.PDQ, cp.PDQ); d > 31 {
				t.Errorf("%s %s: PDQ distance %d, want ≤ 31", filepath.Base(p), name, d)
			}
			if d := mustDist(t, orig.PHash, cp.PHash); d > 10 {
				t.Errorf("%s %s: pHash distance %d, want ≤ 10", filepath.Base(p), name, d)
			}
		}
	}
	minPDQ, minP := 256, 64
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[i].PDQQuality < 50 || all[j].PDQQuality < 50 {
				continue
			}
			d := mustDist(t, all[i].PDQ, all[j].PDQ)
			minPDQ = min(minPDQ, d)
			if d <= 63 {
				t.Errorf("%s and %s: PDQ distance %d, want > 63", filepath.Base(ps[i]), filepath.Base(ps[j]), d)
			}
			minP = min(minP, mustDist(t, all[i].PHash, all[j].PHash))
		}
	}
	t.Logf("closest different photos: PDQ %d, pHash %d", minPDQ, minP)
	if minP <= 10 {
		t.Errorf("two different photos within pHash distance %d", minP)
	}
}

func addBorder(img image.Image, px int, c color.NRGBA) *image.NRGBA {
	b := img.Bounds()
	out := imaging.New(b.Dx()+2*px, b.Dy()+2*px, c)
	return imaging.Paste(out, img, image.Pt(px, px))
}

func TestPreprocessFlattensAlphaOnWhite(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i+3] = 0 // transparent black
	}
	m.Set(50, 50, color.NRGBA{0, 0, 0, 128})
	out := Preprocess(m)
	if got := out.NRGBAAt(0, 0); got != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("transparent pixel became %v, want white", got)
	}
	if got := out.NRGBAAt(50, 50); got.R < 125 || got.R > 129 || got.A != 255 {
		t.Errorf("half-transparent black became %v, want mid grey", got)
	}
}

func TestPreprocessTrimsUniformBorders(t *testing.T) {
	inner := imaging.New(200, 100, color.NRGBA{10, 200, 30, 255})
	for x := range 200 {
		inner.Set(x, x/2, color.NRGBA{255, 0, 0, 255}) // some content
	}
	framed := imaging.New(260, 190, color.NRGBA{250, 250, 250, 255})
	framed = imaging.Paste(framed, inner, image.Pt(20, 50))
	out := Preprocess(framed)
	if b := out.Bounds(); b.Dx() != 200 || b.Dy() != 100 {
		t.Errorf("trimmed to %v, want 200x100", b)
	}
	flat := imaging.New(300, 300, color.NRGBA{0, 0, 0, 255})
	if b := Preprocess(flat).Bounds(); b.Dx() != 300 || b.Dy() != 300 {
		t.Errorf("a uniform image was trimmed to %v, want it kept whole", b)
	}
}

// TestPreprocessKeepsFadingDarkBand checks the edge rule of trimming: a
// photo whose dark foreground fades into the picture is not trimmed, before
// or after darkening by 10% (which clips the foreground to flat black), so
// both copies hash the same pixels; a pad around it is still trimmed.
func TestPreprocessKeepsFadingDarkBand(t *testing.T) {
	const w, h = 300, 200
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		base := (h-y)/2 - 10 // a slow fade from 90 at the top to -10 (black) at the bottom
		for x := range w {
			v := uint8(max(0, min(255, base+(x*7+y*13)%17-8)))
			img.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	whole := image.Rect(0, 0, w, h)
	if b := Preprocess(img).Bounds(); b != whole {
		t.Errorf("original trimmed to %v, want %v", b, whole)
	}
	dark := imaging.AdjustBrightness(img, -10)
	if b := Preprocess(dark).Bounds(); b != whole {
		t.Errorf("darkened copy trimmed to %v, want %v (its clipped band fades into the picture)", b, whole)
	}
	padded := addBorder(dark, 30, color.NRGBA{128, 128, 128, 255})
	if b := Preprocess(padded).Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("padded darkened copy trimmed to %v, want %dx%d", b, w, h)
	}
}

func TestPreprocessCapsSize(t *testing.T) {
	big := image.NewGray(image.Rect(0, 0, 2000, 1000))
	for i := range big.Pix {
		big.Pix[i] = uint8(i * 7)
	}
	if b := Preprocess(big).Bounds(); b.Dx() != MaxSide || b.Dy() != MaxSide/2 {
		t.Errorf("capped to %v, want %dx%d", b, MaxSide, MaxSide/2)
	}
}

func TestHashRefusals(t *testing.T) {
	photo := readFile(t, photoPaths(t)[0])
	tiny := encodePNG(t, image.NewGray(image.Rect(0, 0, 63, 300)))
	tests := []struct {
		name string
		cfg  Config
		data []byte
		want error
	}{
		{"empty input is not an image", Config{}, nil, ErrNotImage},
		{"text is not an image", Config{}, []byte("<html>hello</html>"), ErrNotImage},
		{"a truncated jpeg is not an image", Config{}, photo[:len(photo)/2], ErrNotImage},
		{"a 63 px side is too small", Config{}, tiny, ErrTooSmall},
		{"bytes over MaxBytes are too large", Config{MaxBytes: 1000}, photo, ErrTooLarge},
		{"pixels over MaxPixels are too large", Config{MaxPixels: 512 * 319}, photo, ErrTooLarge},
		{"a png bomb header is too large", Config{}, pngHeader(100000, 100000), ErrTooLarge},
		{"an absurd png header is too large", Config{}, pngHeader(1<<30, 4), ErrTooLarge},
		{"tiff is refused", Config{}, []byte("II*\x00\x08\x00\x00\x00\x00\x00"), ErrNotImage},
		{"a jpeg bomb header is too large", Config{}, jpegWithSize(t, 65000, 65000), ErrTooLarge},
	}
	h := New(Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hh := h
			if tc.cfg != (Config{}) {
				hh = New(tc.cfg)
			}
			_, err := hh.Hash(tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// pngHeader returns a PNG signature and IHDR chunk claiming w×h RGBA pixels
// followed by a small IDAT of zeros: a decompression bomb's header.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		b.Write(n[:])
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.BigEndian.PutUint32(n[:], c.Sum32())
		b.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// jpegWithSize returns a small JPEG whose SOF header is rewritten to claim
// w×h pixels.
func jpegWithSize(t testing.TB, w, h uint16) []byte {
	data := encodeJPEG(t, image.NewGray(image.Rect(0, 0, 64, 64)), 50)
	for i := 2; i+9 < len(data); i++ {
		if data[i] == 0xff && data[i+1] == 0xc0 {
			binary.BigEndian.PutUint16(data[i+5:], h)
			binary.BigEndian.PutUint16(data[i+7:], w)
			return data
		}
	}
	t.Fatal("no SOF0 marker")
	return nil
}

// TestBombIsRefusedQuicklyInBoundedMemory hashes a PNG claiming 10^10 pixels
// (40 GB decoded) and requires a fast refusal that allocates almost nothing.
func TestBombIsRefusedQuicklyInBoundedMemory(t *testing.T) {
	bomb := pngHeader(100000, 100000)
	h := New(Config{})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range 100 {
		if _, err := h.Hash(bomb); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error %v, want ErrTooLarge", err)
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if perCall := (after.TotalAlloc - before.TotalAlloc) / 100; perCall > 1<<20 {
		t.Errorf("refusing a bomb allocated %d bytes per call, want < 1 MiB", perCall)
	}
	if elapsed > time.Second {
		t.Errorf("100 refusals took %v, want well under a second", elapsed)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b    string
		want    int
		wantErr bool
	}{
		{"00", "ff", 8, false},
		{"0f0f", "0F0E", 1, false},
		{"d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22", "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22", 0, false},
		{"00", "0000", 0, true},
		{"zz", "00", 0, true},
		{"", "", 0, true},
	}
	for _, tc := range tests {
		got, err := Distance(tc.a, tc.b)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, %v; want %d, error %v", tc.a, tc.b, got, err, tc.want, tc.wantErr)
		}
	}
	if _, err := ParsePDQ("00"); err == nil {
		t.Error("ParsePDQ accepted 2 hex digits")
	}
	if v, err := ParsePHash("8000000000000001"); err != nil || v != 1<<63|1 {
		t.Errorf("ParsePHash = %x, %v", v, err)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
