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
// hash images, persist the frontier) followed by an IndexBatch activity
// (extract findings; index documents, findings and image hashes; check
// watchlists) that runs while the next batch is fetched. Pages never travel
// through history: only document IDs do. After p.BatchesPerRun batches the
// workflow continues as new. The progress query reports Progress; the
// control signal pauses, resumes or stops the crawl between batches.
func CrawlSite(ctx workflow.Context, p CrawlParams) (Progress, error) {
	c := newCrawl(ctx, p)
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) {
		return c.prog, nil
	}); err != nil {
		return c.prog, err
	}
	workflow.Go(ctx, c.listen)
	ctx = workflow.WithActivityOptions(ctx, c.activityOptions())
	if err := c.start(ctx); err != nil {
		return c.fail(err)
	}
	return c.run(ctx)
}

// crawl is one run of CrawlSite: its parameters, its progress (carried
// across continue-as-new), and what the control signal and the batches
// share.
type crawl struct {
	p    CrawlParams
	prog Progress
	// stopRequested is set by the control signal.
	stopRequested bool
	// ran counts the batches of this run.
	ran int
	// pending is the IndexBatch of the previous batch, still running.
	pending *Future[IndexBatchResult]
}

// step is what a crawl does next.
type step int

const (
	stepBatch         step = iota // fetch the next batch and index it
	stepAwait                     // wait while paused
	stepContinueAsNew             // this run has run its batches
	stepFinish                    // the frontier is empty or the page limit reached
	stepStop                      // a stop signal arrived
)

// newCrawl applies p's defaults and starts or resumes its progress.
func newCrawl(ctx workflow.Context, p CrawlParams) *crawl {
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
	return &crawl{p: p, prog: prog}
}

// activityOptions are what the crawl decides for every activity: the retry
// policy and the heartbeat timeout (the contract adds task queues and
// timeouts).
func (c *crawl) activityOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		HeartbeatTimeout: c.p.HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        2 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        30,
			NonRetryableErrorTypes: []string{ErrorTypeInvalid},
		},
	}
}

// listen applies the control signal's commands for the life of the run.
func (c *crawl) listen(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalControl)
	for {
		var cmd string
		ch.Receive(ctx, &cmd)
		switch cmd {
		case vigil.ControlPause:
			if c.prog.State == vigil.CrawlRunning {
				c.prog.State = vigil.CrawlPaused
			}
		case vigil.ControlResume:
			if c.prog.State == vigil.CrawlPaused {
				c.prog.State = vigil.CrawlRunning
			}
		case vigil.ControlStop:
			c.stopRequested = true
		}
	}
}

// start initialises the crawl's frontier on its first run.
func (c *crawl) start(ctx workflow.Context) error {
	if c.prog.Batches > 0 {
		return nil
	}
	p := c.p
	started, err := Contract.StartCrawl.Execute(ctx, StartCrawlInput{
		CrawlID: p.CrawlID, CaseID: p.CaseID, Seeds: p.Seeds, MaxDepth: p.MaxDepth, Robots: p.Robots, Cookies: p.Cookies, Login: p.Login,
		CookieFile: p.CookieFile, LoginFile: p.LoginFile,
	}).Get(ctx)
	if err != nil {
		return err
	}
	c.prog.Queued = started.Queued
	return nil
}

// run takes steps until the crawl ends or continues as new.
func (c *crawl) run(ctx workflow.Context) (Progress, error) {
	for {
		var err error
		switch c.next() {
		case stepStop:
			return c.finish(ctx, vigil.CrawlStopped)
		case stepFinish:
			return c.finish(ctx, vigil.CrawlFinished)
		case stepContinueAsNew:
			return c.continueAsNew(ctx)
		case stepAwait:
			err = c.awaitUnpaused(ctx)
		case stepBatch:
			err = c.runBatch(ctx)
		}
		if err != nil {
			return c.fail(err)
		}
	}
}

// next decides the next step: a stop comes before a pause, a pause before
// the end of the work, and the end of the work before the end of the run.
func (c *crawl) next() step {
	switch {
	case c.stopRequested:
		return stepStop
	case c.prog.State == vigil.CrawlPaused:
		return stepAwait
	case c.prog.Queued == 0 || c.prog.Pages >= c.p.MaxPages:
		return stepFinish
	case c.ran >= c.p.BatchesPerRun:
		return stepContinueAsNew
	}
	return stepBatch
}

// awaitUnpaused waits for a resume or a stop.
func (c *crawl) awaitUnpaused(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return c.prog.State != vigil.CrawlPaused || c.stopRequested })
}

// runBatch fetches the next batch, then indexes it.
func (c *crawl) runBatch(ctx workflow.Context) error {
	c.ran++
	batch := c.prog.Batches + 1
	began := workflow.Now(ctx)
	res, err := Contract.CrawlBatch.Execute(ctx, CrawlBatchInput{
		CrawlID: c.p.CrawlID, Batch: batch, MaxPages: min(c.p.BatchSize, c.p.MaxPages-c.prog.Pages),
	}).Get(ctx)
	if err != nil {
		return err
	}
	c.prog.addBatch(batch, res, began, workflow.Now(ctx).UTC())
	return c.index(ctx, batch, res.DocumentIDs)
}

// index waits for the previous batch's IndexBatch and starts this batch's,
// which runs while the next batch is fetched.
func (c *crawl) index(ctx workflow.Context, batch int, docs []string) error {
	if err := c.awaitIndexed(ctx); err != nil {
		return err
	}
	if len(docs) > 0 {
		f := Contract.IndexBatch.Execute(ctx, IndexBatchInput{CrawlID: c.p.CrawlID, Batch: batch, DocumentIDs: docs})
		c.pending = &f
	}
	return nil
}

// awaitIndexed waits for the pending IndexBatch, if any, and counts it.
func (c *crawl) awaitIndexed(ctx workflow.Context) error {
	if c.pending == nil {
		return nil
	}
	res, err := c.pending.Get(ctx)
	c.pending = nil
	if err != nil {
		return err
	}
	c.prog.Indexed += res.Documents
	c.prog.Findings += res.Findings
	c.prog.Drift += res.Drift
	return nil
}

// continueAsNew ends the run once its last batch is indexed, carrying the
// progress to the next run.
func (c *crawl) continueAsNew(ctx workflow.Context) (Progress, error) {
	if err := c.awaitIndexed(ctx); err != nil {
		return c.fail(err)
	}
	c.prog.Runs++
	next := c.p
	next.Progress = c.prog
	return c.prog, workflow.NewContinueAsNewError(ctx, CrawlSite, next)
}

// finish ends the crawl in state final once its last batch is indexed: a
// client that sees "stopped" or "finished" sees the final counts.
func (c *crawl) finish(ctx workflow.Context, final vigil.CrawlState) (Progress, error) {
	if err := c.awaitIndexed(ctx); err != nil {
		return c.fail(err)
	}
	c.prog.State = final
	return c.prog, nil
}

// fail ends the crawl as failed with err.
func (c *crawl) fail(err error) (Progress, error) {
	c.prog.State, c.prog.LastError = vigil.CrawlFailed, err.Error()
	return c.prog, err
}

// addBatch counts a fetched batch that began and ended at these workflow
// times, and estimates the rate and the time left from it.
func (p *Progress) addBatch(batch int, res CrawlBatchResult, began, ended time.Time) {
	p.Batches = batch
	p.Pages += res.Pages
	p.Errors += res.Errors
	p.Images += res.Images
	p.Skipped += res.Skipped
	p.Changed += res.Changed
	p.Unchanged += res.Unchanged
	p.Queued = res.Queued
	if res.Failure != "" {
		p.LastError = res.Failure
	}
	p.UpdatedAt = ended
	p.Rate, p.ETASeconds = 0, 0
	if took := ended.Sub(began).Seconds(); took > 0 && res.Pages > 0 {
		p.Rate = float64(res.Pages) / took
		p.ETASeconds = int(float64(p.Remaining())/p.Rate + 0.5)
	}
}

// ErrorTypeInvalid is the application error type activities use for input
// that retrying cannot fix (a bad seed URL, a missing proxy configuration).
const ErrorTypeInvalid = "invalid"
