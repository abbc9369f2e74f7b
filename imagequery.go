package vigil

import "encoding/hex"

// Image match defaults and limits shared by every ImageIndex.
const (
	DefaultPDQRadius   = 31
	DefaultPHashRadius = 10
	DefaultImageLimit  = 100
	MaxImageLimit      = 10000
	// MinPDQQuality is the PDQ quality below which a hash is not matched
	// on (DESIGN.md §3).
	MinPDQQuality = 50
)

// MatchOptions tune a photo match. The zero value searches the review band
// (PDQ ≤ 63, pHash ≤ 12) and returns at most DefaultImageLimit hits.
type MatchOptions struct {
	// PDQRadius is the largest PDQ distance returned; 0 means the review
	// band (63) and a negative value leaves PDQ out. Values above 256 are
	// cut to 256.
	PDQRadius int
	// PHashRadius is the largest pHash64 distance returned; 0 means the
	// review band (12) and a negative value leaves pHash out. Values above
	// 64 are cut to 64.
	PHashRadius int
	// Limit caps the hits returned; 0 means DefaultImageLimit, values above
	// MaxImageLimit are cut to MaxImageLimit.
	Limit int
}

// HashSize returns the size in bytes of an algorithm's hash, and false for
// an unknown algorithm.
func HashSize(algorithm string) (int, bool) {
	switch algorithm {
	case AlgoPDQ, AlgoSHA256:
		return 32, true
	case AlgoPHash:
		return 8, true
	case AlgoMD5:
		return 16, true
	}
	return 0, false
}

// DecodeHash decodes a hex hash of algorithm. An empty string decodes to nil
// (no hash); a malformed one or an unknown algorithm is an EINVALID error.
func DecodeHash(algorithm, s string) ([]byte, error) {
	n, ok := HashSize(algorithm)
	if !ok {
		return nil, Errorf(EINVALID, "unknown hash algorithm %q", algorithm)
	}
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != n {
		return nil, Errorf(EINVALID, "%s hash %q is not %d hex digits", algorithm, s, 2*n)
	}
	return b, nil
}

// ImageQueryPlan is an ImageQuery validated, with defaults applied and the
// query hashes decoded (Hashes[i] belongs to q.Hashes[i]).
type ImageQueryPlan struct {
	Radius map[string]int // per algorithm; pdq and phash always present
	Limit  int
	Hashes [][]byte
}

// Plan validates q the same way for every store: unknown algorithms,
// malformed or empty hashes, negative distances and a negative limit are
// EINVALID errors; a zero limit means DefaultImageLimit and larger ones are
// cut to MaxImageLimit.
func (q ImageQuery) Plan() (ImageQueryPlan, error) {
	p := ImageQueryPlan{Radius: map[string]int{AlgoPDQ: DefaultPDQRadius, AlgoPHash: DefaultPHashRadius}}
	for algo, d := range q.MaxDistance {
		if _, ok := HashSize(algo); !ok {
			return p, Errorf(EINVALID, "unknown hash algorithm %q", algo)
		} else if d < 0 {
			return p, Errorf(EINVALID, "negative distance for %s", algo)
		}
		p.Radius[algo] = d
	}
	if q.Limit < 0 {
		return p, Errorf(EINVALID, "limit must not be negative")
	}
	p.Limit = q.Limit
	if p.Limit == 0 {
		p.Limit = DefaultImageLimit
	}
	p.Limit = min(p.Limit, MaxImageLimit)
	p.Hashes = make([][]byte, len(q.Hashes))
	for i, qh := range q.Hashes {
		b, err := DecodeHash(qh.Algorithm, qh.Value)
		if err != nil {
			return p, err
		} else if b == nil {
			return p, Errorf(EINVALID, "empty %s hash", qh.Algorithm)
		}
		p.Hashes[i] = b
	}
	return p, nil
}
