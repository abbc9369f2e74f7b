package imagehash

import (
	"encoding/hex"
	"errors"
	"fmt"
	"image"

	"vigil"
)

// MinQuality is the PDQ quality below which a hash is not used for matching
// (DESIGN.md §3).
const MinQuality = vigil.MinPDQQuality

// Crop is one crop a query tries: Scale of each side kept (0 < Scale ≤ 1),
// anchored at Anchor ("center", "topleft", "topright", "bottomleft",
// "bottomright", or a side: "top", "bottom", "left", "right").
type Crop struct {
	Scale  float64
	Anchor string
}

// QueryCrops are the crops whose pHash QueryVariants adds: centred at every
// scale from 0.95 to 0.70 in steps of 0.05; anchored at each corner at 0.90,
// 0.85, 0.80 and 0.70; and cut from one side only ("top" keeps the top rows
// and the full width) at 0.90 and 0.80.
var QueryCrops = func() []Crop {
	var cs []Crop
	for _, s := range []float64{0.95, 0.90, 0.85, 0.80, 0.75, 0.70} {
		cs = append(cs, Crop{s, "center"})
		if s == 0.90 || s == 0.85 || s == 0.80 || s == 0.70 {
			for _, a := range []string{"topleft", "topright", "bottomleft", "bottomright"} {
				cs = append(cs, Crop{s, a})
			}
		}
		if s == 0.90 || s == 0.80 {
			for _, a := range []string{"top", "bottom", "left", "right"} {
				cs = append(cs, Crop{s, a})
			}
		}
	}
	return cs
}()

// Name returns the crop's variant name, e.g. "crop-0.85-center".
func (c Crop) Name() string { return fmt.Sprintf("crop-%.2f-%s", c.Scale, c.Anchor) }

// Rect returns the crop of bounds b. The side anchors "top", "bottom",
// "left" and "right" scale one dimension only.
func (c Crop) Rect(b image.Rectangle) image.Rectangle {
	w, h := b.Dx(), b.Dy()
	cw, ch := int(float64(w)*c.Scale+0.5), int(float64(h)*c.Scale+0.5)
	switch c.Anchor {
	case "top", "bottom":
		cw = w
	case "left", "right":
		ch = h
	}
	x, y := (w-cw)/2, (h-ch)/2
	switch c.Anchor {
	case "topleft", "top", "left":
		x, y = 0, 0
	case "topright", "right":
		x, y = w-cw, 0
	case "bottomleft", "bottom":
		x, y = 0, h-ch
	case "bottomright":
		x, y = w-cw, h-ch
	}
	return image.Rect(x, y, x+cw, y+ch).Add(b.Min)
}

// QueryVariants returns the hashes `vigil match` searches for an image:
// SHA-256 and MD5 of data (variant "original"); the PDQ hashes of the
// preprocessed image and of its seven rotations and mirrors (variants
// "original", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus",
// "flipminus"), left out when its PDQ quality is below MinQuality; and the
// pHash of the preprocessed image ("original") and of each of QueryCrops
// (e.g. "crop-0.85-center"). It refuses images as Hash does, with a code
// for the edge: an ETOOLARGE error wrapping ErrTooLarge, an EINVALID error
// wrapping ErrNotImage or ErrTooSmall.
func (h *Hasher) QueryVariants(data []byte) ([]vigil.QueryHash, error) {
	qs, err := h.queryVariants(data)
	switch {
	case err == nil:
		return qs, nil
	case errors.Is(err, ErrTooLarge):
		return nil, fmt.Errorf("%w: %w", vigil.Errorf(vigil.ETOOLARGE, "image too large: %v", err), err)
	case errors.Is(err, ErrNotImage), errors.Is(err, ErrTooSmall):
		return nil, fmt.Errorf("%w: %w", vigil.Errorf(vigil.EINVALID, "cannot hash the image: %v", err), err)
	}
	return nil, err
}

// queryVariants computes QueryVariants' hashes; its errors are Hash's.
func (h *Hasher) queryVariants(data []byte) ([]vigil.QueryHash, error) {
	if len(data) > h.cfg.MaxBytes {
		return nil, fmt.Errorf("%d bytes, limit %d: %w", len(data), h.cfg.MaxBytes, ErrTooLarge)
	}
	img, _, err := h.decode(data)
	if err != nil {
		return nil, err
	}
	sha, md := byteHashes(data)
	qs := []vigil.QueryHash{
		{Algorithm: vigil.AlgoSHA256, Value: sha, Variant: "original"},
		{Algorithm: vigil.AlgoMD5, Value: md, Variant: "original"},
	}
	pre := Preprocess(img)
	pdqs, quality := PDQDihedral(pre)
	if quality >= MinQuality {
		for i, p := range pdqs {
			qs = append(qs, vigil.QueryHash{Algorithm: vigil.AlgoPDQ, Value: hex.EncodeToString(p[:]), Variant: DihedralNames[i]})
		}
	}
	ph, err := pHash(pre)
	if err != nil {
		return nil, err
	}
	qs = append(qs, vigil.QueryHash{Algorithm: vigil.AlgoPHash, Value: ph, Variant: "original"})
	for _, c := range QueryCrops {
		ph, err := pHash(pre.SubImage(c.Rect(pre.Bounds())))
		if err != nil {
			return nil, err
		}
		qs = append(qs, vigil.QueryHash{Algorithm: vigil.AlgoPHash, Value: ph, Variant: c.Name()})
	}
	return qs, nil
}
