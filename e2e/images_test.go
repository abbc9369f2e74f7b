package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil"
	"vigil/crawler"
	"vigil/internal/fixtures/imagescan"
	"vigil/internal/fixtures/imagesite"
	"vigil/workflows/devserver"
)

// The image site is built once per test binary (about 3 s of CPU).
var (
	imageSiteOnce sync.Once
	imageSite     *imagesite.Site
)

func theImageSite() *imagesite.Site {
	imageSiteOnce.Do(func() { imageSite = imagesite.New(imagesite.Config{Seed: 1}) })
	return imageSite
}

// imageNeedles are three windows from the middle of every image the site
// serves or inlines, and of the start of every video (what a crawler reads
// to sniff it), each raw and in base64.
func imageNeedles(site *imagesite.Site) []imagescan.Needle {
	var needles []imagescan.Needle
	for _, im := range site.Images() {
		needles = append(needles, imagescan.Windows(im.Name, im.Bytes, 3)...)
	}
	for _, m := range site.Media() {
		needles = append(needles, imagescan.Windows(m.Name, m.Head[:min(len(m.Head), int(m.Size))], 3)...)
	}
	return needles
}

// scanReport is what one scan read and found.
type scanReport struct {
	files            []string
	bytes, gunzipped int64
	needles, streams int
	hits             []imagescan.Hit
}

// scanEverything scans every file under each of dirs and every output
// stream for the site's image windows.
func scanEverything(t *testing.T, site *imagesite.Site, dirs map[string]string, streams map[string][]byte) scanReport {
	t.Helper()
	sc := imagescan.NewScanner(imageNeedles(site))
	var rep scanReport
	for label, dir := range dirs {
		hits, files, err := sc.ScanDir(dir)
		if err != nil {
			t.Fatalf("scan %s: %v", dir, err)
		}
		for i := range hits {
			hits[i].Where = filepath.Join(label, hits[i].Where)
		}
		for _, f := range files {
			rep.files = append(rep.files, filepath.Join(label, f))
		}
		rep.hits = append(rep.hits, hits...)
	}
	for name, data := range streams {
		rep.hits = append(rep.hits, sc.Scan(name, data)...)
		rep.streams++
	}
	rep.bytes, rep.gunzipped, rep.needles = sc.Bytes, sc.Gunzipped, sc.Needles()
	slices.Sort(rep.files)
	return rep
}

// mustHaveScanned fails unless the scan read the files where a leak would
// be: captures, WARC files, the index, the crawl state, the Temporal
// database.
func (rep scanReport) mustHaveScanned(t *testing.T, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		if !slices.ContainsFunc(rep.files, re.MatchString) {
			t.Errorf("the scan read no file matching %s (it read %d files)", p, len(rep.files))
		}
	}
}

// mustBeClean logs the scan's figures and fails for every hit.
func (rep scanReport) mustBeClean(t *testing.T, site *imagesite.Site) {
	t.Helper()
	t.Logf("scanned %d files and %d output streams: %d bytes, %d more gunzipped, for %d windows of %d images and %d videos: %d hits",
		len(rep.files), rep.streams, rep.bytes, rep.gunzipped, rep.needles, len(site.Images()), len(site.Media()), len(rep.hits))
	for _, h := range rep.hits {
		t.Errorf("image bytes persisted: %s", h)
	}
}

// crawlImageSite crawls the image site through the API at base and waits
// for the crawl to finish; it returns the crawl ID and the CLI's output.
func crawlImageSite(t *testing.T, base, siteURL string) (string, []byte) {
	t.Helper()
	out, errOut, code := runVigil(t, "crawl", "--server", base, "--case", "e2e", "--depth", "-1", "--max-pages", "5000", siteURL+"/")
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s\n%s", code, errOut, out)
	}
	id := strings.Fields(out)[1]
	st := pollCrawl(t, base, id, 8*time.Minute, func(st vigil.CrawlStatus) bool { return st.Done() })
	if st.State != "finished" {
		t.Fatalf("crawl %s ended %+v", id, st)
	}
	pages := len(theImageSite().Pages())
	if st.Pages != pages || st.Indexed != pages {
		t.Errorf("crawl %s: %d pages fetched, %d indexed; the site has %d pages (linked images and videos are no pages)", id, st.Pages, st.Indexed, pages)
	}
	t.Logf("crawl %s: %d pages, %d images, %d skipped, %d errors", id, st.Pages, st.Images, st.Skipped, st.Errors)
	return id, []byte(out + errOut)
}

// matchEveryImage runs `vigil match --json` on the exact bytes of every
// image the site serves or inlines, four at a time, and fails for each one
// no match-band hit names: an image URL that serves it (or the redirect
// that leads to it, or its data: placeholder) on a page that refers to it.
// It returns the CLI outputs, to be scanned too.
func matchEveryImage(t *testing.T, base, siteURL string) []byte {
	t.Helper()
	dir := t.TempDir()
	images := theImageSite().Images()
	outs := make([][]byte, len(images))
	errs := make([]string, len(images))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, im := range images {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			file := filepath.Join(dir, fmt.Sprintf("%03d.%s", i, im.Format))
			if err := os.WriteFile(file, im.Bytes, 0o600); err != nil {
				errs[i] = err.Error()
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, vigilBin, "match", "--server", base, "--json", file)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Sprintf("vigil match: %v: %s", err, stderr.String())
				return
			}
			outs[i] = append(stdout.Bytes(), stderr.Bytes()...)
			errs[i] = matchProblem(im, siteURL, stdout.Bytes())
		})
	}
	wg.Wait()
	found := 0
	for i, e := range errs {
		if e != "" {
			t.Errorf("%s (%v): %s", images[i].Name, images[i].Kinds, e)
		} else {
			found++
		}
	}
	t.Logf("vigil match found %d of %d images by their own bytes, each on a page that refers to it", found, len(images))
	return bytes.Join(outs, nil)
}

// matchProblem says why out (JSON Lines of vigil match) does not find im,
// or returns "".
func matchProblem(im imagesite.Image, siteURL string, out []byte) string {
	urls := map[string]bool{crawler.RemovedImageRef(im.SHA256): true}
	for _, u := range append(im.URLs, im.Redirects...) {
		urls[sortedQuery(siteURL+u)] = true // the crawler sorts query parameters
	}
	pages := map[string]bool{}
	for _, p := range im.Pages() {
		pages[siteURL+p] = true
	}
	var seen []string
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var r struct {
			ImageURL string `json:"image_url"`
			PageURL  string `json:"page_url"`
			Band     string `json:"band"`
		}
		if len(line) == 0 || json.Unmarshal(line, &r) != nil {
			continue
		}
		if r.Band == vigil.BandMatch && urls[sortedQuery(r.ImageURL)] && pages[r.PageURL] {
			return ""
		}
		seen = append(seen, r.ImageURL+" on "+r.PageURL+" ("+r.Band+")")
	}
	return fmt.Sprintf("no match-band hit on a page that refers to it; hits: %v", seen)
}

// sortedQuery is u with its query parameters in sorted order.
func sortedQuery(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.RawQuery == "" {
		return u
	}
	p.RawQuery = p.Query().Encode()
	return p.String()
}

// TestNoImageBytesPersistSingleProcess crawls the image site with `vigil up
// --direct`, matches every image by its own bytes, stops vigil, and scans
// every file under the data directory (gzip members decompressed, the
// Temporal SQLite database and its WAL, the index, the crawl state, the
// audit log) and every output of every process for windows of every image
// and video, raw and base64: none may be there.
func TestNoImageBytesPersistSingleProcess(t *testing.T) {
	t.Parallel()
	site := theImageSite()
	srv := httptest.NewServer(site)
	defer srv.Close()
	inst := startUp(t, "--direct", "--concurrency", "4", "--batch-size", "20")
	_, crawlOut := crawlImageSite(t, inst.URL, srv.URL)
	matchOut := matchEveryImage(t, inst.URL, srv.URL)
	inst.stop(t)

	rep := scanEverything(t, site, map[string]string{"data": inst.Data},
		map[string][]byte{"vigil up stdout": inst.out.Bytes(), "vigil up stderr": inst.logs.Bytes(), "vigil crawl": crawlOut, "vigil match": matchOut})
	rep.mustHaveScanned(t, `^data/index/captures/`, `^data/evidence/.*\.warc\.gz$`, `^data/temporal/.*\.db$`, `^data/crawlstate\.db$`, `^data/audit\.log$`)
	rep.mustBeClean(t, site)
}

// TestNoImageBytesPersistSplitRoles is the same crawl and scan with the
// production roles as separate processes: a Temporal server whose database
// is scanned too, `vigil serve` (API, processing, embedded index) and a
// `vigil worker --role crawl` on one data directory.
func TestNoImageBytesPersistSplitRoles(t *testing.T) {
	t.Parallel()
	site := theImageSite()
	srv := httptest.NewServer(site)
	defer srv.Close()
	temporalDir := t.TempDir()
	temporal, err := devserver.Start(devserver.Config{DataDir: temporalDir, UIPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(temporal.Stop)
	env := []string{"TEMPORAL_ADDRESS=" + temporal.FrontendAddress(), "TEMPORAL_NAMESPACE=" + temporal.Namespace(), "ELASTICSEARCH_URL=", "VIGIL_TOKEN="}
	data := t.TempDir()
	ready := regexp.MustCompile(`^Press Ctrl-C`)
	serve := startRole(t, env, ready, "serve", "--data", data, "--listen", "127.0.0.1:0", "--batch-size", "20")
	worker := startRole(t, env, ready, "worker", "--role", "crawl", "--direct", "--data", data, "--concurrency", "4")
	_, crawlOut := crawlImageSite(t, serve.URL, srv.URL)
	matchOut := matchEveryImage(t, serve.URL, srv.URL)
	worker.stop(t)
	serve.stop(t)
	temporal.Stop()

	rep := scanEverything(t, site, map[string]string{"data": data, "temporal": temporalDir}, map[string][]byte{
		"serve stdout": serve.out.Bytes(), "serve stderr": serve.logs.Bytes(), "worker stdout": worker.out.Bytes(),
		"worker stderr": worker.logs.Bytes(), "vigil crawl": crawlOut, "vigil match": matchOut})
	rep.mustHaveScanned(t, `^data/index/captures/`, `^data/evidence/.*\.warc\.gz$`, `^temporal/.*\.db$`, `^data/crawlstate\.db$`)
	rep.mustBeClean(t, site)
}

// TestKeptImagesGoOnlyToTheImageStore is the scan's positive control on a
// real crawl: with --evidence-keep-images the same scan finds the images,
// and finds them only in the image store (DATA/images), never among the
// pages' captures or WARC files.
func TestKeptImagesGoOnlyToTheImageStore(t *testing.T) {
	t.Parallel()
	site := theImageSite()
	srv := httptest.NewServer(site)
	defer srv.Close()
	inst := startUp(t, "--direct", "--concurrency", "4", "--batch-size", "20", "--evidence-keep-images")
	id, _ := crawlImageSite(t, inst.URL, srv.URL)
	downloadImageStore(t, inst.URL, id)
	inst.stop(t)

	rep := scanEverything(t, site, map[string]string{"data": inst.Data}, nil)
	found := map[string]bool{}
	for _, h := range rep.hits {
		if !strings.HasPrefix(h.Where, "data/images/") {
			t.Errorf("image bytes outside the image store: %s", h)
		}
		found[h.Needle.Image] = true
	}
	for _, im := range site.Images() {
		if !found[im.Name] {
			t.Errorf("%s (%v) is not in the image store", im.Name, im.Kinds)
		}
	}
	for _, m := range site.Media() {
		if found[m.Name] {
			t.Errorf("video %s was kept", m.Name)
		}
	}
	st, err := os.Stat(filepath.Join(inst.Data, "images"))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("image store %v, %v; want a 0700 directory", st, err)
	}
	t.Logf("keep-images: %d hits, %d of %d images found, all under data/images", len(rep.hits), len(found), len(site.Images()))
	out, errOut, code := runVigil(t, "evidence", "verify", filepath.Join(inst.Data, "images"))
	if code != 0 || !strings.HasPrefix(out, "OK ") {
		t.Errorf("vigil evidence verify of the image store: exit %d\n%s%s", code, out, errOut)
	}
}

// downloadImageStore lists a crawl's files in the image store through the
// API and downloads its first WARC file; both requests are audited.
func downloadImageStore(t *testing.T, base, crawlID string) {
	t.Helper()
	var list struct{ Files []string }
	if code := getJSON(t, base, "/api/images/"+crawlID, &list); code != 200 || len(list.Files) == 0 || !strings.HasSuffix(list.Files[0], ".warc.gz") {
		t.Fatalf("GET /api/images/%s = %d, %v", crawlID, code, list.Files)
	}
	resp, err := http.Get(base + "/api/images/" + crawlID + "/" + list.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		t.Fatalf("download %s: %d, %d bytes", list.Files[0], resp.StatusCode, len(body))
	}
	var audited struct {
		Entries []struct{ Action string }
	}
	getJSON(t, base, "/api/audit?action=images.", &audited)
	if len(audited.Entries) != 2 {
		t.Errorf("the image store requests left %d audit entries, want 2: %+v", len(audited.Entries), audited.Entries)
	}
}
