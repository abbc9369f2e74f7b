package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil"
	"vigil/demo"
)

// gate serves a site until it has answered `after` requests, then holds every
// further request until it is opened (or the client goes away). It stops a
// crawl in the middle without guessing at timing.
type gate struct {
	next    http.Handler
	after   int64
	served  atomic.Int64
	blocked atomic.Int64
	once    sync.Once
	opened  chan struct{}
}

func newGate(next http.Handler, after int) *gate {
	return &gate{next: next, after: int64(after), opened: make(chan struct{})}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.served.Add(1) > g.after {
		g.blocked.Add(1)
		select {
		case <-g.opened:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

func (g *gate) open() { g.once.Do(func() { close(g.opened) }) }

// pollCrawl reads a crawl's status until ok accepts it, failing after limit.
func pollCrawl(t *testing.T, base, id string, limit time.Duration, ok func(vigil.CrawlStatus) bool) vigil.CrawlStatus {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var st vigil.CrawlStatus
	for {
		st = vigil.CrawlStatus{}
		code := getJSON(t, base, "/api/crawls/"+id, &st)
		if code == 200 && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("crawl %s: after %v the status is %d %+v", id, limit, code, st)
		}
		<-tick.C
	}
}

// TestCrawlSurvivesSIGKILL is the durability proof: a crawl of a few hundred
// pages is under way when the whole `vigil up` process (worker, embedded
// Temporal server, index) is killed with SIGKILL in the middle of a batch.
// A new `vigil up` on the same data directory resumes the workflow from
// Temporal's database and the frontier from the crawl state, and the crawl
// finishes with every page of the site indexed exactly once: the counts
// match and every page's document ID is in the index.
func TestCrawlSurvivesSIGKILL(t *testing.T) {
	site := demo.New(demo.ForPages(300))
	pages := site.Pages()
	if len(pages) < 200 {
		t.Fatalf("demo site has %d pages, the test needs at least 200", len(pages))
	}
	// Hold the crawl once half of the site's requests (pages and images)
	// are served: batches of 25 pages have committed by then.
	g := newGate(site, (len(pages)+len(site.Images()))/2)
	srv := httptest.NewServer(g)
	defer srv.Close()
	defer g.open()

	data := t.TempDir()
	flags := []string{"--direct", "--concurrency", "4", "--batch-size", "25", "--heartbeat-timeout", "4s"}
	first := startUpIn(t, data, flags...)
	out, errOut, code := runVigil(t, "crawl", "--server", first.URL, "--depth", "-1", "--max-pages", "5000", srv.URL+"/")
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s\n%s", code, errOut, out)
	}
	id := strings.Fields(out)[1]

	// Kill in the middle: some batches committed and indexed, one batch
	// blocked on the gate with its pages half fetched.
	before := pollCrawl(t, first.URL, id, 3*time.Minute, func(st vigil.CrawlStatus) bool {
		return st.Indexed >= 25 && g.blocked.Load() > 0
	})
	first.kill(t)
	if before.Done() || before.Pages >= len(pages) {
		t.Fatalf("the crawl was not in the middle when killed: %+v", before)
	}
	servedAtKill := g.served.Load()
	t.Logf("killed vigil up at %d of %d pages fetched, %d indexed", before.Pages, len(pages), before.Indexed)
	g.open()

	second := startUpIn(t, data, flags...)
	st := pollCrawl(t, second.URL, id, 5*time.Minute, func(st vigil.CrawlStatus) bool { return st.Done() })
	if st.State != "finished" || st.Pages != len(pages) || st.Indexed != len(pages) {
		t.Fatalf("after the restart the crawl ended %+v; want finished with %d pages fetched and indexed once", st, len(pages))
	}
	if g.served.Load() <= servedAtKill {
		t.Fatalf("the site served no request after the restart: the crawl did not resume")
	}

	// Exactly once, by count and by ID: the index holds as many documents
	// as the site has pages, and each page's deterministic ID among them.
	var stats vigil.Stats
	getJSON(t, second.URL, "/api/stats", &stats)
	if stats.Documents != len(pages) {
		t.Fatalf("index holds %d documents, the site has %d pages", stats.Documents, len(pages))
	}
	for _, p := range pages {
		docID := vigil.DocumentID(id, srv.URL+p)
		var doc struct{ Document vigil.Document }
		if code := getJSON(t, second.URL, "/api/documents/"+docID, &doc); code != 200 || doc.Document.URL != srv.URL+p {
			t.Fatalf("page %s: GET document %s answered %d (%q)", p, docID, code, doc.Document.URL)
		}
	}
}
