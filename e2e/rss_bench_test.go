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
	"vigil/demo"
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

// procKB reads a "Vm…: N kB" line of /proc/PID/status.
func procKB(b *testing.B, pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("peak RSS: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatalf("peak RSS: %s: %v", sc.Text(), err)
			}
			return kb
		}
	}
	b.Fatalf("peak RSS: no %s in /proc/%d/status", field, pid)
	return 0
}

type rssRun struct {
	pages          int
	rate           float64
	idleMB, peakMB float64
	took           time.Duration
}

// BenchmarkCrawlRSS crawls generated loopback sites of 10k and 100k pages
// (demo.ForPages, images off), each with a fresh `vigil up --direct` child
// process (embedded Temporal server, crawl activities, extraction, the
// embedded index, WARC evidence), from the API call to the last document
// indexed, and reports the child's pages/s and its peak RSS (VmHWM of
// /proc/PID/status; the idle figure is VmHWM before the crawl). Crawl state
// lives on disk (frontier, seen set, captures), so the peak should stay
// flat in crawl size: the last line gives the peak ratio.
func BenchmarkCrawlRSS(b *testing.B) {
	var runs []rssRun
	for i := 0; i < b.N; i++ {
		runs = runs[:0]
		for _, n := range rssSizes(b) {
			runs = append(runs, crawlForRSS(b, n))
		}
	}
	var line strings.Builder
	for i, r := range runs {
		if i > 0 {
			line.WriteString("; ")
		}
		fmt.Fprintf(&line, "crawl %dk pages: %.0f pages/s (%v), peak RSS %.0f MB (idle %.0f MB)", r.pages/1000, r.rate, r.took.Round(time.Second), r.peakMB, r.idleMB)
		b.ReportMetric(r.rate, fmt.Sprintf("pages/s-%dk", r.pages/1000))
		b.ReportMetric(r.peakMB, fmt.Sprintf("peakMB-%dk", r.pages/1000))
	}
	if len(runs) > 1 {
		first, last := runs[0], runs[len(runs)-1]
		ratio := last.peakMB / first.peakMB
		fmt.Fprintf(&line, "; peak RSS ratio %dk/%dk = %.2f for %.0fx the pages", last.pages/1000, first.pages/1000, ratio, float64(last.pages)/float64(first.pages))
		b.ReportMetric(ratio, "peak-ratio")
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
	start := time.Now()
	out, errOut, code := runVigil(b, "crawl", "--server", inst.URL, "--case", "bench", "--depth", "-1",
		"--max-pages", strconv.Itoa(2*pages), "--wait", srv.URL+"/")
	took := time.Since(start)
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
	return rssRun{pages: pages, rate: float64(st.Indexed) / took.Seconds(), idleMB: float64(idle) / 1024, peakMB: float64(peak) / 1024, took: took}
}
