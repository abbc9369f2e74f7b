package crawler

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

func encoded(t *testing.T, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(3, 3, color.White)
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestClassifyJudgesTheBytesAlone(t *testing.T) {
	ftyp := func(brand string, compat ...string) []byte {
		box := []byte(brand + "\x00\x00\x00\x00" + strings.Join(compat, ""))
		n := 8 + len(box)
		return append([]byte{0, 0, 0, byte(n), 'f', 't', 'y', 'p'}, box...)
	}
	tests := []struct {
		name string
		head []byte
		want Class
	}{
		{"JPEG", encoded(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }), ClassImage},
		{"PNG", encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }), ClassImage},
		{"GIF", encoded(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }), ClassImage},
		{"BMP", encoded(t, func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }), ClassImage},
		{"TIFF", encoded(t, func(b *bytes.Buffer, m image.Image) error { return tiff.Encode(b, m, nil) }), ClassImage},
		{"WebP", []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), ClassImage},
		{"ICO", []byte("\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00"), ClassImage},
		{"AVIF", ftyp("avif", "avif", "mif1", "miaf"), ClassImage},
		{"HEIC", ftyp("heic", "mif1", "heic"), ClassImage},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>`), ClassImage},
		{"MP4 video", ftyp("isom", "isom", "iso2", "avc1", "mp41"), ClassMedia},
		{"WebM video", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"), ClassMedia},
		{"MP3 audio", []byte("ID3\x04\x00\x00\x00\x00\x10\x00TIT2"), ClassMedia},
		{"WAV audio", []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"), ClassMedia},
		{"Ogg", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"), ClassMedia},
		{"zip archive", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), ClassMedia},
		{"gzip archive", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), ClassMedia},
		{"PDF", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), ClassMedia},
		{"HTML", []byte("<!DOCTYPE html><html><head><title>x</title></head></html>"), ClassPage},
		{"HTML without doctype", []byte("  \n<html><body>Photos: 12</body></html>"), ClassPage},
		{"text that starts like a BMP", []byte("BM cars for sale, call +44 20 7946 0123"), ClassPage},
		{"JSON", []byte(`{"photo":"/img/1.jpg"}`), ClassPage},
		{"empty body", nil, ClassPage},
		{"bytes of no known format", bytes.Repeat([]byte{0x13, 0x37}, 100), ClassPage},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is a "+tt.want.String(), func(t *testing.T) {
			got, mt := Classify(tt.head)
			if got != tt.want {
				t.Errorf("Classify = %s (%s), want %s", got, mt, tt.want)
			}
		})
	}
}

func TestParseSrcsetFollowsTheStandard(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"width descriptors", "/a-480.jpg 480w, /a-640.jpg 640w", []string{"/a-480.jpg", "/a-640.jpg"}},
		{"a comma inside a URL", "/a-640,q80.jpg 640w, /b.jpg 800w", []string{"/a-640,q80.jpg", "/b.jpg"}},
		{"candidates over several lines", "/a.jpg 1x,\n     /b.jpg 2x", []string{"/a.jpg", "/b.jpg"}},
		{"a candidate without descriptors", "/a.jpg, /b.jpg 2x", []string{"/a.jpg", "/b.jpg"}},
		{"parentheses in a descriptor", "/a.jpg 1x (x, y), /b.jpg", []string{"/a.jpg", "/b.jpg"}},
		{"empty", " , ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseSrcset(tt.in); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("parseSrcset(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseCSSURLsReadsEveryQuoting(t *testing.T) {
	css := `background-image:url('/a.jpg'); background: #fff url("/b.jpg") no-repeat; x: URL( /c.jpg ); y: url()`
	if got := strings.Join(parseCSSURLs(css), "|"); got != "/a.jpg|/b.jpg|/c.jpg" {
		t.Errorf("parseCSSURLs = %q", got)
	}
}

func TestScrubDataImagesLeavesNoImageInTheBody(t *testing.T) {
	pngBytes := encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	jpg := encoded(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	b64 := func(b []byte) string { return base64Std(b) }
	wrapped := b64(jpg)[:40] + "\n" + b64(jpg)[40:]
	body := `<img src="data:image/png;base64,` + b64(pngBytes) + `" alt="x">` +
		`<div style="background-image: url(data:image/jpeg;base64,` + wrapped + `)"></div>` +
		`<a href="data:application/octet-stream;base64,` + b64(jpg) + `">dl</a>` +
		`<a href="data:text/plain;base64,aGVsbG8=">text</a>` +
		`<p>truncated: data:image/png;base64,` + b64(pngBytes)[:30]
	clean, images := ScrubDataImages([]byte(body))
	if len(images) != 4 {
		t.Fatalf("%d images taken out, want 4 (png, wrapped jpeg, jpeg as octet-stream, truncated png)", len(images))
	}
	if !bytes.Equal(images[0].Bytes, pngBytes) || !bytes.Equal(images[1].Bytes, jpg) || !bytes.Equal(images[2].Bytes, jpg) {
		t.Errorf("decoded images differ from the originals")
	}
	for _, im := range images {
		if !bytes.Contains(clean, []byte(RemovedImageRef(im.SHA256))) {
			t.Errorf("no placeholder for %s", im.SHA256)
		}
	}
	for _, leak := range []string{b64(pngBytes)[8:40], b64(jpg)[60:90], "image/png;base64", "\n" + b64(jpg)[40:60]} {
		if bytes.Contains(clean, []byte(leak)) {
			t.Errorf("the clean body still holds %q:\n%s", leak, clean)
		}
	}
	for _, keep := range []string{`alt="x"`, `)"></div>`, "data:text/plain;base64,aGVsbG8=", `">dl</a>`} {
		if !bytes.Contains(clean, []byte(keep)) {
			t.Errorf("the clean body lost %q:\n%s", keep, clean)
		}
	}
	if c, imgs := ScrubDataImages([]byte("<p>no images</p>")); imgs != nil || string(c) != "<p>no images</p>" {
		t.Errorf("a body without data: images changed")
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
