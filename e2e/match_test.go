package e2e

import (
	"bytes"
	"image/jpeg"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"vigil"
	"vigil/extractors/imagehash"
	"vigil/internal/demo"
)

// TestMatchWatchlistAlertsEndToEnd: a watchlist imported before a crawl
// raises an alert for a planted image (listed by `vigil alerts --json`);
// after the crawl, `vigil match --json` finds a planted image from a JPEG q75
// copy at 80% size on the page that embeds it, and a photo that was never
// planted matches nothing at the match thresholds.
func TestMatchWatchlistAlertsEndToEnd(t *testing.T) {
	t.Parallel()
	site := demo.New(demo.Config{Threads: 30, Listings: 30, ImageEvery: 3})
	srv := httptest.NewServer(site)
	defer srv.Close()
	var jpegs []demo.PlantedImage
	for _, im := range site.Images() {
		if im.Format == "jpeg" && len(im.PagePaths) == 1 && im.NearDuplicateOf == "" {
			jpegs = append(jpegs, im)
		}
	}
	if len(jpegs) < 4 {
		t.Fatalf("the demo site has %d single-page JPEG images; the test needs 4", len(jpegs))
	}
	query, watched := jpegs[1], jpegs[3]
	hasher := imagehash.New(imagehash.Config{})
	wh, err := hasher.Hash(watched.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	list := filepath.Join(dir, "partner-list.tsv")
	tsv := "algorithm\thash\tlabel\npdq\t" + wh.PDQ + "\tknown victim 17\n"
	if err := os.WriteFile(list, []byte(tsv), 0o600); err != nil {
		t.Fatal(err)
	}

	inst := startUp(t, "--direct", "--concurrency", "8")
	out, errOut, code := runVigil(t, "watchlist", "import", "--server", inst.URL, list)
	if code != 0 || !strings.Contains(out, "watchlist partner-list: 1 hashes, 1 added") {
		t.Fatalf("watchlist import exited %d: %s %s", code, out, errOut)
	}
	out, _, code = runVigil(t, "watchlist", "list", "--server", inst.URL, "--json")
	if recs := jsonLines(t, out); code != 0 || len(recs) != 1 || recs[0]["name"] != "partner-list" || recs[0]["entries"] != float64(1) {
		t.Fatalf("watchlist list: exit %d, %s", code, out)
	}
	// A 64-digit hash without an algorithm is refused, with exit code 1.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(wh.PDQ+",x\n"), 0o600)
	if _, errOut, code := runVigil(t, "watchlist", "import", "--server", inst.URL, bad); code != 1 || !strings.Contains(errOut, "PDQ or SHA-256") {
		t.Fatalf("ambiguous import: exit %d, %q", code, errOut)
	}

	out, errOut, code = runVigil(t, "crawl", "--server", inst.URL, "--case", "e2e", "--depth", "-1", "--max-pages", "5000", "--wait", srv.URL+"/")
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s\n%s", code, errOut, out)
	}

	// The alert for the watched image, on its page.
	out, errOut, code = runVigil(t, "alerts", "--server", inst.URL, "--json")
	if code != 0 {
		t.Fatalf("vigil alerts exited %d: %s", code, errOut)
	}
	found := false
	for _, r := range jsonLines(t, out) {
		if r["page_url"] == srv.URL+watched.PagePaths[0] && r["image_url"] == srv.URL+watched.Path && r["label"] == "known victim 17" && r["distance"] == float64(0) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no alert for %s on %s:\n%s", watched.Path, watched.PagePaths[0], out)
	}
	if !strings.Contains(inst.logs.String(), "watchlist alert") {
		t.Errorf("vigil up logged no watchlist alert")
	}

	// The query: the planted image re-encoded as JPEG q75 at 80% size.
	img, err := imaging.Decode(bytes.NewReader(query.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, imaging.Resize(img, img.Bounds().Dx()*8/10, 0, imaging.Lanczos), &jpeg.Options{Quality: 75})
	qfile := filepath.Join(dir, "query.jpg")
	os.WriteFile(qfile, b.Bytes(), 0o600)
	out, errOut, code = runVigil(t, "match", "--server", inst.URL, "--json", qfile)
	if code != 0 {
		t.Fatalf("vigil match exited %d: %s", code, errOut)
	}
	recs := jsonLines(t, out)
	found = false
	for _, r := range recs {
		for _, k := range []string{"image_url", "page_url", "algorithm", "distance", "variant", "band", "site", "first_seen", "last_seen"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("match record without %s: %v", k, r)
			}
		}
		if r["page_url"] == srv.URL+query.PagePaths[0] && r["image_url"] == srv.URL+query.Path && r["band"] == vigil.BandMatch {
			found = true
		}
	}
	if !found {
		t.Fatalf("vigil match did not find %s on %s in the match band:\n%s", query.Path, query.PagePaths[0], out)
	}

	// A real photo that was never planted: nothing at the match thresholds.
	photos, _ := filepath.Glob("../testdata/pdq/photos/*.jpg")
	if len(photos) == 0 {
		t.Fatal("no photos in ../testdata/pdq/photos")
	}
	out, errOut, code = runVigil(t, "match", "--server", inst.URL, "--json", "--max-distance", "31", "--phash-distance", "10", photos[0])
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("match of a photo never planted: exit %d, %s %s; want no hits", code, out, errOut)
	}
	out, _, _ = runVigil(t, "match", "--server", inst.URL, "--json", photos[0])
	for _, r := range jsonLines(t, out) {
		if r["band"] == vigil.BandMatch {
			t.Errorf("a photo never planted is in the match band: %v", r)
		}
	}

	// Exit codes: a missing file fails (1), bad usage is 2.
	if _, errOut, code := runVigil(t, "match", "--server", inst.URL, filepath.Join(dir, "missing.jpg")); code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("match of a missing file: exit %d, %q; want 1 and one line", code, errOut)
	}
	if _, _, code := runVigil(t, "match", "--server", inst.URL); code != 2 {
		t.Errorf("match without IMAGE: exit %d; want 2", code)
	}
	if _, _, code := runVigil(t, "match", "--server", inst.URL, "--max-distance", "300", qfile); code != 2 {
		t.Errorf("match --max-distance 300: exit %d; want 2", code)
	}
}
