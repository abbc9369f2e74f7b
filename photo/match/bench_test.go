package match

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"image/jpeg"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"golang.org/x/sys/unix"

	"vigil"
	"vigil/extractors/imagehash"
	"vigil/photo/hashindex"
)

// The match benchmark: 1M images of random PDQ and pHash hashes plus, for
// each of 20 real photos, a planted JPEG q75 copy at 80% size; queries are
// the photos' QueryVariants (8 PDQ, 31 pHash, SHA-256, MD5) through
// Matcher.MatchHashes, over an ImageIndex that searches by multi-index
// hashing or by brute force (store/hashindex), in the same run. The index
// holds hashes only: the embedded store's bbolt fetch of the few hit records
// is not in these figures.
const (
	benchImages = 1_000_000
	benchPhotos = 20
)

// hashIndex is a vigil.ImageIndex over hashindex, holding hashes only.
type hashIndex struct {
	pdq, phash *hashindex.Index
	brute      bool
}

func (x *hashIndex) PutImages(context.Context, []vigil.Image) error { return nil }

func (x *hashIndex) MatchImages(_ context.Context, q vigil.ImageQuery) ([]vigil.ImageHit, error) {
	type best struct{ dist, query int }
	found := map[uint32]best{}
	for qi, qh := range q.Hashes {
		var ix *hashindex.Index
		switch qh.Algorithm {
		case vigil.AlgoPDQ:
			ix = x.pdq
		case vigil.AlgoPHash:
			ix = x.phash
		default:
			continue // no exact hashes among random images
		}
		b, err := hex.DecodeString(qh.Value)
		if err != nil {
			return nil, err
		}
		search := ix.Search
		if x.brute {
			search = ix.BruteForce
		}
		search(b, q.MaxDistance[qh.Algorithm], func(id uint32, d int) {
			if o, ok := found[id]; !ok || d < o.dist {
				found[id] = best{d, qi}
			}
		})
	}
	hits := make([]vigil.ImageHit, 0, len(found))
	for id, f := range found {
		qh := q.Hashes[f.query]
		hits = append(hits, vigil.ImageHit{Image: vigil.Image{ID: fmt.Sprint(id), URL: fmt.Sprintf("http://s/%d.jpg", id), PageURL: "http://s/", PDQQuality: 100},
			Algorithm: qh.Algorithm, Distance: f.dist, Variant: qh.Variant})
	}
	return hits, nil
}

var (
	benchOnce    sync.Once
	benchIndex   *hashIndex
	benchQueries [][]vigil.QueryHash // per photo
	benchPlanted []uint32            // per photo: the id of its planted copy
	benchHashDur time.Duration       // mean QueryVariants time per photo
	benchErr     error
)

func benchFixture(b *testing.B) {
	benchOnce.Do(func() {
		h := imagehash.New(imagehash.Config{})
		x := &hashIndex{pdq: hashindex.NewPDQ(), phash: hashindex.NewPHash()}
		r := rand.New(rand.NewPCG(5, 6))
		var pdq [32]byte
		var ph [8]byte
		for i := range benchImages {
			for k := range pdq {
				pdq[k] = byte(r.Uint32())
			}
			for k := range ph {
				ph[k] = byte(r.Uint32())
			}
			x.pdq.Add(uint32(i), pdq[:])
			x.phash.Add(uint32(i), ph[:])
		}
		var hashTime time.Duration
		for _, data := range photos(b, 2*benchPhotos) {
			if len(benchQueries) == benchPhotos {
				break
			}
			start := time.Now()
			qs, err := h.QueryVariants(data)
			hashTime += time.Since(start)
			if err != nil {
				benchErr = err
				return
			}
			if len(qs) < 3 || qs[2].Algorithm != vigil.AlgoPDQ || qs[2].Variant != "original" {
				continue // PDQ quality below MinQuality: no PDQ query
			}
			img, err := imaging.Decode(bytes.NewReader(data))
			if err != nil {
				benchErr = err
				return
			}
			var buf bytes.Buffer
			jpeg.Encode(&buf, imaging.Resize(img, img.Bounds().Dx()*8/10, 0, imaging.Lanczos), &jpeg.Options{Quality: 75})
			hs, err := h.Hash(buf.Bytes())
			if err != nil {
				benchErr = err
				return
			}
			id := uint32(benchImages + len(benchQueries))
			p, _ := hex.DecodeString(hs.PDQ)
			q, _ := hex.DecodeString(hs.PHash)
			x.pdq.Add(id, p)
			x.phash.Add(id, q)
			benchPlanted = append(benchPlanted, id)
			benchQueries = append(benchQueries, qs)
		}
		if len(benchQueries) < benchPhotos {
			benchErr = fmt.Errorf("%d of %d photos have a usable PDQ hash", len(benchQueries), 2*benchPhotos)
			return
		}
		benchHashDur = hashTime / time.Duration(len(benchQueries))
		benchIndex = x
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
}

// runTimed runs op b.N times and reports p50 and p99 latency in ms, wall
// clock and the CPU time of the op's thread (which excludes time other
// processes took: builds run beside benchmarks on the development machines).
func runTimed(b *testing.B, op func(i int)) {
	b.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var wall, cpu []time.Duration
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

// BenchmarkMatch1M reports Matcher.MatchHashes latency at 1M images: one
// PDQ hash at radius 31 ("single"), every query variant at the match
// thresholds (PDQ 31, pHash 10: "full") and at the default review limits
// (PDQ 63, pHash 12: "full-review"), each by multi-index hashing and by
// brute force. Every query must find its planted copy in the match band.
// Hashing the query (QueryVariants) is reported apart as hash-ms.
func BenchmarkMatch1M(b *testing.B) {
	for _, c := range []struct {
		name   string
		single bool
		opt    vigil.MatchOptions
	}{
		{"single", true, vigil.MatchOptions{PDQRadius: PDQMatch, PHashRadius: -1}},
		{"full", false, vigil.MatchOptions{PDQRadius: PDQMatch, PHashRadius: PHashMatch}},
		{"full-review", false, vigil.MatchOptions{}},
	} {
		for _, brute := range []bool{false, true} {
			name := c.name + "/mih"
			if brute {
				name = c.name + "/brute"
			}
			b.Run(name, func(b *testing.B) {
				benchFixture(b)
				x := *benchIndex
				x.brute = brute
				m := &Matcher{Index: &x}
				runTimed(b, func(i int) {
					p := i % len(benchQueries)
					qs := benchQueries[p]
					if c.single {
						qs = qs[2:3] // the original's PDQ (after SHA-256 and MD5)
					}
					hits, err := m.MatchHashes(context.Background(), qs, c.opt)
					if err != nil {
						b.Fatal(err)
					}
					want := fmt.Sprint(benchPlanted[p])
					if len(hits) == 0 || hits[0].Image.ID != want || hits[0].Band != vigil.BandMatch {
						b.Fatalf("photo %d: planted copy %s not the top match: %+v", p, want, hits)
					}
				})
				b.ReportMetric(float64(benchHashDur.Microseconds())/1000, "hash-ms")
			})
		}
	}
}
