//go:build record

package workflows

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"vigil/workflows/devserver"

	"vigil"
)

// TestRecordHistories runs CrawlSite on the embedded Temporal server against
// deterministic stub activities and writes the history of every run to
// testdata/histories, in the JSON the Temporal CLI exports, for
// TestReplayRecordedHistories. It is behind the record build tag so that the
// unit tests do not link the Temporal server:
//
//	go test -tags record -count=1 -run TestRecordHistories ./workflows/
//
// Record again only on purpose: a history recorded from changed workflow
// code no longer guards the runs the old code left in flight.
func TestRecordHistories(t *testing.T) {
	srv, err := devserver.Start(devserver.Config{DataDir: t.TempDir(), UIPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	site := &stubSite{crawls: map[string]*stubCrawl{}}
	for _, w := range site.workers(c) {
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
	}
	dir := filepath.Join("testdata", "histories")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &recorder{t: t, c: c, site: site, dir: dir}
	t.Run("a crawl whose frontier empties finishes", r.finish)
	t.Run("a crawl stops at its page limit", r.maxPages)
	t.Run("a paused crawl waits and resumes", r.pauseResume)
	t.Run("a stopped crawl ends after its current batch", r.stop)
	t.Run("a long crawl continues as new", r.continueAsNew)
	t.Run("a batch that fails for good fails the crawl", r.failBatch)
	t.Run("a crawl whose start fails for good fails", r.failStart)
}

// stubCrawl is one recorded crawl's fake site: a frontier of total pages.
type stubCrawl struct {
	total, fetched int
	failStart      bool
	failBatch      int            // batch number that fails non-retryably (0: none)
	failure        map[int]string // CrawlBatchResult.Failure by batch
	// holdBatch is held until release is closed (0: none).
	holdBatch int
	release   chan struct{}
	events    chan string // "crawl N" and "index N" as the activities start
}

// stubSite implements the crawl activities for the recorded crawls, keyed
// by crawl ID.
type stubSite struct {
	mu     sync.Mutex
	crawls map[string]*stubCrawl
}

func (s *stubSite) add(id string, c *stubCrawl) *stubCrawl {
	c.events = make(chan string, 1000)
	c.release = make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crawls[id] = c
	return c
}

func (s *stubSite) crawl(id string) *stubCrawl {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.crawls[id]
}

func (s *stubSite) workers(c client.Client) []worker.Worker {
	wf := worker.New(c, TaskQueue, worker.Options{})
	wf.RegisterWorkflowWithOptions(CrawlSite, workflow.RegisterOptions{Name: WorkflowCrawlSite})
	crawl := worker.New(c, CrawlTaskQueue, worker.Options{})
	Contract.StartCrawl.Register(crawl, s.startCrawl)
	Contract.CrawlBatch.Register(crawl, s.crawlBatch)
	process := worker.New(c, ProcessTaskQueue, worker.Options{})
	Contract.IndexBatch.Register(process, s.indexBatch)
	return []worker.Worker{wf, crawl, process}
}

func (s *stubSite) startCrawl(_ context.Context, in StartCrawlInput) (StartCrawlResult, error) {
	c := s.crawl(in.CrawlID)
	if c.failStart {
		return StartCrawlResult{}, temporal.NewNonRetryableApplicationError("seed is not an http(s) URL", ErrorTypeInvalid, nil)
	}
	return StartCrawlResult{Queued: c.total}, nil
}

func (s *stubSite) crawlBatch(ctx context.Context, in CrawlBatchInput) (CrawlBatchResult, error) {
	c := s.crawl(in.CrawlID)
	c.events <- fmt.Sprintf("crawl %d", in.Batch)
	if in.Batch == c.holdBatch {
		select {
		case <-c.release:
		case <-ctx.Done():
			return CrawlBatchResult{}, ctx.Err()
		}
	}
	if in.Batch == c.failBatch {
		return CrawlBatchResult{}, temporal.NewNonRetryableApplicationError("login recipe rejected", ErrorTypeInvalid, nil)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var res CrawlBatchResult
	for i := 0; i < in.MaxPages && c.fetched < c.total; i++ {
		res.DocumentIDs = append(res.DocumentIDs, fmt.Sprintf("%s-doc-%d", in.CrawlID, c.fetched))
		c.fetched++
	}
	res.Pages, res.Images, res.Errors, res.Skipped = len(res.DocumentIDs), len(res.DocumentIDs)/2, 1, 2
	res.Changed, res.Unchanged = 1, len(res.DocumentIDs)-1
	res.Queued = c.total - c.fetched
	res.Failure = c.failure[in.Batch]
	return res, nil
}

func (s *stubSite) indexBatch(_ context.Context, in IndexBatchInput) (IndexBatchResult, error) {
	s.crawl(in.CrawlID).events <- fmt.Sprintf("index %d", in.Batch)
	n := len(in.DocumentIDs)
	return IndexBatchResult{Documents: n, Findings: 2 * n, Images: n / 2, Drift: 1}, nil
}

// recorder runs the scenarios and writes their histories.
type recorder struct {
	t    *testing.T
	c    client.Client
	site *stubSite
	dir  string
}

func (r *recorder) params(id string) CrawlParams {
	return CrawlParams{CrawlID: id, CaseID: "case-record", Seeds: []string{"http://127.0.0.1/"}, MaxPages: 1000, BatchSize: 10, Robots: RobotsObey}
}

func (r *recorder) start(t *testing.T, id string, p CrawlParams) client.WorkflowRun {
	run, err := r.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: TaskQueue}, WorkflowCrawlSite, p)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// wait waits for the stub activities of crawl id to report event.
func (r *recorder) wait(t *testing.T, id, event string) {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case got := <-r.site.crawl(id).events:
			if got == event {
				return
			}
		case <-timeout:
			t.Fatalf("crawl %s: no %q within two minutes", id, event)
		}
	}
}

func (r *recorder) query(t *testing.T, id string) Progress {
	t.Helper()
	v, err := r.c.QueryWorkflow(context.Background(), id, "", QueryProgress)
	if err != nil {
		t.Fatal(err)
	}
	var p Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (r *recorder) signal(t *testing.T, id, cmd string) {
	t.Helper()
	if err := r.c.SignalWorkflow(context.Background(), id, "", SignalControl, cmd); err != nil {
		t.Fatal(err)
	}
}

// signalDuring sends cmd while batch n of crawl id runs, held, checks the
// state a query reports after the signal, and releases the batch.
func (r *recorder) signalDuring(t *testing.T, id string, n int, cmd string, want vigil.CrawlState) {
	t.Helper()
	r.wait(t, id, fmt.Sprintf("crawl %d", n))
	r.signal(t, id, cmd)
	// A query runs after the workflow task of the signal.
	if p := r.query(t, id); p.State != want {
		t.Fatalf("state after the %s signal during batch %d = %q, want %q", cmd, n, p.State, want)
	}
	close(r.site.crawl(id).release)
}

// result waits for the crawl's result, following continue-as-new.
func (r *recorder) result(t *testing.T, run client.WorkflowRun) (Progress, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var p Progress
	err := run.Get(ctx, &p)
	return p, err
}

// save writes the history of the run and of every run it continued as, as
// <name>.json, <name>-2.json, ...
func (r *recorder) save(t *testing.T, name, id, runID string) {
	t.Helper()
	for n := 1; runID != ""; n++ {
		var h historypb.History
		it := r.c.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, e)
		}
		runID = h.Events[len(h.Events)-1].GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		file := name + ".json"
		if n > 1 {
			file = fmt.Sprintf("%s-%d.json", name, n)
		}
		if err := os.WriteFile(filepath.Join(r.dir, file), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s: %d events", file, len(h.Events))
	}
}

func (r *recorder) finish(t *testing.T) {
	const id = "finish"
	r.site.add(id, &stubCrawl{total: 25})
	run := r.start(t, id, r.params(id))
	p, err := r.result(t, run)
	if err != nil || p.State != vigil.CrawlFinished || p.Pages != 25 || p.Indexed != 25 || p.Batches != 3 {
		t.Fatalf("progress %+v, error %v; want finished, 25 pages indexed in 3 batches", p, err)
	}
	r.save(t, id, id, run.GetRunID())
}

func (r *recorder) maxPages(t *testing.T) {
	const id = "max-pages"
	r.site.add(id, &stubCrawl{total: 1000, failure: map[int]string{2: "every request refused by policy"}})
	params := r.params(id)
	params.MaxPages = 25
	run := r.start(t, id, params)
	p, err := r.result(t, run)
	if err != nil || p.State != vigil.CrawlFinished || p.Pages != 25 || p.Queued != 975 || p.LastError == "" {
		t.Fatalf("progress %+v, error %v; want finished at 25 pages, 975 queued, a last error", p, err)
	}
	r.save(t, id, id, run.GetRunID())
}

func (r *recorder) pauseResume(t *testing.T) {
	const id = "pause-resume"
	r.site.add(id, &stubCrawl{total: 30, holdBatch: 1})
	run := r.start(t, id, r.params(id))
	r.signalDuring(t, id, 1, vigil.ControlPause, vigil.CrawlPaused)
	r.wait(t, id, "index 1")
	if p := r.query(t, id); p.State != vigil.CrawlPaused || p.Batches != 1 || p.Pages != 10 || p.CaseID != "case-record" {
		t.Fatalf("progress while paused = %+v; want paused after one batch of 10 pages", p)
	}
	r.signal(t, id, vigil.ControlResume)
	p, err := r.result(t, run)
	if err != nil || p.State != vigil.CrawlFinished || p.Pages != 30 || p.Indexed != 30 {
		t.Fatalf("progress %+v, error %v; want finished, 30 pages indexed", p, err)
	}
	r.save(t, id, id, run.GetRunID())
}

func (r *recorder) stop(t *testing.T) {
	const id = "stop"
	r.site.add(id, &stubCrawl{total: 1000, holdBatch: 2})
	run := r.start(t, id, r.params(id))
	r.signalDuring(t, id, 2, vigil.ControlStop, vigil.CrawlRunning)
	p, err := r.result(t, run)
	if err != nil || p.State != vigil.CrawlStopped || p.Pages != 20 || p.Indexed != 20 || p.Batches != 2 {
		t.Fatalf("progress %+v, error %v; want stopped after 2 batches, 20 pages indexed", p, err)
	}
	r.save(t, id, id, run.GetRunID())
}

func (r *recorder) continueAsNew(t *testing.T) {
	// Like a scheduled run: no crawl ID, the workflow ID names the crawl.
	const id = "continue-as-new"
	r.site.add(id, &stubCrawl{total: 50})
	params := r.params("")
	params.BatchesPerRun = 2
	run := r.start(t, id, params)
	first := run.GetRunID() // Get moves the run to the last one
	p, err := r.result(t, run)
	if err != nil || p.State != vigil.CrawlFinished || p.Pages != 50 || p.Indexed != 50 || p.Runs != 2 {
		t.Fatalf("progress %+v, error %v; want finished, 50 pages indexed over 3 runs", p, err)
	}
	r.save(t, id, id, first)
}

func (r *recorder) failBatch(t *testing.T) {
	const id = "fail-batch"
	r.site.add(id, &stubCrawl{total: 1000, failBatch: 2})
	run := r.start(t, id, r.params(id))
	if _, err := r.result(t, run); err == nil {
		t.Fatal("the crawl succeeded; want it failed by batch 2")
	}
	r.save(t, id, id, run.GetRunID())
}

func (r *recorder) failStart(t *testing.T) {
	const id = "fail-start"
	r.site.add(id, &stubCrawl{total: 10, failStart: true})
	run := r.start(t, id, r.params(id))
	if _, err := r.result(t, run); err == nil {
		t.Fatal("the crawl succeeded; want it failed at start")
	}
	r.save(t, id, id, run.GetRunID())
}
