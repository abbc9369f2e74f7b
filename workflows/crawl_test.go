package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"vigil"
)

// fakeSite stands in for the crawl activities: a frontier of n pages.
type fakeSite struct {
	total, fetched int
	indexed        map[string]int
}

func (f *fakeSite) start(_ context.Context, in StartCrawlInput) (StartCrawlResult, error) {
	return StartCrawlResult{Queued: f.total - f.fetched}, nil
}

func (f *fakeSite) crawl(_ context.Context, in CrawlBatchInput) (CrawlBatchResult, error) {
	var res CrawlBatchResult
	for i := 0; i < in.MaxPages && f.fetched < f.total; i++ {
		res.DocumentIDs = append(res.DocumentIDs, fmt.Sprintf("doc-%d", f.fetched))
		f.fetched++
	}
	res.Pages = len(res.DocumentIDs)
	res.Queued = f.total - f.fetched
	return res, nil
}

func (f *fakeSite) index(_ context.Context, in IndexBatchInput) (IndexBatchResult, error) {
	for _, id := range in.DocumentIDs {
		f.indexed[id]++
	}
	return IndexBatchResult{Documents: len(in.DocumentIDs), Findings: 2 * len(in.DocumentIDs)}, nil
}

// registerObserved registers f's activities on env, each calling observe
// with its context first.
func (f *fakeSite) registerObserved(env *testsuite.TestWorkflowEnvironment, observe func(context.Context)) {
	Contract.StartCrawl.Register(env, func(ctx context.Context, in StartCrawlInput) (StartCrawlResult, error) {
		observe(ctx)
		return f.start(ctx, in)
	})
	Contract.CrawlBatch.Register(env, func(ctx context.Context, in CrawlBatchInput) (CrawlBatchResult, error) {
		observe(ctx)
		return f.crawl(ctx, in)
	})
	Contract.IndexBatch.Register(env, func(ctx context.Context, in IndexBatchInput) (IndexBatchResult, error) {
		observe(ctx)
		return f.index(ctx, in)
	})
}

func newEnv(t *testing.T, f *fakeSite) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(CrawlSite, workflow.RegisterOptions{Name: WorkflowCrawlSite})
	Contract.StartCrawl.Register(env, f.start)
	Contract.CrawlBatch.Register(env, f.crawl)
	Contract.IndexBatch.Register(env, f.index)
	return env
}

func TestCrawlSiteIndexesEveryPageOnce(t *testing.T) {
	f := &fakeSite{total: 1234, indexed: map[string]int{}}
	env := newEnv(t, f)
	env.ExecuteWorkflow(CrawlSite, CrawlParams{CrawlID: "c1", Seeds: []string{"http://127.0.0.1/"}, MaxPages: 5000, BatchSize: 100})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var prog Progress
	if err := env.GetWorkflowResult(&prog); err != nil {
		t.Fatal(err)
	}
	if prog.State != vigil.CrawlFinished || prog.Pages != 1234 || prog.Indexed != 1234 || prog.Batches != 13 || prog.Findings != 2468 {
		t.Fatalf("progress = %+v", prog)
	}
	if len(f.indexed) != 1234 {
		t.Fatalf("indexed %d distinct documents, want 1234", len(f.indexed))
	}
	for id, n := range f.indexed {
		if n != 1 {
			t.Fatalf("%s indexed %d times", id, n)
		}
	}
}

func TestCrawlSiteStopsAtMaxPages(t *testing.T) {
	f := &fakeSite{total: 1000, indexed: map[string]int{}}
	env := newEnv(t, f)
	env.ExecuteWorkflow(CrawlSite, CrawlParams{CrawlID: "c1", Seeds: []string{"http://127.0.0.1/"}, MaxPages: 250, BatchSize: 100})
	var prog Progress
	if err := env.GetWorkflowResult(&prog); err != nil {
		t.Fatal(err)
	}
	if prog.Pages != 250 || prog.Batches != 3 || prog.State != vigil.CrawlFinished {
		t.Fatalf("progress = %+v, want 250 pages in 3 batches", prog)
	}
}

func TestCrawlSiteContinuesAsNewAfterBatchesPerRun(t *testing.T) {
	f := &fakeSite{total: 1000, indexed: map[string]int{}}
	env := newEnv(t, f)
	env.ExecuteWorkflow(CrawlSite, CrawlParams{CrawlID: "c1", Seeds: []string{"http://127.0.0.1/"}, MaxPages: 5000, BatchSize: 100, BatchesPerRun: 3})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	if f.fetched != 300 || len(f.indexed) != 300 {
		t.Fatalf("before continue-as-new fetched %d, indexed %d; want 300 and 300 (index drained)", f.fetched, len(f.indexed))
	}
}

func TestCrawlSitePausesResumesAndStops(t *testing.T) {
	f := &fakeSite{total: 100000, indexed: map[string]int{}}
	env := newEnv(t, f)
	var pausedAt, afterPause int
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalControl, vigil.ControlPause)
	}, time.Millisecond)
	env.RegisterDelayedCallback(func() {
		pausedAt = f.fetched
		v, err := env.QueryWorkflow(QueryProgress)
		if err != nil {
			t.Error(err)
			return
		}
		var p Progress
		if err := v.Get(&p); err != nil || p.State != vigil.CrawlPaused {
			t.Errorf("state while paused = %q (%v), want paused", p.State, err)
		}
		if len(p.Seeds) != 1 || p.Seeds[0] != "http://127.0.0.1/" || p.CaseID != "case-1" {
			t.Errorf("progress names seeds %q and case %q, want the crawl's", p.Seeds, p.CaseID)
		}
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		afterPause = f.fetched
		env.SignalWorkflow(SignalControl, vigil.ControlResume)
		env.SignalWorkflow(SignalControl, vigil.ControlStop)
	}, 2*time.Hour)
	env.ExecuteWorkflow(CrawlSite, CrawlParams{CrawlID: "c1", CaseID: "case-1", Seeds: []string{"http://127.0.0.1/"}, MaxPages: 100000, BatchSize: 10, BatchesPerRun: 100000})
	var prog Progress
	if err := env.GetWorkflowResult(&prog); err != nil {
		t.Fatal(err)
	}
	if pausedAt != afterPause {
		t.Fatalf("fetched %d pages while paused", afterPause-pausedAt)
	}
	if prog.State != vigil.CrawlStopped {
		t.Fatalf("state = %q, want stopped", prog.State)
	}
	if prog.Indexed != prog.Pages {
		t.Fatalf("indexed %d of %d pages after stop", prog.Indexed, prog.Pages)
	}
}

// TestCrawlSiteReportsRateAndETA checks that the progress query measures the
// fetch rate in workflow time and estimates the time left from it: batches of
// 100 pages that take 10 s each are 10 pages/s, and with 200 pages queued the
// estimate is 20 s.
func TestCrawlSiteReportsRateAndETA(t *testing.T) {
	f := &fakeSite{total: 300, indexed: map[string]int{}}
	env := newEnv(t, f)
	env.OnActivity(Contract.CrawlBatch.Name, mock.Anything, mock.Anything).Return(f.crawl).After(10 * time.Second)
	var mid Progress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryProgress)
		if err == nil {
			err = v.Get(&mid)
		}
		if err != nil {
			t.Error(err)
		}
	}, 15*time.Second)
	env.ExecuteWorkflow(CrawlSite, CrawlParams{CrawlID: "c1", Seeds: []string{"http://127.0.0.1/"}, MaxPages: 1000, BatchSize: 100})
	var end Progress
	if err := env.GetWorkflowResult(&end); err != nil {
		t.Fatal(err)
	}
	if mid.Pages != 100 || mid.Queued != 200 || mid.Rate != 10 || mid.ETASeconds != 20 || mid.MaxPages != 1000 {
		t.Fatalf("progress after the first batch = %+v; want 100 pages, 200 queued, rate 10/s, ETA 20 s", mid)
	}
	if mid.StartedAt.IsZero() || !mid.UpdatedAt.After(mid.StartedAt) {
		t.Fatalf("started %v, updated %v: want workflow times, updated after started", mid.StartedAt, mid.UpdatedAt)
	}
	if end.State != vigil.CrawlFinished || end.Pages != 300 || end.ETASeconds != 0 {
		t.Fatalf("final progress = %+v; want finished, 300 pages, no ETA", end)
	}
}

// TestCrawlSiteShowsTheEndStateOnlyOnceIndexed checks that a crawl whose last
// batch is still being indexed does not yet report finished: whoever sees an
// end state sees the final counts.
func TestCrawlSiteShowsTheEndStateOnlyOnceIndexed(t *testing.T) {
	f := &fakeSite{total: 100, indexed: map[string]int{}}
	env := newEnv(t, f)
	env.OnActivity(Contract.IndexBatch.Name, mock.Anything, mock.Anything).Return(f.index).After(10 * time.Second)
	var mid Progress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryProgress)
		if err == nil {
			err = v.Get(&mid)
		}
		if err != nil {
			t.Error(err)
		}
	}, 5*time.Second)
	env.ExecuteWorkflow(CrawlSite, CrawlParams{CrawlID: "c1", Seeds: []string{"http://127.0.0.1/"}, BatchSize: 100})
	var end Progress
	if err := env.GetWorkflowResult(&end); err != nil {
		t.Fatal(err)
	}
	if mid.Pages != 100 || mid.Indexed != 0 || mid.State != vigil.CrawlRunning {
		t.Fatalf("progress while the last batch is indexed = %+v; want running, 100 pages, 0 indexed", mid)
	}
	if end.State != vigil.CrawlFinished || end.Indexed != 100 {
		t.Fatalf("final progress = %+v", end)
	}
}

// TestCrawlSiteRoutesActivitiesToTheirRoles: crawl activities go to the
// crawl workers' queue and IndexBatch to the processing workers' queue, so
// `vigil worker --role crawl` and `--role process` each get only their work.
func TestCrawlSiteRoutesActivitiesToTheirRoles(t *testing.T) {
	f := &fakeSite{total: 30, indexed: map[string]int{}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(CrawlSite, workflow.RegisterOptions{Name: WorkflowCrawlSite})
	// CrawlBatch and IndexBatch run concurrently (the workflow indexes one
	// batch while it fetches the next).
	var mu sync.Mutex
	queues := map[string]map[string]bool{}
	record := func(ctx context.Context) {
		info := activity.GetInfo(ctx)
		mu.Lock()
		defer mu.Unlock()
		if queues[info.ActivityType.Name] == nil {
			queues[info.ActivityType.Name] = map[string]bool{}
		}
		queues[info.ActivityType.Name][info.TaskQueue] = true
	}
	f.registerObserved(env, record)
	env.ExecuteWorkflow(CrawlSite, CrawlParams{CrawlID: "c1", Seeds: []string{"http://127.0.0.1/"}, BatchSize: 10})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{Contract.StartCrawl.Name: CrawlTaskQueue, Contract.CrawlBatch.Name: CrawlTaskQueue, Contract.IndexBatch.Name: ProcessTaskQueue}
	for name, queue := range want {
		if got := queues[name]; len(got) != 1 || !got[queue] {
			t.Errorf("%s ran on task queues %v, want only %s", name, got, queue)
		}
	}
	if len(f.indexed) != 30 {
		t.Fatalf("indexed %d documents, want 30", len(f.indexed))
	}
}

// TestCrawlSiteGivesEachActivityItsTimeouts: each activity runs with its
// contract's start-to-close timeout, and the ones that heartbeat with the
// crawl's heartbeat timeout.
func TestCrawlSiteGivesEachActivityItsTimeouts(t *testing.T) {
	f := &fakeSite{total: 20, indexed: map[string]int{}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(CrawlSite, workflow.RegisterOptions{Name: WorkflowCrawlSite})
	var mu sync.Mutex
	type timeouts struct{ startToClose, heartbeat time.Duration }
	got := map[string]timeouts{}
	record := func(ctx context.Context) {
		info := activity.GetInfo(ctx)
		mu.Lock()
		defer mu.Unlock()
		// The test environment takes the deadline and the start time from
		// the clock one after the other: round off the gap.
		got[info.ActivityType.Name] = timeouts{info.Deadline.Sub(info.StartedTime).Round(time.Minute), info.HeartbeatTimeout}
	}
	f.registerObserved(env, record)
	env.ExecuteWorkflow(CrawlSite, CrawlParams{CrawlID: "c1", Seeds: []string{"http://127.0.0.1/"}, BatchSize: 10, HeartbeatTimeout: 7 * time.Second})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := map[string]timeouts{
		Contract.StartCrawl.Name: {time.Minute, 0},
		Contract.CrawlBatch.Name: {3 * time.Hour, 7 * time.Second},
		Contract.IndexBatch.Name: {10 * time.Minute, 7 * time.Second},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s ran with start-to-close %v and heartbeat timeout %v, want %v and %v", name, got[name].startToClose, got[name].heartbeat, w.startToClose, w.heartbeat)
		}
	}
}
