package crawlclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"vigil"
	"vigil/workflows"
)

// Schedule limits and defaults.
const (
	MinScheduleInterval  = time.Second
	MinCatchupWindow     = 10 * time.Second
	DefaultCatchupWindow = time.Hour
	// memoCrawl is the schedule memo field holding its vigil.CrawlRequest.
	memoCrawl = "vigil_crawl"
	// memoNote holds the schedule's note: Temporal's own note is replaced
	// by the reason of the last pause or resume.
	memoNote = "vigil_note"
	// schedulePrefix starts the ID of every schedule Vigil creates.
	schedulePrefix = "schedule-"
)

var _ vigil.ScheduleService = (*Service)(nil)

// CreateSchedule creates a Temporal Schedule that starts a CrawlSite
// workflow every req.Every, skipping a run while the previous one is still
// going (overlap policy skip) and catching up runs missed within the
// catch-up window. Each run is its own crawl, whose ID is the workflow ID
// Temporal gives it ("crawl-<schedule ID>-<time>").
func (s *Service) CreateSchedule(ctx context.Context, req vigil.ScheduleRequest) (vigil.ScheduleStatus, error) {
	every, err := time.ParseDuration(req.Every)
	if err != nil || every < MinScheduleInterval {
		return vigil.ScheduleStatus{}, vigil.Errorf(vigil.EINVALID, "interval %q is not a duration of at least %v (e.g. 6h)", req.Every, MinScheduleInterval)
	}
	catchup := DefaultCatchupWindow
	if req.CatchupWindow != "" {
		catchup, err = time.ParseDuration(req.CatchupWindow)
		if err != nil || catchup < MinCatchupWindow {
			return vigil.ScheduleStatus{}, vigil.Errorf(vigil.EINVALID, "catch-up window %q is not a duration of at least %v", req.CatchupWindow, MinCatchupWindow)
		}
	}
	if err := validateCrawl(req.Crawl); err != nil {
		return vigil.ScheduleStatus{}, err
	}
	id := schedulePrefix + time.Now().UTC().Format("20060102-150405") + "-" + randomHex(3)
	_, err = s.Client.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   id,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}},
		Action: &client.ScheduleWorkflowAction{
			ID:        "crawl-" + id,
			Workflow:  workflows.WorkflowCrawlSite,
			Args:      []any{s.params(req.Crawl)},
			TaskQueue: s.taskQueue(),
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: catchup,
		Note:          req.Note,
		Memo:          map[string]any{memoCrawl: req.Crawl, memoNote: req.Note},
	})
	if err != nil {
		return vigil.ScheduleStatus{}, unavailable("create schedule", err)
	}
	return vigil.ScheduleStatus{
		ID: id, Every: every.String(), CatchupWindow: catchup.String(), Crawl: req.Crawl, Note: req.Note,
		CreatedAt: time.Now().UTC(),
	}, nil
}

// Schedules lists Vigil's crawl schedules, newest first. The list comes from
// Temporal's visibility store, which may lag a create or delete by a moment.
func (s *Service) Schedules(ctx context.Context) ([]vigil.ScheduleStatus, error) {
	it, err := s.Client.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 100})
	if err != nil {
		return nil, unavailable("list schedules", err)
	}
	var out []vigil.ScheduleStatus
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, unavailable("list schedules", err)
		}
		if e.WorkflowType.Name != workflows.WorkflowCrawlSite {
			continue
		}
		st, err := s.schedule(ctx, e.ID)
		if vigil.ErrorCode(err) == vigil.ENOTFOUND {
			continue // deleted since the list was read
		} else if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b vigil.ScheduleStatus) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// schedule describes one schedule.
func (s *Service) schedule(ctx context.Context, id string) (vigil.ScheduleStatus, error) {
	if err := knownID("schedule", id); err != nil {
		return vigil.ScheduleStatus{}, err
	}
	d, err := s.Client.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
	if err != nil {
		return vigil.ScheduleStatus{}, scheduleError("describe schedule", id, err)
	}
	st := vigil.ScheduleStatus{
		ID: id, Runs: d.Info.NumActions, Skipped: d.Info.NumActionsSkippedOverlap,
		NextRuns: d.Info.NextActionTimes, CreatedAt: d.Info.CreatedAt,
	}
	if sp := d.Schedule.Spec; sp != nil && len(sp.Intervals) > 0 {
		st.Every = sp.Intervals[0].Every.String()
	}
	if p := d.Schedule.Policy; p != nil {
		st.CatchupWindow = p.CatchupWindow.String()
	}
	if state := d.Schedule.State; state != nil {
		st.Paused, st.Note = state.Paused, state.Note
	}
	for _, a := range d.Info.RecentActions {
		if a.StartWorkflowResult != nil {
			st.RecentCrawls = append(st.RecentCrawls, a.StartWorkflowResult.WorkflowID)
		}
	}
	if err := decodeMemo(d.Memo, memoCrawl, &st.Crawl); err != nil {
		return st, fmt.Errorf("schedule %s: %w", id, err)
	}
	if err := decodeMemo(d.Memo, memoNote, &st.Note); err != nil {
		return st, fmt.Errorf("schedule %s: %w", id, err)
	}
	return st, nil
}

// ControlSchedule pauses, resumes or deletes a schedule. Deleting it leaves
// the crawls it started alone.
func (s *Service) ControlSchedule(ctx context.Context, id, command string) error {
	if err := knownID("schedule", id); err != nil {
		return err
	}
	h := s.Client.ScheduleClient().GetHandle(ctx, id)
	var err error
	switch command {
	case vigil.ControlPause:
		err = h.Pause(ctx, client.SchedulePauseOptions{Note: "paused through Vigil"})
	case vigil.ControlResume:
		err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: "resumed through Vigil"})
	case vigil.ControlDelete:
		err = h.Delete(ctx)
	default:
		return vigil.Errorf(vigil.EINVALID, "unknown schedule command %q (use pause, resume or delete)", command)
	}
	if err != nil {
		return scheduleError(command+" schedule", id, err)
	}
	return nil
}

func scheduleError(what, id string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return vigil.Errorf(vigil.ENOTFOUND, "no schedule %q", id)
	}
	return unavailable(what, err)
}

func decodeMemo(m *commonpb.Memo, field string, v any) error {
	p := m.GetFields()[field]
	if p == nil {
		return nil
	}
	if err := converter.GetDefaultDataConverter().FromPayload(p, v); err != nil {
		return fmt.Errorf("decode memo %s: %w", field, err)
	}
	return nil
}
