package main

import (
	"bytes"
	"strings"
	"testing"

	"vigil"
)

func TestProgressRendering(t *testing.T) {
	running := vigil.CrawlStatus{ID: "crawl-1", State: "running", Pages: 250, Queued: 1000, MaxPages: 1000,
		Indexed: 200, Findings: 7, Images: 3, Errors: 1, Rate: 12.5, ETASeconds: 60}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"the bar fills by pages over pages plus the budget left", progressBar(running, 20),
			"[#####...............] 250/1000 pages  12.5/s  ETA 1m0s  200 indexed  7 findings  3 images  1 errors  running"},
		{"a finished crawl has a full bar and no ETA", progressBar(vigil.CrawlStatus{State: "finished", Pages: 10, Indexed: 10}, 10),
			"[##########] 10/10 pages  0.0/s  ETA --  10 indexed  0 findings  0 images  0 errors  finished"},
		{"the plain line carries rate and ETA while running", progressLine(running),
			"crawl-1: running, 250 pages fetched, 1000 queued, 200 indexed, 7 findings, 3 images, 1 errors, 12.5 pages/s, ETA 1m0s"},
		{"the plain line of an ended crawl has no rate", progressLine(vigil.CrawlStatus{ID: "c", State: "stopped", Pages: 5, Rate: 3}),
			"c: stopped, 5 pages fetched, 0 queued, 0 indexed, 0 findings, 0 images, 0 errors"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, tc.got, tc.want)
		}
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Errorf("a buffer was taken for a terminal")
	}
	if strings.Contains(progressBar(vigil.CrawlStatus{State: "running"}, 5), "#") {
		t.Errorf("an empty crawl shows progress")
	}
}
