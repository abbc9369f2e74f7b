package workflows

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"
)

// Activity is one activity of CrawlSite's contract: the name it is
// registered and called by, the task queue of the workers that run it, how
// long one attempt may take, whether it heartbeats, and, as its type
// parameters, its input and result. The workflow calls it with Execute;
// package activities registers its implementation with Register, whose
// signature the compiler checks against In and Out.
type Activity[In, Out any] struct {
	Name      string
	TaskQueue string
	// StartToClose bounds one attempt.
	StartToClose time.Duration
	// Heartbeats says the activity heartbeats: it runs with the crawl's
	// heartbeat timeout, so a dead worker is noticed long before
	// StartToClose.
	Heartbeats bool
}

// Contract names every activity CrawlSite calls, once. Crawl activities go
// to the crawl workers' queue and IndexBatch to the processing workers'
// queue (TaskQueue's comment). Replay compares neither task queues nor
// timeouts, so histories recorded with other values still replay; it does
// compare names.
var Contract = struct {
	StartCrawl Activity[StartCrawlInput, StartCrawlResult]
	CrawlBatch Activity[CrawlBatchInput, CrawlBatchResult]
	IndexBatch Activity[IndexBatchInput, IndexBatchResult]
}{
	StartCrawl: Activity[StartCrawlInput, StartCrawlResult]{
		Name: "StartCrawl", TaskQueue: CrawlTaskQueue, StartToClose: time.Minute,
	},
	// Generous: a batch on a polite onion host (1 request a second) is
	// slow, and heartbeats, not this, detect a dead worker.
	CrawlBatch: Activity[CrawlBatchInput, CrawlBatchResult]{
		Name: "CrawlBatch", TaskQueue: CrawlTaskQueue, StartToClose: 3 * time.Hour, Heartbeats: true,
	},
	// IndexBatch heartbeats too: an index batch on a dead worker is
	// retried after the heartbeat timeout, not after ten minutes.
	IndexBatch: Activity[IndexBatchInput, IndexBatchResult]{
		Name: "IndexBatch", TaskQueue: ProcessTaskQueue, StartToClose: 10 * time.Minute, Heartbeats: true,
	},
}

// Execute schedules the activity with in and returns its pending result.
// ctx's activity options carry what the crawl decides (the retry policy and
// the heartbeat timeout); Execute sets the task queue and the start-to-close
// timeout, and drops the heartbeat timeout of an activity that does not
// heartbeat.
func (a Activity[In, Out]) Execute(ctx workflow.Context, in In) Future[Out] {
	ctx = workflow.WithTaskQueue(ctx, a.TaskQueue)
	ctx = workflow.WithStartToCloseTimeout(ctx, a.StartToClose)
	if !a.Heartbeats {
		ctx = workflow.WithHeartbeatTimeout(ctx, 0)
	}
	return Future[Out]{f: workflow.ExecuteActivity(ctx, a.Name, in)}
}

// Future is the pending result of an executed activity.
type Future[Out any] struct {
	f workflow.Future
}

// Get waits for the activity's result.
func (f Future[Out]) Get(ctx workflow.Context) (Out, error) {
	var out Out
	err := f.f.Get(ctx, &out)
	return out, err
}

// Registry is where activities are registered: a worker.Worker or an SDK
// test environment.
type Registry interface {
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// Register registers fn on r as the implementation of the activity.
func (a Activity[In, Out]) Register(r Registry, fn func(context.Context, In) (Out, error)) {
	r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: a.Name})
}
