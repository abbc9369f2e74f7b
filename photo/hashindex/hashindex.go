// Package hashindex is an in-memory exact Hamming-distance index over
// fixed-width binary hashes: 256-bit PDQ and 64-bit pHash.
//
// Hashes are kept as struct-of-arrays (one flat []uint64 of hash words and a
// parallel []uint32 of ids, no per-entry pointers), which a linear scan reads
// sequentially. Search uses multi-index hashing (Norouzi et al.): each hash is
// cut into 16-bit chunks with a posting list per chunk value; by pigeonhole,
// a hash within radius r of the query over m chunks has some chunk within
// floor(r/m) bits of the query's, so enumerating those chunk neighbours finds
// every match. When the posting lists to visit would hold more entries than
// a scan of the whole index costs (a share of it that depends on the hash
// width: a 40th for PDQ, a 32nd for pHash), Search scans linearly
// instead. Either way the result is exact.
package hashindex

import (
	"fmt"
	"math/bits"
	"sort"
	"sync"
)

const (
	chunkBits   = 16
	chunkValues = 1 << chunkBits
	// The fallback divisors set when Search scans linearly instead: when
	// the posting lists to visit hold more than Len()/divisor entries. A
	// divisor is what one multi-index candidate costs in entries of a
	// sequential scan, and both costs depend on the hash width: a scan
	// reads 32 bytes per PDQ entry but 8 per pHash entry; a PDQ candidate
	// is a random access to its hash, a pHash candidate is read from its
	// posting list (inline). BenchmarkFallbackCost measures both costs and
	// prints the divisor they imply. At 1M hashes on one core (a machine
	// shared with builds, so the figures spread): PDQ 2.1-3.5 ns per
	// scanned entry and 81-128 ns per candidate at radii 47 and 63, a
	// divisor of 34-43; pHash 0.6 ns and 17-28 ns at radii 11 and 12,
	// 29-45. With the former single divisor of 16, pHash at the review
	// radius (42,000 candidates at 1M) took multi-index hashing at 49-53 ns
	// a candidate, slower than the scan.
	pdqFallbackDivisor   = 40
	phashFallbackDivisor = 32
)

// Index is an exact Hamming index of hashes of one width. Its methods are
// safe for concurrent use: any number of concurrent Search and BruteForce
// calls with Add calls serialised against them (a sync.RWMutex). The callback
// of Search and BruteForce runs while the read lock is held, so it must not
// call Add.
type Index struct {
	mu      sync.RWMutex
	words   int          // 64-bit words per hash
	chunks  int          // 16-bit chunks per hash
	divisor int          // scan when candidates exceed len(ids)/divisor
	ids     []uint32     // ids[i] is the id of entry i
	hashes  []uint64     // hashes[i*words : (i+1)*words] is entry i, big-endian words
	posting [][][]uint32 // posting[c][v] lists the entries whose chunk c is v
	// inline[c][v] holds, in a 64-bit index only, the hashes of the
	// entries of posting[c][v], in the same order: a candidate is then
	// checked from the list it was found in, without a random access to
	// hashes (8 bytes more per entry and chunk, 32 per hash).
	inline [][][]uint64
}

// NewPDQ returns an empty index of 256-bit hashes (PDQ) with 16 chunks.
func NewPDQ() *Index { return newIndex(256) }

// NewPHash returns an empty index of 64-bit hashes (pHash64) with 4 chunks.
func NewPHash() *Index { return newIndex(64) }

func newIndex(nbits int) *Index {
	x := &Index{words: nbits / 64, chunks: nbits / chunkBits, divisor: pdqFallbackDivisor}
	if nbits == 64 {
		x.divisor = phashFallbackDivisor
	}
	x.posting = make([][][]uint32, x.chunks)
	for c := range x.posting {
		x.posting[c] = make([][]uint32, chunkValues)
	}
	if x.words == 1 {
		x.inline = make([][][]uint64, x.chunks)
		for c := range x.inline {
			x.inline[c] = make([][]uint64, chunkValues)
		}
	}
	return x
}

// Bytes returns the length in bytes of the hashes the index holds: 32 for
// PDQ, 8 for pHash.
func (x *Index) Bytes() int { return x.words * 8 }

// Len returns the number of entries added.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// Add stores hash under id. The hash is the bytes of the hex form (for PDQ
// the reference's order; for pHash the big-endian uint64). Adding an id
// twice stores two entries, both reported by searches. Add panics if
// len(hash) != x.Bytes(); callers validate untrusted input first.
func (x *Index) Add(id uint32, hash []byte) {
	var w [4]uint64
	x.load(&w, hash)
	x.mu.Lock()
	defer x.mu.Unlock()
	pos := uint32(len(x.ids))
	x.ids = append(x.ids, id)
	x.hashes = append(x.hashes, w[:x.words]...)
	for c := range x.chunks {
		v := chunkOf(w[:x.words], c)
		x.posting[c][v] = append(x.posting[c][v], pos)
		if x.inline != nil {
			x.inline[c][v] = append(x.inline[c][v], w[0])
		}
	}
}

func (x *Index) load(w *[4]uint64, hash []byte) {
	if len(hash) != x.Bytes() {
		panic(fmt.Sprintf("hashindex: hash of %d bytes in an index of %d-byte hashes", len(hash), x.Bytes()))
	}
	for k := range x.words {
		b := hash[8*k : 8*k+8]
		w[k] = uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
			uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	}
}

// chunkOf returns 16-bit chunk c of a hash's words, chunk 0 being the most
// significant bits of word 0.
func chunkOf(w []uint64, c int) uint16 {
	return uint16(w[c/4] >> (48 - 16*(c%4)))
}

// Search calls fn for every entry within Hamming distance radius of query
// (distance ≤ radius), once per entry, in no particular order. A negative
// radius finds nothing. It panics if len(query) != x.Bytes().
func (x *Index) Search(query []byte, radius int, fn func(id uint32, dist int)) {
	var q [4]uint64
	x.load(&q, query)
	if radius < 0 {
		return
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.searchMIH(q[:x.words], radius, fn, len(x.ids)/x.divisor) {
		x.scan(q[:x.words], radius, fn)
	}
}

// BruteForce is Search by a linear scan of every entry: the baseline that
// Search must agree with.
func (x *Index) BruteForce(query []byte, radius int, fn func(id uint32, dist int)) {
	var q [4]uint64
	x.load(&q, query)
	if radius < 0 {
		return
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	x.scan(q[:x.words], radius, fn)
}

// scan is the linear search; the caller holds the read lock.
func (x *Index) scan(q []uint64, radius int, fn func(uint32, int)) {
	switch x.words {
	case 1:
		q0 := q[0]
		for i, h := range x.hashes {
			if d := bits.OnesCount64(h ^ q0); d <= radius {
				fn(x.ids[i], d)
			}
		}
	case 4:
		q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
		hs := x.hashes
		for i := 0; i+3 < len(hs); i += 4 {
			d := bits.OnesCount64(hs[i]^q0) + bits.OnesCount64(hs[i+1]^q1) +
				bits.OnesCount64(hs[i+2]^q2) + bits.OnesCount64(hs[i+3]^q3)
			if d <= radius {
				fn(x.ids[i/4], d)
			}
		}
	default:
		panic("hashindex: unsupported width")
	}
}

// searchMIH runs the multi-index search unless the posting lists to visit
// hold more than maxCandidates entries, in which case it reports false
// without calling fn. The caller holds the read lock.
func (x *Index) searchMIH(q []uint64, radius int, fn func(uint32, int), maxCandidates int) bool {
	sub := min(radius/x.chunks, chunkBits)
	masks := masksWithin(sub)
	var qc [16]uint16
	for c := range x.chunks {
		qc[c] = chunkOf(q, c)
	}
	if x.candidates(&qc, masks, maxCandidates) > maxCandidates {
		return false
	}
	if x.inline != nil {
		x.searchInline(q[0], radius, fn, &qc, masks, sub)
		return true
	}
	for c := range x.chunks {
		lists := x.posting[c]
		for _, m := range masks {
			for _, pos := range lists[qc[c]^m] {
				h := x.hashes[int(pos)*x.words : int(pos)*x.words+x.words]
				d := 0
				for k, w := range h {
					d += bits.OnesCount64(w ^ q[k])
				}
				if d > radius || x.seenEarlier(h, qc[:], c, sub) {
					continue
				}
				fn(x.ids[pos], d)
			}
		}
	}
	return true
}

// searchInline is the candidate loop of searchMIH for a 64-bit index,
// reading the candidates' hashes from x.inline.
func (x *Index) searchInline(q uint64, radius int, fn func(uint32, int), qc *[16]uint16, masks []uint16, sub int) {
	for c := range x.chunks {
		lists, hashes := x.posting[c], x.inline[c]
		for _, m := range masks {
			v := qc[c] ^ m
			for j, h := range hashes[v] {
				d := bits.OnesCount64(h ^ q)
				if d > radius {
					continue
				}
				earlier := false
				for e := range c {
					earlier = earlier || bits.OnesCount16(uint16(h>>(48-16*e))^qc[e]) <= sub
				}
				if !earlier {
					fn(x.ids[lists[v][j]], d)
				}
			}
		}
	}
}

// candidates returns the number of entries in the posting lists of the
// query chunks qc xor masks, or a number over limit as soon as it exceeds
// limit. The caller holds the read lock.
func (x *Index) candidates(qc *[16]uint16, masks []uint16, limit int) int {
	total := 0
	for c := range x.chunks {
		lists := x.posting[c]
		for _, m := range masks {
			total += len(lists[qc[c]^m])
		}
		if total > limit {
			break
		}
	}
	return total
}

// seenEarlier reports whether a chunk before c of hash h is within sub bits
// of the query's: then the entry was already reached through that chunk.
func (x *Index) seenEarlier(h []uint64, qc []uint16, c, sub int) bool {
	for e := range c {
		if bits.OnesCount16(chunkOf(h, e)^qc[e]) <= sub {
			return true
		}
	}
	return false
}

// masksByWeight lists every 16-bit mask ordered by popcount; weightEnd[k] is
// the number of masks of popcount ≤ k.
var masksByWeight, weightEnd = func() ([]uint16, [chunkBits + 1]int) {
	ms := make([]uint16, chunkValues)
	for i := range ms {
		ms[i] = uint16(i)
	}
	sort.SliceStable(ms, func(a, b int) bool {
		return bits.OnesCount16(ms[a]) < bits.OnesCount16(ms[b])
	})
	var end [chunkBits + 1]int
	for _, m := range ms {
		for k := bits.OnesCount16(m); k <= chunkBits; k++ {
			end[k]++
		}
	}
	return ms, end
}()

// masksWithin returns every 16-bit mask of popcount ≤ k.
func masksWithin(k int) []uint16 { return masksByWeight[:weightEnd[k]] }
