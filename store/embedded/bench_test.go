package embedded_test

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"vigil"
)

// Run the benchmarks at the 100k-document scale with
//
//	go test -run '^$' -bench . -benchtime 100000x ./store/embedded
//
// BenchmarkPutDocuments reports bulk indexing speed (b.N documents);
// BenchmarkSearch builds a 100,000-document index once (b.Loop runs its setup
// once) and reports query latency percentiles.

const benchBatch = 1000

// corpus generates synthetic page text: words drawn from a Zipf-distributed
// vocabulary, so that some words are in most documents and most in few.
type corpus struct {
	r     *rand.Rand
	zipf  *rand.Zipf
	vocab []string
}

func newCorpus(seed uint64) *corpus {
	r := rand.New(rand.NewPCG(seed, seed))
	vocab := make([]string, 50000)
	for i := range vocab {
		n := 3 + r.IntN(7)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + r.IntN(26))
		}
		vocab[i] = string(b)
	}
	return &corpus{r: r, zipf: rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1)), vocab: vocab}
}

func (c *corpus) words(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.vocab[c.zipf.Uint64()])
	}
	return b.String()
}

func (c *corpus) docs(crawl string, from, n int) []vigil.Document {
	docs := make([]vigil.Document, n)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range docs {
		k := from + i
		site := fmt.Sprintf("site%02d.onion", k%40)
		url := fmt.Sprintf("http://%s/thread/%d", site, k)
		text := c.words(250)
		docs[i] = vigil.Document{
			ID: vigil.DocumentID(crawl, url), CrawlID: crawl, Site: site, URL: url, Status: 200,
			Title: c.words(6), Text: text, Size: len(text), CapturedAt: t0.Add(time.Duration(k) * time.Second),
		}
	}
	return docs
}

func BenchmarkPutDocuments(b *testing.B) {
	s := open(b, b.TempDir())
	c := newCorpus(1)
	batches := make([][]vigil.Document, 0, b.N/benchBatch+1)
	for from := 0; from < b.N; from += benchBatch {
		batches = append(batches, c.docs("bench", from, min(benchBatch, b.N-from)))
	}
	bytes := 0
	for _, batch := range batches {
		for _, d := range batch {
			bytes += len(d.Text) + len(d.Title)
		}
	}
	b.SetBytes(int64(bytes / max(1, b.N)))
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime(b)
	for _, batch := range batches {
		if err := s.PutDocuments(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
	b.ReportMetric(float64(b.N)/(cpuTime(b)-cpu).Seconds(), "docs/cpu-s")
}

func BenchmarkSearch(b *testing.B) {
	const n = 100000
	dir := b.TempDir()
	s := open(b, dir)
	c := newCorpus(2)
	start := time.Now()
	for from := 0; from < n; from += benchBatch {
		if err := s.PutDocuments(b.Context(), c.docs("bench", from, benchBatch)); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("indexed %d documents in %v (%.0f docs/s)", n, time.Since(start), n/time.Since(start).Seconds())
	indexRate, diskMB := float64(n)/time.Since(start).Seconds(), float64(diskBytes(b, dir))/(1<<20)
	// Queries: one or two words of mixed frequency, a third with a site filter.
	qr := rand.New(rand.NewPCG(3, 3))
	queries := make([]vigil.Query, 1000)
	for i := range queries {
		q := vigil.Query{Text: c.vocab[qr.IntN(2000)]}
		if i%2 == 1 {
			q.Text += " " + c.vocab[qr.IntN(200)]
		}
		if i%3 == 0 {
			q.Site = fmt.Sprintf("site%02d.onion", qr.IntN(40))
		}
		queries[i] = q
	}
	var lat []time.Duration
	cpu := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		if _, err := s.Search(b.Context(), queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
	b.ReportMetric(indexRate, "index-docs/s")
	b.ReportMetric(diskMB, "disk-MB")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// cpuTime returns the user and system CPU time the process has used: on a
// shared machine a steadier measure of cost than wall time.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// diskBytes returns the total size of the files under dir.
func diskBytes(tb testing.TB, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkBleveDefaultMapping indexes the same documents into a bleve index
// with the default mapping (dynamic fields, stored values, _all field): the
// baseline the store's own mapping is measured against.
func BenchmarkBleveDefaultMapping(b *testing.B) {
	idx, err := bleve.New(filepath.Join(b.TempDir(), "x.bleve"), bleve.NewIndexMapping())
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	c := newCorpus(1)
	b.ResetTimer()
	start := time.Now()
	for from := 0; from < b.N; from += benchBatch {
		docs := c.docs("bench", from, min(benchBatch, b.N-from))
		bt := idx.NewBatch()
		for _, d := range docs {
			bt.Index(d.ID, d)
		}
		if err := idx.Batch(bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
}

// BenchmarkPutFindings reports finding indexing speed (b.N findings, three
// per document, documents not stored) and the latency of a value lookup.
func BenchmarkPutFindings(b *testing.B) {
	s := open(b, b.TempDir())
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	kinds := []vigil.Kind{vigil.KindEmail, vigil.KindPhone, vigil.KindBTC}
	fs := make([]vigil.Finding, b.N)
	for i := range fs {
		k := i / 3
		p := vigil.Page{DocumentID: fmt.Sprint("doc", k), CrawlID: "bench", Site: fmt.Sprintf("site%02d.onion", k%40),
			URL: fmt.Sprintf("http://site%02d.onion/%d", k%40, k), CapturedAt: t0.Add(time.Duration(k) * time.Second)}
		one := []vigil.Finding{{Kind: kinds[i%3], Value: fmt.Sprintf("value-%d", i%5000), Offset: i}}
		p.Stamp(one)
		fs[i] = one[0]
	}
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime(b)
	for from := 0; from < len(fs); from += benchBatch {
		if err := s.PutFindings(b.Context(), fs[from:min(len(fs), from+benchBatch)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "findings/s")
	b.ReportMetric(float64(b.N)/(cpuTime(b)-cpu).Seconds(), "findings/cpu-s")
	b.StopTimer()
	lat := make([]time.Duration, 200)
	for i := range lat {
		t := time.Now()
		if _, err := s.Findings(b.Context(), vigil.FindingQuery{Value: fmt.Sprintf("value-%d", i*7)}); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(t)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "lookup-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "lookup-p99-ms")
}

// BenchmarkMatchImages stores 100,000 images with random PDQ and pHash
// hashes and reports the latency of a match with 8 PDQ variants and a pHash,
// and the time Open takes to load them.
func BenchmarkMatchImages(b *testing.B) {
	const n = 100000
	dir := b.TempDir()
	s := open(b, dir)
	r := rand.New(rand.NewPCG(9, 9))
	randHex := func(nbytes int) string {
		buf := make([]byte, nbytes)
		for i := range buf {
			buf[i] = byte(r.UintN(256))
		}
		return fmt.Sprintf("%x", buf)
	}
	imgs := make([]vigil.Image, 0, benchBatch)
	for i := range n {
		imgs = append(imgs, vigil.Image{ID: fmt.Sprint("img", i), CrawlID: "bench", PDQ: randHex(32), PHash: randHex(8), SHA256: randHex(32), MD5: randHex(16)})
		if len(imgs) == benchBatch {
			if err := s.PutImages(b.Context(), imgs); err != nil {
				b.Fatal(err)
			}
			imgs = imgs[:0]
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	s = open(b, dir)
	openMS := float64(time.Since(start).Microseconds()) / 1000
	q := vigil.ImageQuery{}
	for v := range 8 {
		q.Hashes = append(q.Hashes, vigil.QueryHash{Algorithm: vigil.AlgoPDQ, Value: randHex(32), Variant: fmt.Sprint("v", v)})
	}
	q.Hashes = append(q.Hashes, vigil.QueryHash{Algorithm: vigil.AlgoPHash, Value: randHex(8)})
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.MatchImages(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(openMS, "open-ms")
}
