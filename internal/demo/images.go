package demo

import (
	"bytes"
	"image"

	"image/jpeg"
	"image/png"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/disintegration/imaging"
)

// PlantedImage is one image the site serves.
type PlantedImage struct {
	Path      string   // URL path under /img/
	PagePaths []string // the pages whose <img src> refers to it
	Format    string   // "png" or "jpeg"
	Width     int
	Height    int
	// NearDuplicateOf is the Path of the original when this image is a
	// resized, re-encoded copy of it (Config.NearDuplicates); "" otherwise.
	NearDuplicateOf string
	// Bytes returns the image file exactly as served. It is safe for
	// concurrent use; the caller must not modify the result.
	Bytes func() []byte
}

type imageSpec struct {
	path   string
	w, h   int
	png    bool
	source int // index of the original for a near-duplicate, -1 otherwise
	pages  []int
}

// Images larger than this count are rendered per request instead of cached,
// to bound memory on very large sites.
const maxCachedImages = 1024

func (s *Site) layoutImages() {
	e := s.cfg.ImageEvery
	s.imageByURL = map[string]int{}
	s.pageImages = map[int][]int{}
	if e < 0 {
		return
	}
	for ord := 0; ord < len(s.refs); ord += e {
		i := len(s.images)
		r := newRnd(s.cfg.Seed, keyImage, uint64(i))
		w := 128 + r.intn(385)
		h := min(512, max(128, w*(60+r.intn(100))/100))
		isPNG := i%3 == 0
		ext := ".jpg"
		if isPNG {
			ext = ".png"
		}
		s.images = append(s.images, imageSpec{path: "/img/" + strconv.Itoa(i) + ext, w: w, h: h, png: isPNG, source: -1, pages: []int{ord}})
	}
	if s.cfg.NearDuplicates {
		n := len(s.images)
		for i := 0; i < n; i += 4 {
			src := s.images[i]
			page := min(src.pages[0]+1, len(s.refs)-1)
			s.images = append(s.images, imageSpec{
				path: "/img/" + strconv.Itoa(i) + "-alt.jpg",
				w:    max(128, src.w*3/4), h: max(128, src.h*3/4),
				source: i, pages: []int{page},
			})
		}
	}
	for i, im := range s.images {
		s.imageByURL[im.path] = i
		for _, p := range im.pages {
			s.pageImages[p] = append(s.pageImages[p], i)
		}
	}
	s.imageCache = make([]atomic.Pointer[[]byte], min(len(s.images), maxCachedImages))
}

// Images is every image the site serves, originals first, then the
// near-duplicate copies.
func (s *Site) Images() []PlantedImage {
	out := make([]PlantedImage, len(s.images))
	for i, im := range s.images {
		pi := PlantedImage{Path: im.path, Width: im.w, Height: im.h, Format: "jpeg", Bytes: func() []byte { return s.imageBytes(i) }}
		if im.png {
			pi.Format = "png"
		}
		if im.source >= 0 {
			pi.NearDuplicateOf = s.images[im.source].path
		}
		for _, p := range im.pages {
			pi.PagePaths = append(pi.PagePaths, s.paths[p])
		}
		out[i] = pi
	}
	return out
}

// imageBytes is the encoded image i, cached for the first maxCachedImages.
// Two goroutines may both render an uncached image; they produce the same
// bytes and one of them is kept.
func (s *Site) imageBytes(i int) []byte {
	if i < len(s.imageCache) {
		if p := s.imageCache[i].Load(); p != nil {
			return *p
		}
	}
	b := s.encodeImage(i)
	if i < len(s.imageCache) {
		s.imageCache[i].CompareAndSwap(nil, &b)
		return *s.imageCache[i].Load()
	}
	return b
}

func (s *Site) encodeImage(i int) []byte {
	im := s.images[i]
	var buf bytes.Buffer
	if im.source >= 0 {
		src := s.drawImage(im.source)
		small := imaging.Resize(src, im.w, im.h, imaging.Lanczos)
		if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: 80}); err != nil {
			panic("demo: encode jpeg: " + err.Error()) // writing to a bytes.Buffer cannot fail
		}
		return buf.Bytes()
	}
	img := s.drawImage(i)
	var err error
	if im.png {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	}
	if err != nil {
		panic("demo: encode image: " + err.Error()) // writing to a bytes.Buffer cannot fail
	}
	return buf.Bytes()
}

type shape struct {
	kind           int // 0 disc, 1 rectangle, 2 ring, 3 stripes band
	cx, cy, rx, ry float64
	c              [3]float64
}

// drawImage renders original image i: a two-colour gradient at a random
// angle, a wavy texture, a few large shapes and mild noise, so that
// perceptual hashes of different images differ and each has real structure.
func (s *Site) drawImage(i int) *image.RGBA {
	im := s.images[i]
	r := newRnd(s.cfg.Seed, keyImage, uint64(i), 1)
	col := func() [3]float64 {
		return [3]float64{float64(r.intn(256)), float64(r.intn(256)), float64(r.intn(256))}
	}
	// One gradient colour is dark and the other light, so every image spans
	// a wide range of brightness.
	var c1, c2 [3]float64
	for ch := range 3 {
		c1[ch], c2[ch] = float64(r.intn(96)), float64(160+r.intn(96))
	}
	if r.intn(2) == 0 {
		c1, c2 = c2, c1
	}
	ang := float64(r.intn(360)) * math.Pi / 180
	ca, sa := math.Cos(ang), math.Sin(ang)
	fx, fy := float64(1+r.intn(12))/float64(im.w)*2*math.Pi, float64(1+r.intn(12))/float64(im.h)*2*math.Pi
	amp := float64(10 + r.intn(40))
	shapes := make([]shape, 3+r.intn(5))
	for k := range shapes {
		shapes[k] = shape{
			kind: r.intn(4),
			cx:   float64(r.intn(im.w)), cy: float64(r.intn(im.h)),
			rx: float64(im.w/10 + r.intn(im.w/3)), ry: float64(im.h/10 + r.intn(im.h/3)),
			c: col(),
		}
	}
	noise := r.next()
	img := image.NewRGBA(image.Rect(0, 0, im.w, im.h))
	diag := math.Hypot(float64(im.w), float64(im.h))
	// sin(fx*x + fy*y) = sin(fx*x)cos(fy*y) + cos(fx*x)sin(fy*y): tabulate
	// per column and row instead of calling sin per pixel.
	sx, cx := make([]float64, im.w), make([]float64, im.w)
	for x := range im.w {
		sx[x], cx[x] = math.Sincos(fx * float64(x))
	}
	var p [3]float64
	for y := range im.h {
		fy0 := float64(y)
		sy, cy := math.Sincos(fy * fy0)
		for x := range im.w {
			fx0 := float64(x)
			t := 0.5 + (fx0*ca+fy0*sa)/diag
			t = min(1, max(0, t))
			for ch := range 3 {
				p[ch] = c1[ch]*(1-t) + c2[ch]*t
			}
			wave := amp * (sx[x]*cy + cx[x]*sy)
			for k := range shapes {
				sh := &shapes[k]
				dx, dy := (fx0-sh.cx)/sh.rx, (fy0-sh.cy)/sh.ry
				if dx > 1 || dx < -1 || dy > 1 || dy < -1 {
					continue
				}
				in := false
				switch sh.kind {
				case 0:
					in = dx*dx+dy*dy <= 1
				case 1:
					in = dy <= 0.6 && dy >= -0.6
				case 2:
					d := dx*dx + dy*dy
					in = d <= 1 && d >= 0.55
				default:
					in = (x/8)%2 == 0
				}
				if in {
					for ch := range 3 {
						p[ch] = 0.2*p[ch] + 0.8*sh.c[ch]
					}
				}
			}
			noise ^= noise << 13
			noise ^= noise >> 7
			noise ^= noise << 17
			n := float64(int(noise%7) - 3)
			o := img.PixOffset(x, y)
			for ch := range 3 {
				img.Pix[o+ch] = clamp8(p[ch] + wave + n)
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

func clamp8(v float64) uint8 {
	return uint8(min(255, max(0, v)))
}
