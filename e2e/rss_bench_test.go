package e2e

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil"
	"vigil/internal/demo"
)

// rssSizes are the crawl sizes of BenchmarkCrawlRSS; VIGIL_BENCH_RSS_PAGES
// ("10000,100000") overrides them.
func rssSizes(b *testing.B) []int {
	spec := os.Getenv("VIGIL_BENCH_RSS_PAGES")
	if spec == "" {
		return []int{10_000, 100_000}
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 10 {
			b.Fatalf("VIGIL_BENCH_RSS_PAGES: %q is not a page count", f)
		}
		out = append(out, n)
	}
	return out
}

// readProcKB reads a "Name: N kB" line of /proc/PID/status.
func readProcKB(pid int, field string) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}

func procKB(b *testing.B, pid int, field string) int64 {
	kb, ok := readProcKB(pid, field)
	if !ok {
		b.Fatalf("no %s in /proc/%d/status", field, pid)
	}
	return kb
}

type rssRun struct {
	pages                  int
	rate                   float64
	idleMB, peakMB, anonMB float64
	took                   time.Duration
}

// BenchmarkCrawlRSS crawls generated loopback sites of 10k and 100k pages
// (demo.ForPages, images off), each with its own `vigil up --direct` child
// process (embedded Temporal server, crawl activities, extraction, the
// embedded index, WARC evidence), from the API call to the last document
// indexed, and reports the child's pages/s and memory: peak RSS (VmHWM of
// /proc/PID/status, which includes the pages of the index and state files
// the process maps and reads) and peak anonymous RSS (RssAnon, sampled
// twice a second: heap and stacks, what the crawl itself holds). Crawl
// state lives on disk (frontier, seen set, captures), so anonymous memory
// should stay flat in crawl size; the last line gives both ratios.
func BenchmarkCrawlRSS(b *testing.B) {
	var runs []rssRun
	for _, n := range rssSizes(b) {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := crawlForRSS(b, n)
				b.ReportMetric(r.rate, "pages/s")
				b.ReportMetric(r.peakMB, "peak-RSS-MB")
				b.ReportMetric(r.anonMB, "peak-anon-MB")
				if i == b.N-1 {
					runs = append(runs, r)
				}
			}
		})
	}
	var line strings.Builder
	for i, r := range runs {
		if i > 0 {
			line.WriteString("; ")
		}
		fmt.Fprintf(&line, "crawl %dk pages: %.0f pages/s (%v), peak RSS %.0f MB, peak anon RSS %.0f MB (idle %.0f MB)",
			r.pages/1000, r.rate, r.took.Round(time.Second), r.peakMB, r.anonMB, r.idleMB)
	}
	if len(runs) > 1 {
		first, last := runs[0], runs[len(runs)-1]
		fmt.Fprintf(&line, "; ratio %dk/%dk for %.0fx the pages: peak RSS %.2f, peak anon RSS %.2f", last.pages/1000, first.pages/1000,
			float64(last.pages)/float64(first.pages), last.peakMB/first.peakMB, last.anonMB/first.anonMB)
	}
	fmt.Println(line.String())
}

func crawlForRSS(b *testing.B, n int) rssRun {
	cfg := demo.ForPages(n)
	cfg.ImageEvery = -1
	site := demo.New(cfg)
	pages := len(site.Pages())
	srv := httptest.NewServer(site)
	defer srv.Close()
	inst := startUp(b, "--direct", "--concurrency", "8", "--batch-size", "500")
	pid := inst.cmd.Process.Pid
	idle := procKB(b, pid, "VmHWM")

	// Sample anonymous RSS while the crawl runs (a measurement, not a
	// synchronisation: the crawl's end is what runVigil waits for).
	stop := make(chan struct{})
	sampled := make(chan int64)
	go func() {
		var peak int64
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			if kb, ok := readProcKB(pid, "RssAnon"); ok {
				peak = max(peak, kb)
			}
			select {
			case <-stop:
				sampled <- peak
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	out, errOut, code := runVigil(b, "crawl", "--server", inst.URL, "--case", "bench", "--depth", "-1",
		"--max-pages", strconv.Itoa(2*pages), "--wait", srv.URL+"/")
	took := time.Since(start)
	close(stop)
	anon := <-sampled
	if code != 0 {
		b.Fatalf("crawl of %d pages exited %d: %s %s", pages, code, errOut, tail(out, 2000))
	}
	peak := procKB(b, pid, "VmHWM")
	id := strings.Fields(out)[1]
	var st vigil.CrawlStatus
	getJSON(b, inst.URL, "/api/crawls/"+id, &st)
	if st.State != "finished" || st.Indexed != pages {
		b.Fatalf("crawl of the %d-page site: %+v", pages, st)
	}
	return rssRun{pages: pages, rate: float64(st.Indexed) / took.Seconds(), idleMB: float64(idle) / 1024,
		peakMB: float64(peak) / 1024, anonMB: float64(anon) / 1024, took: took}
}
