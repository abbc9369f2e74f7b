// Package imagehash computes the hashes Vigil matches images by: SHA-256 and
// MD5 of the bytes, Meta's PDQ (256 bits, with quality and the 8 dihedral
// variants) and pHash64 (goimagehash.PerceptionHash), all hex encoded.
//
// Hasher.Hash and Hasher.QueryVariants preprocess identically, so a crawled
// image and an analyst's query image are compared like for like: EXIF
// orientation applied, alpha flattened on white, uniform borders trimmed and
// the longest side capped at MaxSide pixels. PDQFromImage and PDQDihedral are
// the raw algorithm without that preprocessing (the reference's behaviour,
// used for conformance).
package imagehash

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // Register GIF.
	_ "image/jpeg" // Register JPEG.
	_ "image/png"  // Register PNG.

	"github.com/corona10/goimagehash"
	"github.com/disintegration/imaging"
	_ "golang.org/x/image/bmp"  // Register BMP.
	_ "golang.org/x/image/webp" // Register WebP.
)

// Errors returned by Hasher methods; test with errors.Is.
var (
	// ErrNotImage means the bytes are not an image in a supported format
	// (JPEG, PNG, GIF, WebP, BMP) or are corrupt. TIFF is refused: its
	// decoder is not safe on hostile input.
	ErrNotImage = errors.New("not a supported image")
	// ErrTooSmall means the image's shorter side is below Config.MinSide.
	ErrTooSmall = errors.New("image too small")
	// ErrTooLarge means the image has more bytes than Config.MaxBytes or
	// more pixels than Config.MaxPixels (judged from its header, before
	// decoding, so a decompression bomb costs neither time nor memory).
	ErrTooLarge = errors.New("image too large")
)

// Defaults of Config's zero fields.
const (
	DefaultMaxPixels = 40_000_000
	DefaultMinSide   = 64
	DefaultMaxBytes  = 20 << 20
	// MaxSide is the longest side images are downscaled to before hashing.
	MaxSide = 512
)

// Config bounds what a Hasher accepts. Its zero value works: every zero
// field takes its default.
type Config struct {
	MaxPixels int // width×height from the header; default 40e6
	MinSide   int // smaller images fail with ErrTooSmall; default 64
	MaxBytes  int // larger inputs fail with ErrTooLarge; default 20 MiB
}

// Hashes are the hashes of one image, all lower-case hex.
type Hashes struct {
	SHA256     string `json:"sha256"` // of the bytes as given
	MD5        string `json:"md5"`    // of the bytes as given
	PDQ        string `json:"pdq"`    // 64 hex digits, the reference's format
	PDQQuality int    `json:"pdq_quality"`
	PHash      string `json:"phash"`  // 16 hex digits of goimagehash.PerceptionHash
	Width      int    `json:"width"`  // as decoded, after EXIF orientation
	Height     int    `json:"height"` // as decoded, after EXIF orientation
	Format     string `json:"format"` // "jpeg", "png", "gif", "webp" or "bmp"
}

// Hasher hashes images. It is safe for concurrent use.
type Hasher struct {
	cfg Config
}

// New returns a Hasher with cfg, zero fields replaced by their defaults.
func New(cfg Config) *Hasher {
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = DefaultMaxPixels
	}
	if cfg.MinSide <= 0 {
		cfg.MinSide = DefaultMinSide
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	return &Hasher{cfg: cfg}
}

// Hash decodes data and returns its hashes. It returns ErrTooLarge,
// ErrTooSmall or ErrNotImage (wrapped) when the image is refused; the
// SHA-256 and MD5 are filled in even then, when data is within MaxBytes.
func (h *Hasher) Hash(data []byte) (Hashes, error) {
	var hs Hashes
	if len(data) > h.cfg.MaxBytes {
		return hs, fmt.Errorf("%d bytes, limit %d: %w", len(data), h.cfg.MaxBytes, ErrTooLarge)
	}
	hs.SHA256, hs.MD5 = byteHashes(data)
	img, format, err := h.decode(data)
	if err != nil {
		return hs, err
	}
	hs.Format = format
	hs.Width, hs.Height = img.Bounds().Dx(), img.Bounds().Dy()
	pre := Preprocess(img)
	pdq, quality := PDQFromImage(pre)
	hs.PDQ, hs.PDQQuality = hex.EncodeToString(pdq[:]), quality
	ph, err := pHash(pre)
	if err != nil {
		return hs, err
	}
	hs.PHash = ph
	return hs, nil
}

func byteHashes(data []byte) (sha, md string) {
	s := sha256.Sum256(data)
	m := md5.Sum(data)
	return hex.EncodeToString(s[:]), hex.EncodeToString(m[:])
}

func pHash(img image.Image) (string, error) {
	ph, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return "", fmt.Errorf("phash: %w", err)
	}
	return fmt.Sprintf("%016x", ph.GetHash()), nil
}

// decode checks data's header against the limits, then decodes it with EXIF
// orientation applied. A panicking decoder is reported as ErrNotImage.
func (h *Hasher) decode(data []byte) (img image.Image, format string, err error) {
	// The TIFF decoder (registered by imaging) allocates what a hostile
	// header asks for, even in DecodeConfig; TIFF is refused unread.
	if bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")) {
		return nil, "tiff", fmt.Errorf("%w: tiff is not accepted", ErrNotImage)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, format, fmt.Errorf("%w: %s header says %dx%d", ErrNotImage, format, cfg.Width, cfg.Height)
	}
	// Compare in int64 after dividing to avoid overflow on absurd headers.
	if int64(cfg.Width) > int64(h.cfg.MaxPixels)/int64(cfg.Height) {
		return nil, format, fmt.Errorf("%s header says %dx%d, limit %d pixels: %w", format, cfg.Width, cfg.Height, h.cfg.MaxPixels, ErrTooLarge)
	}
	if min(cfg.Width, cfg.Height) < h.cfg.MinSide {
		return nil, format, fmt.Errorf("%dx%d, minimum side %d: %w", cfg.Width, cfg.Height, h.cfg.MinSide, ErrTooSmall)
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: %s decoder panicked: %v", ErrNotImage, format, r)
		}
	}()
	img, err = imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, format, fmt.Errorf("%w: decode %s: %w", ErrNotImage, format, err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width && b.Dx() != cfg.Height || int64(b.Dx())*int64(b.Dy()) > int64(h.cfg.MaxPixels) {
		return nil, format, fmt.Errorf("%w: %s decoded to %dx%d, header said %dx%d", ErrNotImage, format, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, format, nil
}
