// Package match answers "where does this photo appear?": it hashes a query
// image in memory exactly as crawled images are hashed (imagehash's
// QueryVariants: dihedral PDQ variants, pHash of crops, SHA-256 and MD5),
// searches an image index, and tags each hit with the band DESIGN.md §3
// gives it (vigil.BandMatch or vigil.BandReview).
//
// The query photo is never written anywhere: Match reads it from memory and
// keeps nothing but the hits.
package match

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil"
)

// Thresholds of the bands (DESIGN.md §3).
const (
	PDQMatch    = 31 // PDQ distance ≤ 31 (quality ≥ 50 both sides) is a match
	PDQReview   = 63 // PDQ 32–63 is for review
	PHashMatch  = 10 // pHash64 ≤ 10 is a match
	PHashReview = 12 // pHash64 11–12 is for review
	// PHashCropMatch is the match threshold of a pHash hit through one of
	// the query's crop variants (imagehash.QueryCrops); 9–12 is for review.
	// A query tries 30 crops besides the original, and each is one more
	// chance for an unrelated image to fall within the radius: at 10 the
	// crops of 118 photos matched 2–4 other images in make bench-photos,
	// all at distance 10, while ≥ 97.5% of copies cropped by up to 15% are
	// within 8 of a crop variant.
	PHashCropMatch = 8
	// MinQuality is the PDQ quality below which a hash is not matched on.
	MinQuality = vigil.MinPDQQuality
)

// QueryHasher hashes a query photo in memory into the hashes to search for
// (the original and its variants). An image that cannot be decoded or is
// too small is an EINVALID error; one over the size or pixel limits an
// ETOOLARGE error. *imagehash.Hasher implements it.
type QueryHasher interface {
	QueryVariants(data []byte) ([]vigil.QueryHash, error)
}

// Matcher matches photos against an image index. Both fields are required.
// It is safe for concurrent use when Hasher and Index are.
type Matcher struct {
	Hasher QueryHasher
	Index  vigil.ImageIndex
}

// Variants returns the query hashes of the image data (see QueryHasher).
// An image that cannot be decoded or is too small yields an EINVALID error;
// one over the size or pixel limits an ETOOLARGE error; other errors are
// returned wrapped.
func (m *Matcher) Variants(data []byte) ([]vigil.QueryHash, error) {
	qs, err := m.Hasher.QueryVariants(data)
	switch {
	case err == nil:
		return qs, nil
	case vigil.ErrorCode(err) == vigil.EINTERNAL:
		return nil, fmt.Errorf("hash query image: %w", err)
	}
	return nil, err
}

// Match hashes data in memory and returns the stored images near it, as
// MatchHashes does. Errors are those of Variants and MatchHashes.
func (m *Matcher) Match(ctx context.Context, data []byte, opt vigil.MatchOptions) ([]vigil.ImageHit, error) {
	qs, err := m.Variants(data)
	if err != nil {
		return nil, err
	}
	return m.MatchHashes(ctx, qs, opt)
}

// MatchHashes searches the index for qs (PDQ, pHash, SHA-256 and MD5 query
// hashes, as Variants returns) and returns one hit per image URL and page
// URL, with FirstSeen, LastSeen and Seen over that image's captures. Each
// hit carries its best evidence: the best band first (match, then review),
// then the exact hashes, then the smallest distance relative to the hash
// width. PDQ hits on a stored hash of quality below MinQuality are dropped.
// Hits are ordered by band, then relative distance, then image ID. Index
// errors are returned wrapped.
func (m *Matcher) MatchHashes(ctx context.Context, qs []vigil.QueryHash, opt vigil.MatchOptions) ([]vigil.ImageHit, error) {
	pdqR, phR := cmp.Or(opt.PDQRadius, PDQReview), cmp.Or(opt.PHashRadius, PHashReview)
	pdqR, phR = min(pdqR, 256), min(phR, 64)
	limit := min(max(cmp.Or(opt.Limit, vigil.DefaultImageLimit), 1), vigil.MaxImageLimit)
	byAlgo := map[string][]vigil.QueryHash{}
	for _, q := range qs {
		byAlgo[q.Algorithm] = append(byAlgo[q.Algorithm], q)
	}
	var phWhole, phCrops []vigil.QueryHash
	for _, q := range byAlgo[vigil.AlgoPHash] {
		if isCrop(q.Variant) {
			phCrops = append(phCrops, q)
		} else {
			phWhole = append(phWhole, q)
		}
	}
	// One index query per family: the index keeps only the smallest
	// distance per image, a pHash distance is not comparable with a PDQ
	// one, and a pHash distance through a crop is held to a stricter
	// threshold than through the whole photo.
	var hits []vigil.ImageHit
	for _, fam := range []struct {
		hashes []vigil.QueryHash
		algo   string
		radius int
	}{
		{slices.Concat(byAlgo[vigil.AlgoSHA256], byAlgo[vigil.AlgoMD5]), vigil.AlgoSHA256, 0},
		{byAlgo[vigil.AlgoPDQ], vigil.AlgoPDQ, pdqR},
		{phWhole, vigil.AlgoPHash, phR},
		{phCrops, vigil.AlgoPHash, phR},
	} {
		if len(fam.hashes) == 0 || fam.radius < 0 {
			continue
		}
		q := vigil.ImageQuery{Hashes: fam.hashes, Limit: vigil.MaxImageLimit}
		if fam.algo != vigil.AlgoSHA256 {
			q.MaxDistance = map[string]int{fam.algo: fam.radius}
		}
		hs, err := m.Index.MatchImages(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("match %s hashes: %w", fam.algo, err)
		}
		for _, h := range hs {
			if h.Algorithm == vigil.AlgoPDQ && h.Image.PDQQuality < MinQuality {
				continue
			}
			h.Band = Band(h.Algorithm, h.Variant, h.Distance)
			hits = append(hits, h)
		}
	}
	return collapse(hits, limit), nil
}

// Band returns the band of a hit of algorithm at distance through the
// query variant: vigil.BandMatch, vigil.BandReview, or "" outside both. A
// pHash hit through a crop variant is a match only within PHashCropMatch.
// aHash, dHash and unknown algorithms are never a match. The PDQ quality
// rule is the caller's.
func Band(algorithm, variant string, distance int) string {
	switch algorithm {
	case vigil.AlgoSHA256, vigil.AlgoMD5:
		if distance == 0 {
			return vigil.BandMatch
		}
	case vigil.AlgoPDQ:
		if distance <= PDQMatch {
			return vigil.BandMatch
		} else if distance <= PDQReview {
			return vigil.BandReview
		}
	case vigil.AlgoPHash:
		if distance <= PHashCropMatch || distance <= PHashMatch && !isCrop(variant) {
			return vigil.BandMatch
		} else if distance <= PHashReview {
			return vigil.BandReview
		}
	}
	return ""
}

// isCrop reports whether a query variant is one of imagehash.QueryCrops
// (named by imagehash.Crop.Name: "crop-0.85-center").
func isCrop(variant string) bool { return strings.HasPrefix(variant, "crop-") }

func bandRank(b string) int {
	switch b {
	case vigil.BandMatch:
		return 0
	case vigil.BandReview:
		return 1
	}
	return 2
}

// relDistance is the distance as a fraction of the hash width; exact hashes
// rank first.
func relDistance(h *vigil.ImageHit) float64 {
	switch h.Algorithm {
	case vigil.AlgoPDQ:
		return float64(h.Distance) / 256
	case vigil.AlgoPHash:
		return float64(h.Distance) / 64
	}
	return -1
}

func better(a, b *vigil.ImageHit) int {
	return cmp.Or(
		cmp.Compare(bandRank(a.Band), bandRank(b.Band)),
		cmp.Compare(relDistance(a), relDistance(b)),
		cmp.Compare(a.Image.ID, b.Image.ID),
	)
}

// collapse keeps the best hit per image URL and page URL, with the seen
// times of all of them, sorted best first and cut to limit.
func collapse(hits []vigil.ImageHit, limit int) []vigil.ImageHit {
	type key struct{ url, page string }
	type group struct {
		best        vigil.ImageHit
		ids         map[string]bool
		first, last time.Time
	}
	groups := map[key]*group{}
	var order []key
	for i := range hits {
		h := &hits[i]
		k := key{h.Image.URL, h.Image.PageURL}
		t := h.Image.CapturedAt
		g := groups[k]
		if g == nil {
			g = &group{best: *h, ids: map[string]bool{}, first: t, last: t}
			groups[k] = g
			order = append(order, k)
		} else if better(h, &g.best) < 0 {
			g.best = *h
		}
		g.ids[h.Image.ID] = true
		if t.Before(g.first) {
			g.first = t
		}
		if t.After(g.last) {
			g.last = t
		}
	}
	out := make([]vigil.ImageHit, 0, len(order))
	for _, k := range order {
		g := groups[k]
		h := g.best
		h.FirstSeen, h.LastSeen, h.Seen = g.first, g.last, len(g.ids)
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b vigil.ImageHit) int { return better(&a, &b) })
	return out[:min(len(out), limit)]
}
