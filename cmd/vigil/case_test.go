package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigil"
	"vigil/cases"
	"vigil/cases/audit"
	"vigil/evidence"
	"vigil/photo/watchlist"
	"vigil/store/crawlstate"
	"vigil/store/embedded"
)

// caseData is a data directory with its stores open, as vigil up holds them.
type caseData struct {
	dir    string
	store  *embedded.Store
	state  *crawlstate.DB
	alerts *watchlist.DB
	audit  *audit.Log
}

func openCaseData(t *testing.T, dir string) *caseData {
	t.Helper()
	d := &caseData{dir: dir}
	var err error
	if d.store, err = embedded.Open(embedded.Config{Dir: filepath.Join(dir, "index")}); err != nil {
		t.Fatal(err)
	}
	if d.state, err = crawlstate.Open(filepath.Join(dir, "crawlstate.db")); err != nil {
		t.Fatal(err)
	}
	if d.alerts, err = watchlist.Open(filepath.Join(dir, "watchlist.db")); err != nil {
		t.Fatal(err)
	}
	if d.audit, err = audit.Open(filepath.Join(dir, "audit.log")); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *caseData) close(t *testing.T) {
	t.Helper()
	for _, c := range []interface{ Close() error }{d.store, d.state, d.alerts, d.audit} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	caseSHA   = strings.Repeat("ab", 32)
	caseAt    = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	casePages = []string{"http://site.onion/1", "http://site.onion/2"}
)

// fill writes a crawl of a case into every place that holds case data: the
// index (documents, findings, images, raw captures), the crawl state
// (frontier, seen set, a pending capture, content records), an alert and
// the WARC evidence with its signed manifest.
func (d *caseData) fill(t *testing.T, crawl, caseID string) {
	t.Helper()
	ctx := context.Background()
	key, err := evidence.LoadOrCreateKey(evidenceKeyPath(d.dir))
	if err != nil {
		t.Fatal(err)
	}
	arch, err := evidence.NewArchive(evidence.ArchiveConfig{Dir: evidenceDir(d.dir), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.state.Start(crawlstate.Meta{CrawlID: crawl, CaseID: caseID, Seeds: casePages[:1]}, []crawlstate.Request{{URL: casePages[0]}}); err != nil {
		t.Fatal(err)
	}
	var pending []crawlstate.Pending
	var images []vigil.Image
	for _, u := range casePages {
		doc := vigil.Document{ID: vigil.DocumentID(crawl, u), CrawlID: crawl, CaseID: caseID, Site: "site.onion", URL: u + "?" + crawl,
			Status: 200, Text: "contact seller@example.com", CapturedAt: caseAt, SHA256: caseSHA}
		must(t, d.store.PutDocuments(ctx, []vigil.Document{doc}))
		must(t, d.store.PutFindings(ctx, []vigil.Finding{{ID: vigil.FindingID(doc.ID, vigil.KindEmail, "seller@example.com", 8), Kind: vigil.KindEmail,
			Value: "seller@example.com", DocumentID: doc.ID, CrawlID: crawl, CaseID: caseID, URL: u, CapturedAt: caseAt}}))
		img := vigil.Image{ID: vigil.ImageID(crawl, u, u+".jpg"), URL: u + ".jpg", PageURL: u, DocumentID: doc.ID,
			CrawlID: crawl, CaseID: caseID, SHA256: caseSHA, MD5: strings.Repeat("cd", 16), PHash: "0123456789abcdef", CapturedAt: caseAt}
		images = append(images, img)
		must(t, d.store.PutImages(ctx, []vigil.Image{img}))
		must(t, d.store.PutCapture(ctx, doc.ID, []byte("<html>"+u)))
		if _, err := arch.WriteCapture(crawl, 0, evidence.Capture{URL: u, Status: 200, Body: []byte(u)}); err != nil {
			t.Fatal(err)
		}
		pending = append(pending, crawlstate.Pending{Document: doc})
	}
	must(t, arch.EndBatch(crawl, 0, evidence.Run{CaseID: caseID}))
	_, keys, err := d.state.Head(crawl, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.state.Commit(crawl, crawlstate.Batch{Number: 1, Taken: keys, Remaining: []crawlstate.Request{{URL: casePages[1], Depth: 1}},
		Seen: d.state.Seen(crawl), Pending: pending, Result: func(int) any { return "ok" }}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.alerts.Import("victims", []watchlist.Row{{Algorithm: vigil.AlgoSHA256, Hash: caseSHA, Label: "known"}}); err != nil {
		t.Fatal(err)
	}
	if raised, err := d.alerts.Check(images); err != nil || len(raised) != len(images) {
		t.Fatalf("alerts raised: %d, %v; want %d", len(raised), err, len(images))
	}
}

// holdings counts what the data directory holds of a case, place by place.
func (d *caseData) holdings(t *testing.T, caseID string, crawls []string) map[string]int {
	t.Helper()
	ctx := context.Background()
	h := map[string]int{}
	res, err := d.store.Search(ctx, vigil.Query{CaseID: caseID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	h["documents"] = res.Total
	fr, err := d.store.Findings(ctx, vigil.FindingQuery{CaseID: caseID})
	if err != nil {
		t.Fatal(err)
	}
	h["findings"] = fr.Total
	hits, err := d.store.MatchImages(ctx, vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoSHA256, Value: caseSHA}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, hit := range hits {
		if hit.Image.CaseID == caseID {
			h["images"]++
		}
	}
	for _, crawl := range crawls {
		for _, u := range casePages {
			if _, err := d.store.Capture(ctx, vigil.DocumentID(crawl, u)); err == nil {
				h["captures"]++
			}
		}
		if _, err := d.state.Meta(crawl); err == nil {
			h["crawl state"]++
		}
		if _, err := os.Stat(filepath.Join(evidenceDir(d.dir), crawl)); err == nil {
			h["evidence"]++
		}
	}
	if h["content records"], err = d.state.ContentOf(crawls); err != nil {
		t.Fatal(err)
	}
	if h["alerts"], err = d.alerts.CaseAlerts(caseID); err != nil {
		t.Fatal(err)
	}
	return h
}

// kept is what fill writes for one crawl of two pages.
var kept = map[string]int{"documents": 2, "findings": 2, "images": 2, "captures": 2, "content records": 2, "alerts": 2, "crawl state": 1, "evidence": 1}

// wantHoldings checks got against kept (all) or against nothing at all.
func wantHoldings(t *testing.T, what string, got map[string]int, all bool) {
	t.Helper()
	for k := range kept {
		want := 0
		if all {
			want = kept[k]
		}
		if got[k] != want {
			t.Errorf("%s: %d %s; want %d (all: %v)", what, got[k], k, want, got)
		}
	}
}

func TestCasePurgeLeavesNothingOfTheCase(t *testing.T) {
	data := t.TempDir()
	d := openCaseData(t, data)
	d.fill(t, "crawl-a1", "case-a")
	d.fill(t, "crawl-a2", "case-a")
	d.fill(t, "crawl-b", "case-b")
	d.close(t)

	out, err := runCLI("case", "purge", "--data", data, "--case", "case-a", "--user", "det. smith")
	if err != nil || !strings.Contains(out, "case case-a purged: 2 crawls") {
		t.Fatalf("purge: %q, %v", out, err)
	}

	d = openCaseData(t, data)
	// Every place, by the test's own reading of it: documents, findings,
	// images, raw captures, crawl state, content records, alerts, evidence.
	wantHoldings(t, "after the purge case-a", d.holdings(t, "case-a", []string{"crawl-a1", "crawl-a2"}), false)
	wantHoldings(t, "case-b", d.holdings(t, "case-b", []string{"crawl-b"}), true)
	if rep, err := evidence.Verify(evidenceDir(data), nil); err != nil || !rep.OK() || len(rep.Manifests) != 1 {
		t.Errorf("remaining evidence: %+v, %v; want case-b's one crawl, verified", rep, err)
	}
	entries, _, err := d.audit.Search(audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	last := entries[0] // newest first
	if last.Action != "case.purge" || last.CaseID != "case-a" || last.User != "det. smith" || !strings.Contains(last.Result, "purged 2 crawls [crawl-a1 crawl-a2]") {
		t.Errorf("last audit entry %+v; want the purge", last)
	}

	// A second purge finds nothing and says so.
	d.close(t)
	out, err = runCLI("case", "purge", "--data", data, "case-a")
	if err != nil || !strings.Contains(out, "case case-a purged: 0 crawls") {
		t.Errorf("second purge: %q, %v", out, err)
	}
}

func TestRetentionSweeperPurgesExpiredCases(t *testing.T) {
	data := t.TempDir()
	d := openCaseData(t, data)
	defer d.close(t)
	d.fill(t, "crawl-short", "short")
	d.fill(t, "crawl-long", "long")

	reg, err := cases.OpenRegistry(casesPath(data))
	if err != nil {
		t.Fatal(err)
	}
	// The sweeper reads the clock on its own goroutine (each tick starts a
	// sweep), so the test moves it atomically.
	var now atomic.Int64
	now.Store(caseAt.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	m := &cases.Manager{Registry: reg, Audit: d.audit, Now: clock, Parts: cases.Holdings{State: d.state, Index: d.store, Alerts: d.alerts, Evidence: evidence.Dir(evidenceDir(data))}.Parts()}
	ctx := context.Background()
	if _, err := m.CreateCase(ctx, vigil.CaseRequest{ID: "short", Retention: "2h"}, "det. smith"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateCase(ctx, vigil.CaseRequest{ID: "long", Retention: "30d"}, "det. smith"); err != nil {
		t.Fatal(err)
	}

	ticks := make(chan time.Time)
	sweepCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.RunSweeper(sweepCtx, ticks) }()
	defer func() { cancel(); <-done }()
	// tick returns once the sweep it triggers has finished: the sweeper
	// takes the second send only when it is back waiting for ticks.
	tick := func() { ticks <- clock(); ticks <- clock() }

	tick() // before the retention ends: nothing is purged
	wantHoldings(t, "before expiry, case short", d.holdings(t, "short", []string{"crawl-short"}), true)

	now.Add(int64(2*time.Hour + time.Minute))
	tick()
	wantHoldings(t, "after expiry, case short", d.holdings(t, "short", []string{"crawl-short"}), false)
	wantHoldings(t, "case long", d.holdings(t, "long", []string{"crawl-long"}), true)
	c, err := m.Case(ctx, "short")
	if err != nil || c.PurgedAt.IsZero() {
		t.Errorf("case short: %+v, %v; want it marked purged", c, err)
	}
	entries, _, err := d.audit.Search(audit.Filter{Action: "case.purge"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].CaseID != "short" || entries[0].User != "retention" {
		t.Errorf("purge audit entries %+v; want one for case short by retention", entries)
	}

	tick() // a purged case is not purged again
	if entries, _, _ := d.audit.Search(audit.Filter{Action: "case.purge"}); len(entries) != 1 {
		t.Errorf("%d purge entries after another sweep; want 1", len(entries))
	}

	// The registry is durable: reopened, it still knows the purge.
	reg2, err := cases.OpenRegistry(casesPath(data))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := reg2.Get("short"); !ok || c.PurgedAt.IsZero() || c.Retention != "2h" {
		t.Errorf("reopened registry: %+v, %v", c, ok)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
