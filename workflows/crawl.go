package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"vigil"
)

// CrawlSite crawls the sites of p.Seeds in batches until the frontier is
// empty, p.MaxPages pages are captured, or a stop signal arrives.
//
// Each batch is a CrawlBatch activity (fetch through Tor, store captures,
// persist the frontier) followed by an IndexBatch activity (extract, hash,
// index) that runs while the next batch is fetched. Pages never travel
// through history: only document IDs do. After p.BatchesPerRun batches the
// workflow continues as new. The progress query reports Progress; the control
// signal pauses, resumes or stops the crawl between batches.
func CrawlSite(ctx workflow.Context, p CrawlParams) (Progress, error) {
	p.withDefaults()
	if p.CrawlID == "" {
		// Runs started by a schedule: each run is its own crawl, named by
		// its workflow ID.
		p.CrawlID = workflow.GetInfo(ctx).WorkflowExecution.ID
	}
	prog := p.Progress
	if prog.State == "" {
		prog.State = vigil.CrawlRunning
	}
	prog.MaxPages, prog.Robots = p.MaxPages, p.Robots
	prog.Seeds, prog.CaseID = p.Seeds, p.CaseID
	if prog.StartedAt.IsZero() {
		prog.StartedAt = workflow.Now(ctx).UTC()
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) {
		return prog, nil
	}); err != nil {
		return prog, err
	}

	stopRequested := false
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalControl)
		for {
			var cmd string
			ch.Receive(ctx, &cmd)
			switch cmd {
			case vigil.ControlPause:
				if prog.State == vigil.CrawlRunning {
					prog.State = vigil.CrawlPaused
				}
			case vigil.ControlResume:
				if prog.State == vigil.CrawlPaused {
					prog.State = vigil.CrawlRunning
				}
			case vigil.ControlStop:
				stopRequested = true
			}
		}
	})

	retry := &temporal.RetryPolicy{
		InitialInterval:        2 * time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		MaximumAttempts:        30,
		NonRetryableErrorTypes: []string{ErrorTypeInvalid},
	}
	// The crawl's activity options; the contract adds task queues and
	// timeouts (Activity.Execute).
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		HeartbeatTimeout: p.HeartbeatTimeout,
		RetryPolicy:      retry,
	})

	if prog.Batches == 0 {
		started, err := Contract.StartCrawl.Execute(ctx, StartCrawlInput{
			CrawlID: p.CrawlID, CaseID: p.CaseID, Seeds: p.Seeds, MaxDepth: p.MaxDepth, Robots: p.Robots, CookieFile: p.CookieFile, LoginFile: p.LoginFile,
		}).Get(ctx)
		if err != nil {
			prog.State, prog.LastError = vigil.CrawlFailed, err.Error()
			return prog, err
		}
		prog.Queued = started.Queued
	}

	// pending is the IndexBatch of the previous batch, still running.
	var pending *Future[IndexBatchResult]
	waitPending := func() error {
		if pending == nil {
			return nil
		}
		res, err := pending.Get(ctx)
		pending = nil
		if err != nil {
			return err
		}
		prog.Indexed += res.Documents
		prog.Findings += res.Findings
		prog.Drift += res.Drift
		return nil
	}
	fail := func(err error) (Progress, error) {
		prog.State, prog.LastError = vigil.CrawlFailed, err.Error()
		return prog, err
	}

	final := vigil.CrawlFinished
	for ran := 0; ; {
		if stopRequested {
			final = vigil.CrawlStopped
			break
		}
		if prog.State == vigil.CrawlPaused {
			if err := workflow.Await(ctx, func() bool { return prog.State != vigil.CrawlPaused || stopRequested }); err != nil {
				return fail(err)
			}
			continue
		}
		if prog.Queued == 0 || prog.Pages >= p.MaxPages {
			final = vigil.CrawlFinished
			break
		}
		if ran >= p.BatchesPerRun {
			if err := waitPending(); err != nil {
				return fail(err)
			}
			prog.Runs++
			next := p
			next.Progress = prog
			return prog, workflow.NewContinueAsNewError(ctx, CrawlSite, next)
		}

		ran++
		batch := prog.Batches + 1
		began := workflow.Now(ctx)
		res, err := Contract.CrawlBatch.Execute(ctx, CrawlBatchInput{
			CrawlID: p.CrawlID, Batch: batch, MaxPages: min(p.BatchSize, p.MaxPages-prog.Pages),
		}).Get(ctx)
		if err != nil {
			return fail(err)
		}
		prog.Batches = batch
		prog.Pages += res.Pages
		prog.Errors += res.Errors
		prog.Images += res.Images
		prog.Skipped += res.Skipped
		prog.Changed += res.Changed
		prog.Unchanged += res.Unchanged
		prog.Queued = res.Queued
		if res.Failure != "" {
			prog.LastError = res.Failure
		}
		prog.UpdatedAt = workflow.Now(ctx).UTC()
		prog.Rate, prog.ETASeconds = 0, 0
		if took := prog.UpdatedAt.Sub(began).Seconds(); took > 0 && res.Pages > 0 {
			prog.Rate = float64(res.Pages) / took
			prog.ETASeconds = int(float64(prog.Remaining())/prog.Rate + 0.5)
		}

		if err := waitPending(); err != nil {
			return fail(err)
		}
		if len(res.DocumentIDs) > 0 {
			f := Contract.IndexBatch.Execute(ctx, IndexBatchInput{
				CrawlID: p.CrawlID, Batch: batch, DocumentIDs: res.DocumentIDs,
			})
			pending = &f
		}
	}
	if err := waitPending(); err != nil {
		return fail(err)
	}
	// The end state shows only once the last batch is indexed: a client that
	// sees "stopped" or "finished" sees the final counts.
	prog.State = final
	return prog, nil
}

// ErrorTypeInvalid is the application error type activities use for input
// that retrying cannot fix (a bad seed URL, a missing proxy configuration).
const ErrorTypeInvalid = "invalid"
