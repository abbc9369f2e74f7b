package hashindex

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The benchmark fixture: 1M random PDQ and pHash hashes, plus planted
// neighbours of each query at several distances (as re-encoded copies of a
// photo would be).
const benchN = 1_000_000

var (
	benchOnce              sync.Once
	benchPDQ, benchPHash   *Index
	benchPDQQ, benchPHashQ [][]byte
	benchPDQDists          = []int{0, 4, 12, 24, 31, 40}
	benchPHashDists        = []int{0, 2, 6, 10, 14}
	benchPDQVariants       = 8
	benchPHashVariants     = 31
)

func benchFixture() {
	benchOnce.Do(func() {
		benchPDQ, benchPDQQ = fixture(NewPDQ, benchN, benchPDQDists, 256, 11)
		benchPHash, benchPHashQ = fixture(NewPHash, benchN, benchPHashDists, 256, 12)
	})
}

// runTimed runs op b.N times, then reports the p50 and p99 latency of one op
// in milliseconds: wall-clock time, and the CPU time of the op's thread
// (which excludes time the scheduler gave to other processes: the
// development machines run builds beside benchmarks).
func runTimed(b *testing.B, op func(i int)) {
	b.Helper()
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wall := make([]time.Duration, 0, b.N)
	cpu := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		c0 := threadCPU(b)
		start := time.Now()
		op(i)
		wall = append(wall, time.Since(start))
		cpu = append(cpu, threadCPU(b)-c0)
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(wall, 0.50), "p50-ms")
	b.ReportMetric(pct(wall, 0.99), "p99-ms")
	b.ReportMetric(pct(cpu, 0.50), "cpu-p50-ms")
	b.ReportMetric(pct(cpu, 0.99), "cpu-p99-ms")
}

func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

func benchSearch(b *testing.B, x *Index, qs [][]byte, radius int, brute bool, wantHits int) {
	search := x.Search
	if brute {
		search = x.BruteForce
	}
	runTimed(b, func(i int) {
		hits := 0
		search(qs[i%len(qs)], radius, func(uint32, int) { hits++ })
		if hits < wantHits {
			b.Fatalf("found %d, want ≥ %d planted", hits, wantHits)
		}
	})
}

func BenchmarkPDQ1M(b *testing.B) {
	benchFixture()
	b.Run("mih/r=31", func(b *testing.B) { benchSearch(b, benchPDQ, benchPDQQ, 31, false, 5) })
	b.Run("brute/r=31", func(b *testing.B) { benchSearch(b, benchPDQ, benchPDQQ, 31, true, 5) })
	b.Run("mih/r=63", func(b *testing.B) { benchSearch(b, benchPDQ, benchPDQQ, 63, false, 6) })
	b.Run("brute/r=63", func(b *testing.B) { benchSearch(b, benchPDQ, benchPDQQ, 63, true, 6) })
}

func BenchmarkPHash1M(b *testing.B) {
	benchFixture()
	b.Run("mih/r=10", func(b *testing.B) { benchSearch(b, benchPHash, benchPHashQ, 10, false, 4) })
	b.Run("brute/r=10", func(b *testing.B) { benchSearch(b, benchPHash, benchPHashQ, 10, true, 4) })
	b.Run("mih/r=12", func(b *testing.B) { benchSearch(b, benchPHash, benchPHashQ, 12, false, 4) })
	b.Run("brute/r=12", func(b *testing.B) { benchSearch(b, benchPHash, benchPHashQ, 12, true, 4) })
}

// BenchmarkFullQuery1M is one `vigil match` query at 1M images: 8 PDQ
// variants at radius 31 and 31 pHash crops at radius 10.
func BenchmarkFullQuery1M(b *testing.B) {
	for _, brute := range []bool{false, true} {
		name := "mih"
		if brute {
			name = "brute"
		}
		b.Run(name, func(b *testing.B) {
			benchFixture()
			pdq, ph := benchPDQ.Search, benchPHash.Search
			if brute {
				pdq, ph = benchPDQ.BruteForce, benchPHash.BruteForce
			}
			runTimed(b, func(i int) {
				hits := 0
				count := func(uint32, int) { hits++ }
				for v := range benchPDQVariants {
					pdq(benchPDQQ[(i+v)%len(benchPDQQ)], 31, count)
				}
				for v := range benchPHashVariants {
					ph(benchPHashQ[(i+v)%len(benchPHashQ)], 10, count)
				}
				if hits < 5*benchPDQVariants {
					b.Fatalf("found %d", hits)
				}
			})
		})
	}
}

// BenchmarkFallbackCost measures, per hash width at 1M hashes, what Search's
// fallback weighs: the thread CPU time of a linear scan per entry, and of a
// multi-index search (never falling back) per candidate visited, at the
// radii where the number of candidates steps up (the chunk radius is
// radius/chunks: PDQ 47 and 63 enumerate 2 and 3 bits per chunk, pHash 11
// and 12 likewise). Their ratio is the fallback divisor the costs imply,
// reported beside the one in use.
func BenchmarkFallbackCost(b *testing.B) {
	benchFixture()
	for _, c := range []struct {
		name   string
		x      *Index
		qs     [][]byte
		radius int
	}{
		{"pdq/r=47", benchPDQ, benchPDQQ, 47},
		{"pdq/r=63", benchPDQ, benchPDQQ, 63},
		{"phash/r=11", benchPHash, benchPHashQ, 11},
		{"phash/r=12", benchPHash, benchPHashQ, 12},
	} {
		b.Run(c.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var scanNs, mihNs []float64
			for i := 0; b.Loop(); i++ {
				var q [4]uint64
				c.x.load(&q, c.qs[i%len(c.qs)])
				qw := q[:c.x.words]
				var qc [16]uint16
				for k := range c.x.chunks {
					qc[k] = chunkOf(qw, k)
				}
				n := c.x.candidates(&qc, masksWithin(min(c.radius/c.x.chunks, chunkBits)), math.MaxInt)
				hitsScan, hitsMIH := 0, 0
				c.x.mu.RLock()
				t0 := threadCPU(b)
				c.x.scan(qw, c.radius, func(uint32, int) { hitsScan++ })
				t1 := threadCPU(b)
				c.x.searchMIH(qw, c.radius, func(uint32, int) { hitsMIH++ }, math.MaxInt)
				t2 := threadCPU(b)
				c.x.mu.RUnlock()
				if hitsScan != hitsMIH {
					b.Fatalf("scan found %d, multi-index hashing %d", hitsScan, hitsMIH)
				}
				scanNs = append(scanNs, float64(t1-t0)/float64(c.x.Len()))
				mihNs = append(mihNs, float64(t2-t1)/float64(n))
			}
			med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
			s, m := med(scanNs), med(mihNs)
			b.ReportMetric(s, "scan-ns/entry")
			b.ReportMetric(m, "mih-ns/candidate")
			b.ReportMetric(m/s, "implied-divisor")
			b.ReportMetric(float64(c.x.divisor), "divisor")
		})
	}
}
