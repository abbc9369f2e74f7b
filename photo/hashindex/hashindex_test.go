package hashindex

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// flip returns a copy of h with n distinct random bits inverted.
func flip(r *rand.Rand, h []byte, n int) []byte {
	out := slices.Clone(h)
	for _, b := range r.Perm(8 * len(h))[:n] {
		out[b/8] ^= 1 << (b % 8)
	}
	return out
}

func randomHash(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

type result map[uint32]int

func collect(search func([]byte, int, func(uint32, int)), q []byte, radius int, t *testing.T) result {
	t.Helper()
	got := result{}
	search(q, radius, func(id uint32, d int) {
		if _, dup := got[id]; dup {
			t.Fatalf("id %d reported twice", id)
		}
		got[id] = d
	})
	return got
}

// fixture builds an index of n random hashes plus, for each query, planted
// neighbours at every distance in dists (ids from n upwards).
func fixture(newIndex func() *Index, n int, dists []int, nq int, seed uint64) (*Index, [][]byte) {
	r := rand.New(rand.NewPCG(seed, 1))
	x := newIndex()
	for i := range n {
		x.Add(uint32(i), randomHash(r, x.Bytes()))
	}
	id := uint32(n)
	var qs [][]byte
	for range nq {
		q := randomHash(r, x.Bytes())
		qs = append(qs, q)
		for _, d := range dists {
			x.Add(id, flip(r, q, d))
			id++
		}
	}
	return x, qs
}

func TestSearchIsExact(t *testing.T) {
	tests := []struct {
		name    string
		index   func() *Index
		n       int
		dists   []int
		radii   []int
		minHits int // planted hits the largest radius must find per query
	}{
		{"pdq", NewPDQ, 30000, []int{0, 1, 5, 10, 15, 16, 17, 20, 31, 32, 40, 47, 48, 63, 64, 80, 100},
			[]int{0, 1, 5, 15, 16, 17, 31, 32, 47, 48, 63, 64, 80, 90}, 16},
		{"phash", NewPHash, 30000, []int{0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 12, 15, 16, 20},
			[]int{0, 1, 3, 4, 5, 8, 10, 11, 12, 15, 16, 20}, 14},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, qs := fixture(tc.index, tc.n, tc.dists, 20, 7)
			for _, q := range qs {
				for _, radius := range tc.radii {
					want := collect(x.BruteForce, q, radius, t)
					for id, d := range want {
						if d > radius {
							t.Fatalf("brute force reported id %d at %d > radius %d", id, d, radius)
						}
					}
					got := collect(x.Search, q, radius, t)
					if !maps.Equal(got, want) {
						t.Fatalf("radius %d: Search found %d, brute force %d", radius, len(got), len(want))
					}
					// The multi-index path itself, never falling back.
					mih := result{}
					var qw [4]uint64
					x.load(&qw, q)
					x.mu.RLock()
					ok := x.searchMIH(qw[:x.words], radius, nil, -1)
					x.mu.RUnlock()
					if ok {
						t.Fatal("searchMIH ignored its candidate limit")
					}
					x.mu.RLock()
					x.searchMIH(qw[:x.words], radius, func(id uint32, d int) {
						if _, dup := mih[id]; dup {
							t.Fatalf("multi-index reported id %d twice", id)
						}
						mih[id] = d
					}, 1<<30)
					x.mu.RUnlock()
					if !maps.Equal(mih, want) {
						t.Fatalf("radius %d: multi-index found %d, brute force %d", radius, len(mih), len(want))
					}
				}
				maxR := tc.radii[len(tc.radii)-1]
				planted := 0
				for id := range collect(x.Search, q, maxR, t) {
					if id >= uint32(tc.n) {
						planted++
					}
				}
				if planted < tc.minHits {
					t.Errorf("radius %d found %d planted neighbours, want ≥ %d", maxR, planted, tc.minHits)
				}
			}
		})
	}
}

// TestFallbackDependsOnWidth pins where Search leaves multi-index hashing
// for a scan (the divisors BenchmarkFallbackCost measured): at 30,000
// random hashes, PDQ keeps multi-index hashing at radius 31 and scans at 47
// and 63; pHash keeps it at 10 and scans at 12, the review radius.
func TestFallbackDependsOnWidth(t *testing.T) {
	for _, tc := range []struct {
		name  string
		index func() *Index
		mih   map[int]bool // radius → multi-index hashing expected
	}{
		{"pdq", NewPDQ, map[int]bool{31: true, 47: false, 63: false}},
		{"phash", NewPHash, map[int]bool{10: true, 12: false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, qs := fixture(tc.index, 30000, nil, 5, 9)
			limit := x.Len() / x.divisor
			for _, q := range qs {
				var qw [4]uint64
				x.load(&qw, q)
				for radius, want := range tc.mih {
					x.mu.RLock()
					got := x.searchMIH(qw[:x.words], radius, func(uint32, int) {}, limit)
					x.mu.RUnlock()
					if got != want {
						t.Errorf("radius %d: multi-index hashing %v, want %v", radius, got, want)
					}
				}
			}
		})
	}
}

func TestSearchEdgeCases(t *testing.T) {
	x := NewPHash()
	if x.Len() != 0 {
		t.Fatalf("empty index has Len %d", x.Len())
	}
	q := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	if got := collect(x.Search, q, 64, t); len(got) != 0 {
		t.Fatalf("empty index found %v", got)
	}
	x.Add(7, q)
	x.Add(9, flip(rand.New(rand.NewPCG(1, 2)), q, 64))
	if x.Len() != 2 {
		t.Fatalf("Len %d, want 2", x.Len())
	}
	for _, tc := range []struct {
		radius int
		want   result
	}{
		{-1, result{}},
		{0, result{7: 0}},
		{63, result{7: 0}},
		{64, result{7: 0, 9: 64}},
		{1000, result{7: 0, 9: 64}},
	} {
		if got := collect(x.Search, q, tc.radius, t); !maps.Equal(got, tc.want) {
			t.Errorf("radius %d: got %v, want %v", tc.radius, got, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Add of a 32-byte hash to a pHash index did not panic")
		}
	}()
	x.Add(1, make([]byte, 32))
}

// TestConcurrentReadersAndWriter runs searches while a writer adds; with
// -race it checks the locking, and every search must stay exact.
func TestConcurrentReadersAndWriter(t *testing.T) {
	x, qs := fixture(NewPDQ, 2000, []int{3, 20}, 4, 3)
	var wg sync.WaitGroup
	wg.Go(func() {
		r := rand.New(rand.NewPCG(9, 9))
		for i := range 3000 {
			x.Add(uint32(100000+i), randomHash(r, 32))
		}
	})
	for g := range 3 {
		wg.Go(func() {
			for i := range 200 {
				q := qs[(g+i)%len(qs)]
				n := 0
				x.Search(q, 31, func(uint32, int) { n++ })
				if n < 2 {
					t.Errorf("search found %d, want the 2 planted neighbours", n)
					return
				}
			}
		})
	}
	wg.Wait()
	if x.Len() != 2000+8+3000 {
		t.Errorf("Len %d after concurrent adds", x.Len())
	}
}

func ExampleIndex_Search() {
	x := NewPHash()
	x.Add(1, []byte{0xff, 0, 0, 0, 0, 0, 0, 0})
	x.Add(2, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	x.Search([]byte{0xfe, 0, 0, 0, 0, 0, 0, 0}, 10, func(id uint32, dist int) {
		fmt.Println(id, dist)
	})
	// Output: 1 1
}
