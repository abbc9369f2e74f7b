package e2e

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil"
	"vigil/internal/demo"
)

// gate serves a site until it has answered `after` requests, then holds every
// further request until it is opened (or the client goes away). It stops a
// crawl in the middle without guessing at timing. rearm closes it again
// after n more requests.
type gate struct {
	next    http.Handler
	mu      sync.Mutex
	after   int64
	opened  chan struct{}
	served  atomic.Int64
	blocked atomic.Int64
}

func newGate(next http.Handler, after int) *gate {
	return &gate{next: next, after: int64(after), opened: make(chan struct{})}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := g.served.Add(1)
	g.mu.Lock()
	after, opened := g.after, g.opened
	g.mu.Unlock()
	if n > after {
		g.blocked.Add(1)
		select {
		case <-opened:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// open lets every held and future request through.
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.opened:
	default:
		close(g.opened)
	}
	g.after = 1 << 62
}

// rearm holds requests again once n more have been served.
func (g *gate) rearm(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.opened = make(chan struct{})
	g.after = g.served.Load() + int64(n)
	g.blocked.Store(0)
}

// waitFor polls cond until it holds, failing after limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		<-tick.C
	}
}

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
	out, errOut, code := runVigil(t, "crawl", "--server", first.URL, "--case", "e2e", "--depth", "-1", "--max-pages", "5000", srv.URL+"/")
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

// TestCrawlControlAndSchedulesFromTheCLI drives crawl control and schedules
// as an investigator would, through the CLI against `vigil up`: a crawl held
// mid-batch is paused (and shows as paused in `vigil crawls`), resumed and
// stopped, keeping what it indexed; a schedule starts a crawl every 2 s, skips
// runs while the previous one is held (overlap policy skip), starts the next
// once it finishes, and is paused and deleted.
func TestCrawlControlAndSchedulesFromTheCLI(t *testing.T) {
	site := demo.New(demo.ForPages(300))
	pages := site.Pages()
	g := newGate(site, 10)
	srv := httptest.NewServer(g)
	defer srv.Close()
	defer g.open()
	inst := startUp(t, "--direct", "--concurrency", "2", "--batch-size", "5")
	vigilOK := func(args ...string) string {
		t.Helper()
		out, errOut, code := runVigil(t, append(args, "--server", inst.URL)...)
		if code != 0 {
			t.Fatalf("vigil %v exited %d: %s\n%s", args, code, errOut, out)
		}
		return out
	}

	t.Run("a crawl is paused, listed as paused, resumed and stopped", func(t *testing.T) {
		out := vigilOK("crawl", "--case", "e2e", "--depth", "-1", "--max-pages", "5000", srv.URL+"/")
		id := strings.Fields(out)[1]
		waitFor(t, "the crawl reaches the gate", time.Minute, func() bool { return g.blocked.Load() > 0 })
		if out := vigilOK("crawl", "pause", id); !strings.Contains(out, "pause sent") {
			t.Fatalf("vigil crawl pause: %q", out)
		}
		g.open()
		paused := pollCrawl(t, inst.URL, id, time.Minute, func(st vigil.CrawlStatus) bool { return st.State == "paused" })
		list := vigilOK("crawls")
		if !regexp.MustCompile(regexp.QuoteMeta(id) + `\s+paused\s`).MatchString(list) {
			t.Fatalf("vigil crawls does not list %s as paused:\n%s", id, list)
		}
		if paused.Pages == 0 || paused.Pages >= len(pages) {
			t.Fatalf("paused crawl = %+v; want some of %d pages", paused, len(pages))
		}

		g.rearm(20)
		vigilOK("crawl", "resume", id)
		waitFor(t, "the resumed crawl fetches again and reaches the gate", time.Minute, func() bool { return g.blocked.Load() > 0 })
		vigilOK("crawl", "stop", id)
		g.open()
		st := pollCrawl(t, inst.URL, id, time.Minute, func(st vigil.CrawlStatus) bool { return st.Done() })
		if st.State != "stopped" || st.Pages <= paused.Pages || st.Pages >= len(pages) || st.Indexed != st.Pages {
			t.Fatalf("stopped crawl = %+v; want stopped after more than %d pages, fewer than %d, all indexed", st, paused.Pages, len(pages))
		}
		if _, errOut, code := runVigil(t, "crawl", "pause", "crawl-nosuch", "--server", inst.URL); code != 1 || !strings.Contains(errOut, "no running crawl") {
			t.Fatalf("pausing an unknown crawl: exit %d, %q", code, errOut)
		}
	})

	t.Run("a schedule runs, skips overlapping runs, pauses and is deleted", func(t *testing.T) {
		g.rearm(0) // hold the first run
		out := vigilOK("schedule", "create", "--case", "e2e", "--every", "2s", "--catchup-window", "30s", "--depth", "1", "--max-pages", "5", srv.URL+"/")
		m := regexp.MustCompile(`schedule (\S+) created: every 2s, catch-up window 30s`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("vigil schedule create: %q", out)
		}
		id := m[1]
		find := func() (vigil.ScheduleStatus, bool) {
			var list []vigil.ScheduleStatus
			getJSON(t, inst.URL, "/api/schedules", &list)
			for _, s := range list {
				if s.ID == id {
					return s, true
				}
			}
			return vigil.ScheduleStatus{}, false
		}
		var st vigil.ScheduleStatus
		waitFor(t, "a run is held and a later one skipped", 2*time.Minute, func() bool {
			var ok bool
			st, ok = find()
			return ok && len(st.RecentCrawls) == 1 && st.Skipped >= 1
		})
		if st.Every != "2s" || st.CatchupWindow != "30s" || st.Crawl.MaxPages != 5 || len(st.Crawl.Seeds) != 1 {
			t.Fatalf("schedule = %+v", st)
		}
		first := st.RecentCrawls[0]
		g.open()
		run := pollCrawl(t, inst.URL, first, time.Minute, func(st vigil.CrawlStatus) bool { return st.Done() })
		if run.State != "finished" || run.Pages != 5 || run.Indexed != 5 {
			t.Fatalf("scheduled crawl %s = %+v; want finished with 5 pages indexed", first, run)
		}
		waitFor(t, "the next run starts once the first has finished", time.Minute, func() bool {
			st, _ = find()
			return len(st.RecentCrawls) >= 2
		})

		vigilOK("schedule", "pause", id)
		if st, _ = find(); !st.Paused {
			t.Fatalf("schedule after pause = %+v", st)
		}
		if list := vigilOK("schedule", "list"); !regexp.MustCompile(regexp.QuoteMeta(id) + `\s+2s\s+paused\s`).MatchString(list) {
			t.Fatalf("vigil schedule list does not show %s paused:\n%s", id, list)
		}
		vigilOK("schedule", "resume", id)
		if st, _ = find(); st.Paused {
			t.Fatalf("schedule after resume = %+v", st)
		}
		vigilOK("schedule", "delete", id)
		waitFor(t, "the deleted schedule leaves the list", time.Minute, func() bool {
			_, ok := find()
			return !ok
		})
		if _, errOut, code := runVigil(t, "schedule", "pause", id, "--server", inst.URL); code != 1 || !strings.Contains(errOut, "no schedule") {
			t.Fatalf("pausing a deleted schedule: exit %d, %q", code, errOut)
		}
	})
}
