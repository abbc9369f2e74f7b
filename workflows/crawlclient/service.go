// Package crawlclient is the client side of the CrawlSite workflow: Service
// starts crawls, queries their progress, signals them and keeps their
// schedules, on a Temporal client. It implements vigil.CrawlService and
// vigil.ScheduleService. It is not workflow code: it may read the clock and
// draw random IDs.
package crawlclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"vigil"
	"vigil/workflows"
)

// Service implements vigil.CrawlService on a Temporal client: it starts
// CrawlSite workflows, queries their progress and signals them. It is client
// code, not workflow code, and is safe for concurrent use.
type Service struct {
	Client    client.Client
	TaskQueue string // default workflows.TaskQueue
	// BatchSize and BatchesPerRun override the workflow defaults when set.
	BatchSize     int
	BatchesPerRun int
	// HeartbeatTimeout overrides workflows.DefaultHeartbeatTimeout when set.
	HeartbeatTimeout time.Duration
}

var _ vigil.CrawlService = (*Service)(nil)

func (s *Service) taskQueue() string {
	if s.TaskQueue != "" {
		return s.TaskQueue
	}
	return workflows.TaskQueue
}

// StartCrawl validates req and starts a crawl workflow with a fresh ID.
func (s *Service) StartCrawl(ctx context.Context, req vigil.CrawlRequest) (vigil.CrawlStatus, error) {
	if err := validateCrawl(req); err != nil {
		return vigil.CrawlStatus{}, err
	}
	id := "crawl-" + time.Now().UTC().Format("20060102-150405") + "-" + randomHex(3)
	params := s.params(req)
	params.CrawlID = id
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             s.taskQueue(),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.WorkflowCrawlSite, params)
	if err != nil {
		return vigil.CrawlStatus{}, unavailable("start crawl", err)
	}
	return vigil.CrawlStatus{ID: id, Seeds: req.Seeds, CaseID: req.CaseID, State: vigil.CrawlRunning, StartedAt: time.Now().UTC()}, nil
}

// validateCrawl checks a crawl request; its errors are EINVALID.
func validateCrawl(req vigil.CrawlRequest) error {
	if len(req.Seeds) == 0 {
		return vigil.Errorf(vigil.EINVALID, "no seed URL given")
	}
	for _, seed := range req.Seeds {
		u, err := url.Parse(seed)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return vigil.Errorf(vigil.EINVALID, "seed %q is not an http(s) URL with a host", seed)
		}
	}
	if req.MaxPages < 0 {
		return vigil.Errorf(vigil.EINVALID, "max pages must not be negative")
	}
	if req.Robots != "" && req.Robots != workflows.RobotsObey && req.Robots != workflows.RobotsIgnore {
		return vigil.Errorf(vigil.EINVALID, "robots policy %q is not obey or ignore", req.Robots)
	}
	for field, name := range map[string]string{"login": req.Login, "cookies": req.Cookies} {
		if name == "" {
			continue
		}
		if err := vigil.CheckSecretName(name); err != nil {
			return vigil.Errorf(vigil.EINVALID, "%s: %s", field, vigil.ErrorMessage(err))
		}
	}
	return nil
}

// params is the workflow input of a crawl request, without a crawl ID.
func (s *Service) params(req vigil.CrawlRequest) workflows.CrawlParams {
	return workflows.CrawlParams{
		CaseID: req.CaseID, Seeds: req.Seeds, MaxDepth: req.MaxDepth, MaxPages: req.MaxPages, Robots: req.Robots, Cookies: req.Cookies, Login: req.Login,
		BatchSize: s.BatchSize, BatchesPerRun: s.BatchesPerRun, HeartbeatTimeout: s.HeartbeatTimeout,
	}
}

// maxIDLen bounds the crawl and schedule IDs worth asking Temporal about.
const maxIDLen = 1000

// knownID returns ENOTFOUND for an ID no crawl or schedule can have (empty,
// too long, or holding a character outside printable ASCII, which Temporal
// refuses in a request header), so that it answers "no such crawl" rather
// than failing the request to Temporal.
func knownID(what, id string) error {
	if id == "" || len(id) > maxIDLen {
		return vigil.Errorf(vigil.ENOTFOUND, "no %s %q", what, id)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return vigil.Errorf(vigil.ENOTFOUND, "no %s %q", what, id)
		}
	}
	return nil
}

// Crawl returns a crawl's status: the progress query while it runs, its
// result once it has ended.
func (s *Service) Crawl(ctx context.Context, id string) (vigil.CrawlStatus, error) {
	if err := knownID("crawl", id); err != nil {
		return vigil.CrawlStatus{}, err
	}
	desc, err := s.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return vigil.CrawlStatus{}, vigil.Errorf(vigil.ENOTFOUND, "no crawl %q", id)
		}
		return vigil.CrawlStatus{}, unavailable("describe crawl", err)
	}
	info := desc.GetWorkflowExecutionInfo()
	st := vigil.CrawlStatus{ID: id}
	if t := info.GetStartTime(); t != nil {
		st.StartedAt = t.AsTime()
	}
	if t := info.GetCloseTime(); t != nil {
		st.ClosedAt = t.AsTime()
	}
	var prog workflows.Progress
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		v, err := s.Client.QueryWorkflow(ctx, id, "", workflows.QueryProgress)
		if err != nil {
			return st, unavailable("query crawl progress", err)
		}
		if err := v.Get(&prog); err != nil {
			return st, err
		}
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		if err := s.Client.GetWorkflow(ctx, id, "").Get(ctx, &prog); err != nil {
			return st, unavailable("read crawl result", err)
		}
	default:
		// Failed, terminated, canceled or timed out.
		prog.State = vigil.CrawlState(strings.ToLower(info.GetStatus().String()))
		if err := s.Client.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			prog.LastError = err.Error()
		}
	}
	st.State, st.Pages, st.Errors, st.Queued = prog.State, prog.Pages, prog.Errors, prog.Queued
	st.Indexed, st.Findings, st.Images, st.Batches = prog.Indexed, prog.Findings, prog.Images, prog.Batches
	st.LastError = prog.LastError
	st.MaxPages, st.Rate, st.ETASeconds = prog.MaxPages, prog.Rate, prog.ETASeconds
	st.Skipped, st.Robots = prog.Skipped, prog.Robots
	st.Changed, st.Unchanged = prog.Changed, prog.Unchanged
	st.Seeds, st.CaseID = prog.Seeds, prog.CaseID
	return st, nil
}

// Crawls lists the most recent crawls, newest first.
func (s *Service) Crawls(ctx context.Context) ([]vigil.CrawlStatus, error) {
	resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query:    fmt.Sprintf("WorkflowType = '%s'", workflows.WorkflowCrawlSite),
		PageSize: 100,
	})
	if err != nil {
		return nil, unavailable("list crawls", err)
	}
	var out []vigil.CrawlStatus
	for _, e := range resp.GetExecutions() {
		st, err := s.Crawl(ctx, e.GetExecution().GetWorkflowId())
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// ControlCrawl pauses, resumes or stops a running crawl.
func (s *Service) ControlCrawl(ctx context.Context, id, command string) error {
	switch command {
	case vigil.ControlPause, vigil.ControlResume, vigil.ControlStop:
	default:
		return vigil.Errorf(vigil.EINVALID, "unknown crawl command %q (use pause, resume or stop)", command)
	}
	if err := knownID("running crawl", id); err != nil {
		return err
	}
	if err := s.Client.SignalWorkflow(ctx, id, "", workflows.SignalControl, command); err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return vigil.Errorf(vigil.ENOTFOUND, "no running crawl %q", id)
		}
		return unavailable("signal crawl", err)
	}
	return nil
}

func unavailable(what string, err error) error {
	return fmt.Errorf("%s: %w", what, &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "Temporal is unavailable: " + err.Error()})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
