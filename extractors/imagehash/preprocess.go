package imagehash

import (
	"image"

	"github.com/disintegration/imaging"
)

// Trimming parameters. A border line is one whose luma differs from the
// corner's by at most trimMeanTolerance on average and trimMaxTolerance at
// any pixel (so JPEG ringing and chroma bleeding at a pad's inner edge still
// count as pad). Trimming never leaves a side shorter than trimMinSide.
const (
	trimMeanTolerance = 2
	trimMaxTolerance  = 16
	trimMinSide       = 32
	trimRounds        = 4
)

// Preprocess returns the image Vigil hashes for img: alpha flattened on
// white, the longest side downscaled to at most MaxSide (Box filter) and
// uniform borders trimmed. EXIF orientation is applied earlier, when
// decoding. Hash and QueryVariants both use it, so crawl and query sides
// agree.
//
// Trimming is repeated with the new corners until nothing changes, so a pad
// around a photo whose own edge is a flat colour (a night sky, a studio
// backdrop) trims to the same content as the photo without the pad.
func Preprocess(img image.Image) *image.NRGBA {
	m := imaging.Clone(img) // *image.NRGBA with Min at (0, 0)
	flattenOnWhite(m)
	if w, h := m.Bounds().Dx(), m.Bounds().Dy(); max(w, h) > MaxSide {
		m = imaging.Fit(m, MaxSide, MaxSide, imaging.Box)
	}
	for range trimRounds {
		t := trimBorders(m)
		if t == m {
			break
		}
		m = t
	}
	return m
}

// flattenOnWhite composites m over an opaque white background in place.
func flattenOnWhite(m *image.NRGBA) {
	p := m.Pix
	for i := 0; i+3 < len(p); i += 4 {
		a := uint32(p[i+3])
		if a == 255 {
			continue
		}
		for c := range 3 {
			p[i+c] = uint8((uint32(p[i+c])*a + 255*(255-a) + 127) / 255)
		}
		p[i+3] = 255
	}
}

// trimBorders crops away rows and columns of uniform colour at the edges:
// top and left lines matching the top-left corner, bottom and right lines
// matching the bottom-right corner. It returns m itself when nothing is
// trimmed or when trimming would leave a side under trimMinSide pixels.
func trimBorders(m *image.NRGBA) *image.NRGBA {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	if w < trimMinSide || h < trimMinSide {
		return m
	}
	luma := make([]uint8, w*h)
	for y := range h {
		row := m.Pix[y*m.Stride : y*m.Stride+4*w]
		for x := range w {
			r, g, b := int(row[4*x]), int(row[4*x+1]), int(row[4*x+2])
			luma[y*w+x] = uint8((299*r + 587*g + 114*b + 500) / 1000)
		}
	}
	tl, br := int(luma[0]), int(luma[w*h-1])
	// uniform reports whether the n pixels from offset start, step apart,
	// are a border line of reference luma ref.
	uniform := func(start, step, n, ref int) bool {
		sum := 0
		for i := range n {
			d := int(luma[start+i*step]) - ref
			if d < 0 {
				d = -d
			}
			if d > trimMaxTolerance {
				return false
			}
			sum += d
		}
		return sum <= trimMeanTolerance*n
	}
	top, bottom, left, right := 0, h, 0, w
	for top < h && uniform(top*w, 1, w, tl) {
		top++
	}
	for bottom > top && uniform((bottom-1)*w, 1, w, br) {
		bottom--
	}
	if bottom-top < trimMinSide {
		top, bottom = 0, h
	}
	for left < w && uniform(top*w+left, w, bottom-top, tl) {
		left++
	}
	for right > left && uniform(top*w+right-1, w, bottom-top, br) {
		right--
	}
	if right-left < trimMinSide {
		left, right = 0, w
	}
	if top == 0 && left == 0 && bottom == h && right == w {
		return m
	}
	return imaging.Crop(m, image.Rect(left, top, right, bottom))
}
