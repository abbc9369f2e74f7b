package activities

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"vigil"
	"vigil/internal/demo"
	"vigil/workflows"
)

// outageStore is a vigil.Store whose writes fail with EUNAVAILABLE for a
// stretch of calls, as an index restarting or unreachable would. Write call
// numbers start at 1; calls from..from+down-1 fail. It counts the successful
// writes of each document ID.
type outageStore struct {
	vigil.Store
	from, down int

	mu      sync.Mutex
	calls   int
	failed  int
	written map[string]int
}

func (s *outageStore) fail() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls >= s.from && s.calls < s.from+s.down {
		s.failed++
		return vigil.Errorf(vigil.EUNAVAILABLE, "index unavailable (injected outage, call %d)", s.calls)
	}
	return nil
}

func (s *outageStore) PutFindings(ctx context.Context, fs []vigil.Finding) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.PutFindings(ctx, fs)
}

func (s *outageStore) PutImages(ctx context.Context, imgs []vigil.Image) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.PutImages(ctx, imgs)
}

func (s *outageStore) PutDocuments(ctx context.Context, docs []vigil.Document) error {
	if err := s.fail(); err != nil {
		return err
	}
	if err := s.Store.PutDocuments(ctx, docs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range docs {
		s.written[d.ID]++
	}
	return nil
}

// TestCrawlRidesOutAnIndexOutage runs the real CrawlSite workflow over the
// real activities while the index refuses every write for a stretch that
// begins in the middle of an IndexBatch (findings written, images refused).
// The workflow retries with backoff, the crawl finishes, and every page of the
// site is in the index, each document written exactly once.
func TestCrawlRidesOutAnIndexOutage(t *testing.T) {
	site := demo.New(demo.Config{Threads: 40, Listings: 40})
	srv := httptest.NewServer(site)
	defer srv.Close()
	a := newActivities(t)
	// Each IndexBatch writes findings, images, documents: call 5 is the
	// second batch's images. Eight refused calls outlast several retries.
	flaky := &outageStore{Store: a.Store, from: 5, down: 8, written: map[string]int{}}
	a.Store = flaky

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(5 * time.Minute)
	env.RegisterWorkflowWithOptions(workflows.CrawlSite, workflow.RegisterOptions{Name: workflows.WorkflowCrawlSite})
	a.Register(env)
	env.ExecuteWorkflow(workflows.CrawlSite, workflows.CrawlParams{
		CrawlID: "outage", Seeds: []string{srv.URL + "/"}, MaxDepth: -1, MaxPages: 5000, BatchSize: 30,
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("crawl failed: %v", err)
	}
	var prog workflows.Progress
	if err := env.GetWorkflowResult(&prog); err != nil {
		t.Fatal(err)
	}
	pages := site.Pages()
	if flaky.failed != flaky.down {
		t.Fatalf("the outage refused %d writes, want %d: it did not happen in the middle of the crawl", flaky.failed, flaky.down)
	}
	if prog.State != vigil.CrawlFinished || prog.Pages != len(pages) || prog.Indexed != len(pages) {
		t.Fatalf("progress = %+v; want finished with %d pages fetched and indexed", prog, len(pages))
	}
	ctx := context.Background()
	st, err := a.Store.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != len(pages) {
		t.Fatalf("index holds %d documents, the site has %d pages", st.Documents, len(pages))
	}
	for _, p := range pages {
		id := vigil.DocumentID("outage", srv.URL+p)
		if n := flaky.written[id]; n != 1 {
			t.Errorf("page %s written %d times, want exactly once", p, n)
		}
		if _, err := a.Store.Document(ctx, id); err != nil {
			t.Errorf("page %s missing from the index: %v", p, err)
		}
	}
}
