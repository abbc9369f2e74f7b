package elastic

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNeighbours(t *testing.T) {
	for _, r := range []int{0, 1, 2, 3, 4} {
		c := uint16(0xbeef)
		got := neighbours(c, r)
		if len(got) != neighbourCount(r) {
			t.Errorf("radius %d: %d neighbours, want %d", r, len(got), neighbourCount(r))
		}
		seen := map[string]bool{}
		for _, h := range got {
			var v uint16
			if _, err := fmt.Sscanf(h, "%04x", &v); err != nil || len(h) != 4 {
				t.Fatalf("neighbour %q is not 4 hex digits", h)
			}
			if d := bits.OnesCount16(v ^ c); d > r {
				t.Errorf("radius %d: neighbour %s at distance %d", r, h, d)
			}
			if seen[h] {
				t.Errorf("radius %d: neighbour %s twice", r, h)
			}
			seen[h] = true
		}
	}
	if neighbourCount(1) != 17 || neighbourCount(2) != 137 || neighbourCount(3) != 697 || neighbourCount(16) != 65536 {
		t.Errorf("neighbour counts %d %d %d %d", neighbourCount(1), neighbourCount(2), neighbourCount(3), neighbourCount(16))
	}
}

// filterTerms returns, per chunk field, the terms of a chunk filter.
func filterTerms(t *testing.T, f map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, s := range f["bool"].(map[string]any)["should"].([]any) {
		for field, terms := range s.(map[string]any)["terms"].(map[string]any) {
			out[field] = terms.([]string)
		}
	}
	return out
}

// TestChunkFilterIsExact checks the pigeonhole pre-filter never loses a
// hash within the radius: for random hashes at every distance up to r, at
// least one stored chunk is among the filter's terms for its position.
func TestChunkFilterIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		algo   string
		nbytes int
		radii  []int
	}{
		{"pdq", pdqBytes, []int{0, 1, 15, 16, 31, 32, 47, 63}},
		{"phash", phashBytes, []int{0, 3, 4, 10, 11, 15}},
	} {
		for _, r := range tc.radii {
			q := make([]byte, tc.nbytes)
			for i := range q {
				q[i] = byte(rng.UintN(256))
			}
			f := chunkFilter(tc.algo, q, r)
			if f == nil {
				t.Fatalf("%s radius %d: no filter", tc.algo, r)
			}
			terms := filterTerms(t, f)
			if len(terms) != tc.nbytes/2 {
				t.Fatalf("%s radius %d: %d chunk fields", tc.algo, r, len(terms))
			}
			for trial := range 300 {
				d := trial % (r + 1)
				h := slices.Clone(q)
				for _, bit := range rng.Perm(8 * tc.nbytes)[:d] {
					h[bit/8] ^= 1 << (bit % 8)
				}
				found := false
				for i, c := range chunks(h) {
					if slices.Contains(terms[fmt.Sprintf("%s_c%d", tc.algo, i)], chunkHex(c)) {
						found = true
						break
					}
				}
				if !found {
					t.Fatalf("%s radius %d: a hash at distance %d passes no chunk filter", tc.algo, r, d)
				}
			}
		}
	}
}

func TestChunkFilterSizes(t *testing.T) {
	q := make([]byte, pdqBytes)
	for _, tc := range []struct {
		r, termsPerChunk int
	}{{0, 1}, {15, 1}, {16, 17}, {31, 17}, {32, 137}, {63, 697}} {
		terms := filterTerms(t, chunkFilter("pdq", q, tc.r))
		if n := len(terms["pdq_c0"]); n != tc.termsPerChunk {
			t.Errorf("radius %d: %d terms per chunk, want %d", tc.r, n, tc.termsPerChunk)
		}
	}
	if f := chunkFilter("pdq", q, 80); f != nil {
		t.Errorf("radius 80 (sub-radius 5, 16 × 6885 terms) should fall back to a scan")
	}
}
