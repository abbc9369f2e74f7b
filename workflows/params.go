// Package workflows holds Vigil's Temporal workflow, CrawlSite, and the
// contract it shares with the activities that implement its side effects:
// Contract names each activity with its task queue, timeouts, input and
// result types. CrawlBatch fetches pages through Tor, stores the captures
// and hashes the images it meets; IndexBatch extracts findings and indexes
// documents, findings and image hashes.
//
// Workflow code here is deterministic: no I/O, no wall clock, no randomness,
// no goroutines but workflow.Go, no map iteration order (make workflowcheck
// checks it). It reaches the world only through activities, which live in
// package activities and import this package for the contract. The client
// side (starting, querying, signalling and scheduling crawls) is package
// workflows/crawlclient.
package workflows

import (
	"time"

	"vigil"
)

// Task queues. CrawlSite workflows run on TaskQueue; the workflow sends its
// crawl activities (StartCrawl, CrawlBatch: Tor-equipped workers, `vigil
// worker --role crawl`) to CrawlTaskQueue and IndexBatch (indexing and
// watchlist checks, `vigil worker --role process` or `vigil serve`) to
// ProcessTaskQueue. `vigil up` polls all three in one process.
const (
	TaskQueue        = "vigil-crawl"
	CrawlTaskQueue   = "vigil-crawl-activities"
	ProcessTaskQueue = "vigil-process"
)

// Workflow, query and signal names.
const (
	WorkflowCrawlSite = "CrawlSite"
	QueryProgress     = "progress"
	SignalControl     = "control" // payload: vigil.ControlPause, vigil.ControlResume or vigil.ControlStop
)

// Robots policies of CrawlParams.Robots.
const (
	RobotsObey   = "obey"
	RobotsIgnore = "ignore"
)

// Defaults for CrawlParams' zero values.
const (
	DefaultMaxPages      = 1000
	DefaultMaxDepth      = 5
	DefaultBatchSize     = 250
	DefaultBatchesPerRun = 40
)

// DefaultHeartbeatTimeout is CrawlParams.HeartbeatTimeout's default.
const DefaultHeartbeatTimeout = time.Minute

// CrawlParams starts a CrawlSite workflow. Fields are only ever added.
type CrawlParams struct {
	CrawlID  string   `json:"crawl_id"` // the workflow ID; empty: taken from the workflow ID (schedules)
	CaseID   string   `json:"case_id,omitempty"`
	Seeds    []string `json:"seeds"`
	MaxDepth int      `json:"max_depth,omitempty"` // 0: DefaultMaxDepth; -1: unlimited
	MaxPages int      `json:"max_pages,omitempty"` // 0: DefaultMaxPages
	// BatchSize is the number of pages one CrawlBatch activity fetches.
	BatchSize int `json:"batch_size,omitempty"`
	// BatchesPerRun bounds history: after that many batches the workflow
	// continues as new, carrying Progress.
	BatchesPerRun int `json:"batches_per_run,omitempty"`
	// HeartbeatTimeout is how long a CrawlBatch may go without a heartbeat
	// before Temporal declares its worker dead and retries the batch
	// elsewhere (0: DefaultHeartbeatTimeout). CrawlBatch heartbeats on a
	// timer, so slow pages do not trip it; only a dead worker does.
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout,omitempty"`
	// Robots is the robots.txt policy, RobotsObey or RobotsIgnore ("").
	Robots string `json:"robots,omitempty"`
	// Cookies and Login are vigil.CrawlRequest's: names of stored
	// secrets, never paths or content.
	Cookies string `json:"cookies,omitempty"`
	Login   string `json:"login,omitempty"`
	// CookieFile and LoginFile are paths that crawls started before
	// secrets were stored by name carry; StartCrawl and CrawlBatch refuse
	// them.
	CookieFile string `json:"cookie_file,omitempty"`
	LoginFile  string `json:"login_file,omitempty"`

	// Progress is carried across continue-as-new; zero on the first run.
	Progress Progress `json:"progress"`
}

func (p *CrawlParams) withDefaults() {
	if p.MaxDepth == 0 {
		p.MaxDepth = DefaultMaxDepth
	}
	if p.MaxPages <= 0 {
		p.MaxPages = DefaultMaxPages
	}
	if p.BatchSize <= 0 {
		p.BatchSize = DefaultBatchSize
	}
	if p.BatchesPerRun <= 0 {
		p.BatchesPerRun = DefaultBatchesPerRun
	}
	if p.HeartbeatTimeout <= 0 {
		p.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
}

// Progress is what the progress query returns and the workflow's result.
type Progress struct {
	State     vigil.CrawlState `json:"state"` // running, paused, stopped, finished or failed
	Batches   int              `json:"batches"`
	Pages     int              `json:"pages"`  // responses captured (any status)
	Errors    int              `json:"errors"` // requests that failed without a response
	Images    int              `json:"images"`
	Queued    int              `json:"queued"` // frontier size after the last batch
	Indexed   int              `json:"indexed"`
	Findings  int              `json:"findings"`
	Drift     int              `json:"drift,omitempty"` // pages whose site template drifted (see IndexBatchResult.Drift)
	Runs      int              `json:"runs"`            // continue-as-new generations so far
	LastError string           `json:"last_error,omitempty"`

	// MaxPages is the crawl's page limit (after defaults).
	MaxPages int `json:"max_pages,omitempty"`
	// StartedAt is workflow time when the crawl's first run began;
	// UpdatedAt is workflow time of the last completed batch.
	StartedAt time.Time `json:"started_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Rate is pages fetched per second over the last batch, measured in
	// workflow time (deterministic on replay); zero before the first batch.
	Rate float64 `json:"rate,omitempty"`
	// ETASeconds estimates the seconds left at Rate for the pages still
	// to fetch: the smaller of the frontier and the page budget left. It
	// is zero when the rate is unknown or nothing is left; the frontier
	// grows as links are found, so it is a lower bound.
	ETASeconds int `json:"eta_seconds,omitempty"`
	// Skipped counts links and pages not fetched: crawler-trap limits,
	// content types not allowed, robots.txt.
	Skipped int `json:"skipped,omitempty"`
	// Robots is the crawl's robots.txt policy.
	Robots string `json:"robots,omitempty"`
	// Seeds and CaseID are the crawl's, so a listing shows them.
	Seeds  []string `json:"seeds,omitempty"`
	CaseID string   `json:"case_id,omitempty"`
	// Changed and Unchanged count re-crawled pages (CrawlBatchResult).
	Changed   int `json:"changed,omitempty"`
	Unchanged int `json:"unchanged,omitempty"`
}

// Remaining is the number of pages the crawl expects still to fetch: the
// smaller of the frontier and the page budget left.
func (p Progress) Remaining() int {
	left := p.Queued
	if p.MaxPages > 0 {
		left = min(left, p.MaxPages-p.Pages)
	}
	return max(left, 0)
}

// StartCrawlInput initialises a crawl's persistent state (frontier and seen
// set) from its seeds. It is idempotent: a crawl already started is left as is.
type StartCrawlInput struct {
	CrawlID  string   `json:"crawl_id"`
	CaseID   string   `json:"case_id,omitempty"`
	Seeds    []string `json:"seeds"`
	MaxDepth int      `json:"max_depth"`
	Robots   string   `json:"robots,omitempty"` // recorded in the crawl's metadata
	// Cookies names a stored cookie file: checked (readable, mode 0600,
	// well-formed) and recorded.
	Cookies string `json:"cookies,omitempty"`
	// Login names a stored login recipe: checked (a valid recipe whose
	// credentials can be read, for one of the crawl's sites) and recorded.
	Login string `json:"login,omitempty"`
	// CookieFile and LoginFile are the paths of crawls started before
	// secrets were named; a crawl that carries one is refused.
	CookieFile string `json:"cookie_file,omitempty"`
	LoginFile  string `json:"login_file,omitempty"`
}

// StartCrawlResult reports the frontier after initialisation.
type StartCrawlResult struct {
	Queued int `json:"queued"`
}

// CrawlBatchInput fetches up to MaxPages pages of a crawl's frontier. Batch
// numbers start at 1 and increase by one; replaying a committed batch returns
// its recorded result without fetching again.
type CrawlBatchInput struct {
	CrawlID  string `json:"crawl_id"`
	Batch    int    `json:"batch"`
	MaxPages int    `json:"max_pages"`
}

// CrawlBatchResult names the documents a batch captured; their bodies stay
// out of workflow history.
type CrawlBatchResult struct {
	DocumentIDs []string `json:"document_ids"`
	Pages       int      `json:"pages"`
	Errors      int      `json:"errors"`
	Images      int      `json:"images"`
	Queued      int      `json:"queued"`
	Skipped     int      `json:"skipped,omitempty"` // links and pages not fetched (traps, content types, robots.txt)
	// Changed and Unchanged count the pages an earlier crawl captured
	// too, by whether the body's SHA-256 differs from that capture's.
	Changed   int `json:"changed,omitempty"`
	Unchanged int `json:"unchanged,omitempty"`
	// Failure is set when the batch could not run at all for a reason that
	// retrying will not fix soon (e.g. every request refused by policy).
	Failure string `json:"failure,omitempty"`
}

// IndexBatchInput extracts findings from a batch's documents and indexes the
// documents, findings and image hashes. It is idempotent.
type IndexBatchInput struct {
	CrawlID     string   `json:"crawl_id"`
	Batch       int      `json:"batch"`
	DocumentIDs []string `json:"document_ids"`
}

// IndexBatchResult counts what was indexed.
type IndexBatchResult struct {
	Documents int `json:"documents"`
	Findings  int `json:"findings"`
	Images    int `json:"images"`
	// Drift counts pages that matched a site template's URL rule but
	// yielded nothing for fields the rule requires (template drift).
	Drift int `json:"drift,omitempty"`
}
