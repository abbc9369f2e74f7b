package imagehash

import (
	"image"

	"github.com/disintegration/imaging"
)

// Trimming parameters. A border line is one whose luma differs from the
// corner's by at most trimMeanTolerance on average and trimMaxTolerance at
// any pixel (so JPEG ringing and chroma bleeding at a pad's inner edge still
// count as pad). A border is trimmed only when it ends at an edge: one of
// the trimEdgeLines lines after it differs from the border's luma by at
// least trimMinEdge on average. Trimming never leaves a side shorter than
// trimMinSide.
//
// The edge rule keeps a photo's own dark or bright region from being
// trimmed in one copy and not in another. Darkening a photo by 10% clips a
// dark foreground to black: without the rule that clipped band is trimmed
// in the darkened copy only, and the two PDQ hashes (of different crops)
// end up 90-160 bits apart instead of the 6-14 of the untrimmed images.
// Such a band fades into the picture (mean luma steps of 1-3 over the next
// lines in the photos of make bench-photos), while a pad meets the picture
// it frames at a step (7 or more, and mostly far more).
const (
	trimMeanTolerance = 2
	trimMaxTolerance  = 16
	trimEdgeLines     = 4
	trimMinEdge       = 5
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

// trimBorders crops away rows and columns of uniform colour at the edges.
// Each side is judged on its own, against the mean luma of its outermost
// line, so trimming commutes with rotations and mirrors. It returns m
// itself when nothing is trimmed or when trimming would leave a side under
// trimMinSide pixels.
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
	// line returns the offset and step of line i of a side: rows from the
	// top or bottom, columns from the left or right.
	type side struct{ first, lineStep, pixStep, n, lines int }
	sides := [4]side{
		{0, w, 1, w, h},            // top
		{(h - 1) * w, -w, 1, w, h}, // bottom
		{0, 1, w, h, w},            // left
		{w - 1, -1, w, h, w},       // right
	}
	var cut [4]int
	for s, sd := range sides {
		sum := 0
		for i := range sd.n {
			sum += int(luma[sd.first+i*sd.pixStep])
		}
		ref := (sum + sd.n/2) / sd.n
		for cut[s] < sd.lines && uniformLine(luma, sd.first+cut[s]*sd.lineStep, sd.pixStep, sd.n, ref) {
			cut[s]++
		}
		if cut[s] > 0 && !edgeAfter(luma, sd.first, sd.lineStep, sd.pixStep, sd.n, cut[s], min(cut[s]+trimEdgeLines, sd.lines), ref) {
			cut[s] = 0
		}
	}
	top, bottom, left, right := cut[0], h-cut[1], cut[2], w-cut[3]
	if bottom-top < trimMinSide {
		top, bottom = 0, h
	}
	if right-left < trimMinSide {
		left, right = 0, w
	}
	if top == 0 && left == 0 && bottom == h && right == w {
		return m
	}
	return imaging.Crop(m, image.Rect(left, top, right, bottom))
}

// edgeAfter reports whether one of lines from to end-1 of a side (offset
// first, lines lineStep apart, n pixels pixStep apart) differs from luma
// ref by at least trimMinEdge on average.
func edgeAfter(luma []uint8, first, lineStep, pixStep, n, from, end, ref int) bool {
	for l := from; l < end; l++ {
		start, sum := first+l*lineStep, 0
		for i := range n {
			d := int(luma[start+i*pixStep]) - ref
			if d < 0 {
				d = -d
			}
			sum += d
		}
		if sum >= trimMinEdge*n {
			return true
		}
	}
	return false
}

// uniformLine reports whether the n lumas from start, step apart, are a
// border line of reference luma ref.
func uniformLine(luma []uint8, start, step, n, ref int) bool {
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
