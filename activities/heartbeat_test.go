package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"vigil/internal/demo"
	"vigil/workflows"
)

// TestCrawlBatchRetriedAfterACrashIndexesOnce cuts a batch off in the middle
// (its context cancelled after 15 requests, as a dying worker's would be),
// then runs the retry as Temporal would, with the first attempt's heartbeat
// details: the retry heartbeats its own progress, captures every page of the
// batch, and indexing leaves each page in the index exactly once.
func TestCrawlBatchRetriedAfterACrashIndexesOnce(t *testing.T) {
	site := demo.New(demo.Config{Threads: 10, Listings: 10})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 15 {
			cancel()
		}
		site.ServeHTTP(w, r)
	}))
	defer srv.Close()
	a := newActivities(t)
	if _, err := a.StartCrawl(context.Background(), workflows.StartCrawlInput{CrawlID: "hb", Seeds: []string{srv.URL + "/"}, MaxDepth: -1}); err != nil {
		t.Fatal(err)
	}
	in := workflows.CrawlBatchInput{CrawlID: "hb", Batch: 1, MaxPages: 1000}
	if _, err := a.CrawlBatch(ctx, in); err == nil {
		t.Fatal("the cut-off attempt succeeded")
	}

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	workflows.Contract.CrawlBatch.Register(env, a.CrawlBatch)
	env.SetHeartbeatDetails(BatchHeartbeat{Batch: 1, Pages: 7})
	var beats atomic.Int64
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var hb BatchHeartbeat
		if err := details.Get(&hb); err != nil || hb.Batch != 1 || hb.Pages < 1 {
			t.Errorf("heartbeat %+v, %v; want batch 1 with pages done", hb, err)
		}
		beats.Add(1)
	})
	v, err := env.ExecuteActivity(workflows.Contract.CrawlBatch.Name, in)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.CrawlBatchResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	if beats.Load() == 0 {
		t.Fatal("the retried batch recorded no heartbeat")
	}
	pages := site.Pages()
	if res.Pages != len(pages) || res.Queued != 0 || len(res.DocumentIDs) != len(pages) {
		t.Fatalf("retried batch = %d pages, %d queued; want all %d pages", res.Pages, res.Queued, len(pages))
	}
	if _, err := a.IndexBatch(context.Background(), workflows.IndexBatchInput{CrawlID: "hb", Batch: 1, DocumentIDs: res.DocumentIDs}); err != nil {
		t.Fatal(err)
	}
	st, err := a.Store.Stats(context.Background())
	if err != nil || st.Documents != len(pages) {
		t.Fatalf("index holds %d documents (%v); the site has %d pages", st.Documents, err, len(pages))
	}
}
