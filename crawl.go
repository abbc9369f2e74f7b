package vigil

import (
	"context"
	"time"
)

// CrawlRequest asks for a crawl of the sites of Seeds.
type CrawlRequest struct {
	Seeds    []string `json:"seeds"`
	MaxDepth int      `json:"max_depth,omitempty"` // 0: default; -1: unlimited
	MaxPages int      `json:"max_pages,omitempty"` // 0: default
	CaseID   string   `json:"case_id,omitempty"`
	// Robots is the crawl's robots.txt policy: "obey" or "ignore" (""
	// means ignore). It is recorded with the crawl.
	Robots string `json:"robots,omitempty"`
	// Cookies names a Netscape cookies.txt file of a logged-in session that
	// an admin stored (SecretCookies); the crawl sends its cookies. Only the
	// name travels; the cookies stay in the secret store, out of logs,
	// history and the index.
	Cookies string `json:"cookies,omitempty"`
	// Login names a login form recipe an admin stored (SecretLogin,
	// docs/login.md): the crawl logs in with it and again whenever the
	// session expires. Only the name travels; the credentials the recipe
	// names stay in the crawl workers' environment (VIGIL_LOGIN_*) or in
	// the secret store.
	Login string `json:"login,omitempty"`
}

// CrawlStatus is where a crawl stands.
type CrawlStatus struct {
	ID        string     `json:"id"`
	Seeds     []string   `json:"seeds,omitempty"`
	CaseID    string     `json:"case_id,omitempty"`
	State     CrawlState `json:"state"`
	Pages     int        `json:"pages"`
	Errors    int        `json:"errors"`
	Queued    int        `json:"queued"`
	Indexed   int        `json:"indexed"`
	Findings  int        `json:"findings"`
	Images    int        `json:"images"`
	Batches   int        `json:"batches"`
	StartedAt time.Time  `json:"started_at,omitzero"`
	ClosedAt  time.Time  `json:"closed_at,omitzero"`
	LastError string     `json:"last_error,omitempty"`
	// MaxPages is the crawl's page limit; Rate is pages fetched per second
	// over the last batch and ETASeconds the estimated seconds left at that
	// rate (0: unknown). Both are estimates for display.
	MaxPages   int     `json:"max_pages,omitempty"`
	Rate       float64 `json:"rate,omitempty"`
	ETASeconds int     `json:"eta_seconds,omitempty"`
	// Skipped counts links and pages not fetched because of a crawler-trap
	// limit, a content type or robots.txt; Robots is the crawl's policy.
	Skipped int    `json:"skipped,omitempty"`
	Robots  string `json:"robots,omitempty"`
	// Changed and Unchanged count pages an earlier crawl captured too, by
	// whether their content hash differs from that capture's.
	Changed   int `json:"changed,omitempty"`
	Unchanged int `json:"unchanged,omitempty"`
}

// CrawlState is where a crawl stands. The crawl workflow reports the first
// five states; a crawl whose workflow was ended from outside reports
// Temporal's status of it, in lower case.
type CrawlState string

// Crawl states.
const (
	CrawlRunning    CrawlState = "running"
	CrawlPaused     CrawlState = "paused"
	CrawlStopped    CrawlState = "stopped"
	CrawlFinished   CrawlState = "finished"
	CrawlFailed     CrawlState = "failed"
	CrawlTerminated CrawlState = "terminated"
	CrawlCanceled   CrawlState = "canceled"
	CrawlTimedOut   CrawlState = "timedout"
)

// Done reports whether the crawl has ended.
func (s CrawlStatus) Done() bool {
	switch s.State {
	case CrawlStopped, CrawlFinished, CrawlFailed, CrawlTerminated, CrawlCanceled, CrawlTimedOut:
		return true
	}
	return false
}

// Control commands: CrawlService.ControlCrawl accepts ControlPause,
// ControlResume and ControlStop (a stopped crawl keeps what it captured);
// ScheduleService.ControlSchedule accepts ControlPause, ControlResume and
// ControlDelete (the crawls a deleted schedule started stay).
const (
	ControlPause  = "pause"
	ControlResume = "resume"
	ControlStop   = "stop"
	ControlDelete = "delete"
)

// CrawlService starts and controls crawls. Crawl returns ENOTFOUND for an
// unknown ID; ControlCrawl accepts ControlPause, ControlResume and
// ControlStop.
type CrawlService interface {
	StartCrawl(ctx context.Context, req CrawlRequest) (CrawlStatus, error)
	Crawl(ctx context.Context, id string) (CrawlStatus, error)
	Crawls(ctx context.Context) ([]CrawlStatus, error)
	ControlCrawl(ctx context.Context, id, command string) error
}

// ScheduleRequest asks for a crawl to start on a fixed interval. Every and
// CatchupWindow are Go durations ("6h", "30m"). A run whose time comes while
// the previous run of the schedule is still going is skipped.
type ScheduleRequest struct {
	Every string `json:"every"` // at least 1s
	// CatchupWindow is how late a run missed while Vigil was down may still
	// start ("" : one hour; at least 10s).
	CatchupWindow string       `json:"catchup_window,omitempty"`
	Crawl         CrawlRequest `json:"crawl"`
	Note          string       `json:"note,omitempty"`
}

// ScheduleStatus is where a schedule stands. RecentCrawls are the IDs of the
// crawls it started most recently, oldest first.
type ScheduleStatus struct {
	ID            string       `json:"id"`
	Every         string       `json:"every"`
	CatchupWindow string       `json:"catchup_window,omitempty"`
	Crawl         CrawlRequest `json:"crawl"`
	Paused        bool         `json:"paused"`
	Note          string       `json:"note,omitempty"`
	Runs          int          `json:"runs"`
	Skipped       int          `json:"skipped,omitempty"` // runs skipped because the previous one was still going
	RecentCrawls  []string     `json:"recent_crawls,omitempty"`
	NextRuns      []time.Time  `json:"next_runs,omitempty"`
	CreatedAt     time.Time    `json:"created_at,omitzero"`
}

// ScheduleService creates and controls crawl schedules. CreateSchedule
// returns EINVALID for a bad interval, window or crawl request;
// ControlSchedule accepts ControlPause, ControlResume and ControlDelete and
// returns ENOTFOUND for an unknown ID. Both return EUNAVAILABLE when the
// scheduler cannot be reached.
type ScheduleService interface {
	CreateSchedule(ctx context.Context, req ScheduleRequest) (ScheduleStatus, error)
	Schedules(ctx context.Context) ([]ScheduleStatus, error)
	ControlSchedule(ctx context.Context, id, command string) error
}
