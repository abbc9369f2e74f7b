package imagehash

import (
	"image"
	"image/color"
	"math"
	"slices"
)

// This file implements PDQ, Meta's 256-bit perceptual image hash, following
// the C++ reference (pdq/cpp in github.com/facebook/ThreatExchange): luma in
// float32, two passes of a Jarosz box filter, decimation to 64×64, the first
// 16×16 DCT coefficients (skipping DC) and a threshold at their median.

// pdqRefMaxSide is the largest side the reference hashes as is; larger images
// are resampled to exactly pdqRefMaxSide×pdqRefMaxSide by nearest neighbour.
const pdqRefMaxSide = 512

// dctMatrix is the 16×64 DCT-II matrix of the reference, rows 1..16.
var dctMatrix = func() (m [16][64]float32) {
	scale := math.Sqrt(2.0 / 64.0)
	for i := range 16 {
		for j := range 64 {
			m[i][j] = float32(scale * math.Cos((math.Pi/2/64.0)*float64(i+1)*float64(2*j+1)))
		}
	}
	return m
}()

// PDQFromImage returns the PDQ hash of img exactly as the reference computes
// it for a decoded file: no orientation, alpha ignored, images with a side
// over 512 px resampled to 512×512 by nearest neighbour. The hash is the
// reference's byte order (the 64 hex digits of the reference are
// hex.EncodeToString(hash[:])). Quality is 0 to 100; below 50 the hash is
// not reliable for matching.
func PDQFromImage(img image.Image) (hash [32]byte, quality int) {
	dct, quality := pdqDCT(img)
	return dctToHash(&dct), quality
}

// PDQDihedral returns the PDQ hashes of img and of its seven rotations and
// mirrors, derived from one DCT as the reference's dihedral mode does, in the
// order of DihedralNames: original, rot90 (counter-clockwise), rot180, rot270,
// flipx (top to bottom), flipy (left to right), flipplus (transpose) and
// flipminus (anti-transpose). It also returns the quality of img.
func PDQDihedral(img image.Image) (hashes [8][32]byte, quality int) {
	dct, quality := pdqDCT(img)
	return dihedralHashes(&dct), quality
}

// DihedralNames are the variant names of PDQDihedral's hashes, in order.
var DihedralNames = [8]string{"original", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus", "flipminus"}

func dihedralHashes(a *[16][16]float32) (hashes [8][32]byte) {
	var b [16][16]float32
	hashes[0] = dctToHash(a)
	for v := 1; v < 8; v++ {
		for i := range 16 {
			for j := range 16 {
				x := a[i][j]
				// Index i stands for frequency i+1: even indices are odd
				// frequencies, whose basis functions change sign under a
				// reflection of their axis.
				switch v {
				case 1: // rot90
					if j&1 == 0 {
						x = -x
					}
					b[j][i] = x
				case 2: // rot180
					if (i+j)&1 == 1 {
						x = -x
					}
					b[i][j] = x
				case 3: // rot270
					if i&1 == 0 {
						x = -x
					}
					b[j][i] = x
				case 4: // flipx
					if i&1 == 0 {
						x = -x
					}
					b[i][j] = x
				case 5: // flipy
					if j&1 == 0 {
						x = -x
					}
					b[i][j] = x
				case 6: // flipplus
					b[j][i] = x
				case 7: // flipminus
					if (i+j)&1 == 1 {
						x = -x
					}
					b[j][i] = x
				}
			}
		}
		hashes[v] = dctToHash(&b)
	}
	return hashes
}

// dctToHash thresholds the 16×16 coefficients at their median (the 128th
// smallest, as the reference's Torben median) into the reference layout:
// bit 16i+j is B[i][j] > median, word i printed from 15 down to 0.
func dctToHash(b *[16][16]float32) (hash [32]byte) {
	var flat [256]float32
	for i := range 16 {
		copy(flat[16*i:16*i+16], b[i][:])
	}
	sorted := flat
	slices.Sort(sorted[:])
	median := sorted[127]
	for i := range 16 {
		for j := range 16 {
			if b[i][j] > median {
				byteIdx := (15-i)*2 + 1
				if j >= 8 {
					byteIdx--
				}
				hash[byteIdx] |= 1 << (j & 7)
			}
		}
	}
	return hash
}

// pdqDCT computes the reference's 16×16 DCT block and quality of img.
func pdqDCT(img image.Image) (dct [16][16]float32, quality int) {
	luma, w, h := pdqLuma(img)
	if w == 0 || h == 0 {
		return dct, 0
	}
	var small [64][64]float32
	downsample(luma, w, h, &small)
	return dct64To16(&small), pdqQuality(&small)
}

// downsample applies the Jarosz filter to luma (w×h, modified in place) and
// decimates it into out.
func downsample(luma []float32, w, h int, out *[64][64]float32) {
	tmp := make([]float32, len(luma))
	winRows := jaroszWindow(w) // along each row
	winCols := jaroszWindow(h) // along each column
	for range 2 {
		boxRows(luma, tmp, w, h, winRows)
		boxCols(tmp, luma, w, h, winCols)
	}
	for i := range 64 {
		ini := int((float64(i) + 0.5) * float64(h) / 64)
		row := luma[ini*w:]
		for j := range 64 {
			inj := int((float64(j) + 0.5) * float64(w) / 64)
			out[i][j] = row[inj]
		}
	}
}

func jaroszWindow(oldDim int) int { return (oldDim + 2*64 - 1) / (2 * 64) }

// boxRows is the reference's box1DFloat over every row of in.
func boxRows(in, out []float32, w, h, win int) {
	half := (win + 2) / 2
	p1, p2, p3, p4 := half-1, win-half+1, w-win, half-1
	for r := range h {
		iv := in[r*w : r*w+w]
		ov := out[r*w : r*w+w]
		li, ri, oi := 0, 0, 0
		var sum float32
		cur := 0
		for range p1 {
			sum += iv[ri]
			cur++
			ri++
		}
		for range p2 {
			sum += iv[ri]
			cur++
			ov[oi] = sum / float32(cur)
			ri++
			oi++
		}
		for range p3 {
			sum += iv[ri]
			sum -= iv[li]
			ov[oi] = sum / float32(cur)
			li++
			ri++
			oi++
		}
		for range p4 {
			sum -= iv[li]
			cur--
			ov[oi] = sum / float32(cur)
			li++
			oi++
		}
	}
}

// boxCols is the reference's box1DFloat down every column of in, computed a
// row at a time for all columns (same arithmetic, cache friendly).
func boxCols(in, out []float32, w, h, win int) {
	half := (win + 2) / 2
	p1, p2, p3, p4 := half-1, win-half+1, h-win, half-1
	sum := make([]float32, w)
	li, ri, oi := 0, 0, 0
	cur := 0
	add := func(r int) {
		row := in[r*w : r*w+w]
		for j := range sum {
			sum[j] += row[j]
		}
	}
	sub := func(r int) {
		row := in[r*w : r*w+w]
		for j := range sum {
			sum[j] -= row[j]
		}
	}
	write := func(r int) {
		row := out[r*w : r*w+w]
		c := float32(cur)
		for j := range sum {
			row[j] = sum[j] / c
		}
	}
	for range p1 {
		add(ri)
		cur++
		ri++
	}
	for range p2 {
		add(ri)
		cur++
		write(oi)
		ri++
		oi++
	}
	for range p3 {
		add(ri)
		sub(li)
		write(oi)
		li++
		ri++
		oi++
	}
	for range p4 {
		sub(li)
		cur--
		write(oi)
		li++
		oi++
	}
}

// dct64To16 returns D·A·Dᵀ in float32, summed in the reference's order.
func dct64To16(a *[64][64]float32) (b [16][16]float32) {
	var t [16][64]float32
	for i := range 16 {
		d := &dctMatrix[i]
		for j := range 64 {
			var s float32
			for k := range 64 {
				s += d[k] * a[k][j]
			}
			t[i][j] = s
		}
	}
	for i := range 16 {
		for j := range 16 {
			var s float32
			for k := range 64 {
				s += t[i][k] * dctMatrix[j][k]
			}
			b[i][j] = s
		}
	}
	return b
}

// pdqQuality is the reference's gradient-sum quality metric, 0 to 100.
func pdqQuality(a *[64][64]float32) int {
	sum := 0
	for i := range 63 {
		for j := range 64 {
			d := int((a[i][j] - a[i+1][j]) * 100 / 255)
			sum += abs(d)
		}
	}
	for i := range 64 {
		for j := range 63 {
			d := int((a[i][j] - a[i][j+1]) * 100 / 255)
			sum += abs(d)
		}
	}
	return min(sum/90, 100)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// pdqLuma returns the luma plane of img (0.299R+0.587G+0.114B in float32,
// the grey value for grey images), resampled to 512×512 by nearest
// neighbour when a side exceeds 512, as the reference does.
func pdqLuma(img image.Image) (luma []float32, w, h int) {
	bnd := img.Bounds()
	sw, sh := bnd.Dx(), bnd.Dy()
	if sw <= 0 || sh <= 0 {
		return nil, 0, 0
	}
	w, h = sw, sh
	xs := make([]int, 0, w)
	ys := make([]int, 0, h)
	if sw > pdqRefMaxSide || sh > pdqRefMaxSide {
		w, h = pdqRefMaxSide, pdqRefMaxSide
		for x := range w {
			xs = append(xs, bnd.Min.X+x*sw/w)
		}
		for y := range h {
			ys = append(ys, bnd.Min.Y+y*sh/h)
		}
	} else {
		for x := range w {
			xs = append(xs, bnd.Min.X+x)
		}
		for y := range h {
			ys = append(ys, bnd.Min.Y+y)
		}
	}
	luma = make([]float32, w*h)
	const cr, cg, cb = float32(0.299), float32(0.587), float32(0.114)
	rgb := func(r, g, b uint8) float32 {
		return cr*float32(r) + cg*float32(g) + cb*float32(b)
	}
	switch m := img.(type) {
	case *image.Gray:
		for y, sy := range ys {
			for x, sx := range xs {
				luma[y*w+x] = float32(m.Pix[m.PixOffset(sx, sy)])
			}
		}
	case *image.YCbCr:
		for y, sy := range ys {
			for x, sx := range xs {
				yi, ci := m.YOffset(sx, sy), m.COffset(sx, sy)
				r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				luma[y*w+x] = rgb(r, g, b)
			}
		}
	case *image.NRGBA:
		for y, sy := range ys {
			for x, sx := range xs {
				i := m.PixOffset(sx, sy)
				luma[y*w+x] = rgb(m.Pix[i], m.Pix[i+1], m.Pix[i+2])
			}
		}
	case *image.RGBA:
		for y, sy := range ys {
			for x, sx := range xs {
				i := m.PixOffset(sx, sy)
				luma[y*w+x] = rgb(m.Pix[i], m.Pix[i+1], m.Pix[i+2])
			}
		}
	default:
		for y, sy := range ys {
			for x, sx := range xs {
				c := color.NRGBAModel.Convert(img.At(sx, sy)).(color.NRGBA)
				luma[y*w+x] = rgb(c.R, c.G, c.B)
			}
		}
	}
	return luma, w, h
}
