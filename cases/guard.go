package cases

import (
	"context"
	"time"

	"vigil"
)

// Guard returns m.Crawls wrapped so that every crawl and schedule belongs to
// a case: a request without one gets the default case or an EINVALID error
// naming the field and flag, a new case is registered with the default
// retention, and a case whose retention has ended admits nothing. The
// result also implements vigil.ScheduleService (EUNAVAILABLE when m.Crawls
// does not).
func (m *Manager) Guard() interface {
	vigil.CrawlService
	vigil.ScheduleService
} {
	return guard{m}
}

type guard struct{ m *Manager }

func (g guard) StartCrawl(ctx context.Context, req vigil.CrawlRequest) (vigil.CrawlStatus, error) {
	id, err := g.m.admit(req.CaseID, "case_id", "vigil crawl --case")
	if err != nil {
		return vigil.CrawlStatus{}, err
	}
	req.CaseID = id
	return g.m.Crawls.StartCrawl(ctx, req)
}

func (g guard) Crawl(ctx context.Context, id string) (vigil.CrawlStatus, error) {
	return g.m.Crawls.Crawl(ctx, id)
}

func (g guard) Crawls(ctx context.Context) ([]vigil.CrawlStatus, error) {
	return g.m.Crawls.Crawls(ctx)
}

func (g guard) ControlCrawl(ctx context.Context, id, command string) error {
	return g.m.Crawls.ControlCrawl(ctx, id, command)
}

func (g guard) schedules() (vigil.ScheduleService, error) {
	if s, ok := g.m.Crawls.(vigil.ScheduleService); ok {
		return s, nil
	}
	return nil, vigil.Errorf(vigil.EUNAVAILABLE, "this server has no crawl scheduler")
}

func (g guard) CreateSchedule(ctx context.Context, req vigil.ScheduleRequest) (vigil.ScheduleStatus, error) {
	s, err := g.schedules()
	if err != nil {
		return vigil.ScheduleStatus{}, err
	}
	id, err := g.m.admit(req.Crawl.CaseID, "crawl.case_id", "vigil schedule create --case")
	if err != nil {
		return vigil.ScheduleStatus{}, err
	}
	req.Crawl.CaseID = id
	return s.CreateSchedule(ctx, req)
}

func (g guard) Schedules(ctx context.Context) ([]vigil.ScheduleStatus, error) {
	s, err := g.schedules()
	if err != nil {
		return nil, err
	}
	return s.Schedules(ctx)
}

func (g guard) ControlSchedule(ctx context.Context, id, command string) error {
	s, err := g.schedules()
	if err != nil {
		return err
	}
	return s.ControlSchedule(ctx, id, command)
}

// Sweep purges every registered case whose retention has ended and that is
// not purged yet, as the user "retention". It returns the IDs of the cases
// purged; a case whose purge fails (say, a crawl of it still runs) is
// logged, audited and tried again by the next sweep.
func (m *Manager) Sweep(ctx context.Context) []string {
	var purged []string
	now := m.now()
	for _, c := range m.Registry.List() {
		if !c.PurgedAt.IsZero() || !c.Expired(now) {
			continue
		}
		if _, err := m.PurgeCase(ctx, c.ID, "retention"); err != nil {
			m.logger().Warn("retention purge failed; retried at the next sweep", "case", c.ID, "error", err)
			continue
		}
		m.logger().Info("retention purge", "case", c.ID, "expired", c.ExpiresAt)
		purged = append(purged, c.ID)
	}
	return purged
}

// RunSweeper sweeps once at once and then at every tick until ctx is done.
// Production passes a time.Ticker's channel; tests pass a channel of their
// own and move the Manager's clock.
func (m *Manager) RunSweeper(ctx context.Context, ticks <-chan time.Time) {
	m.Sweep(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			m.Sweep(ctx)
		}
	}
}

// StartSweeper runs RunSweeper on its own goroutine with a ticker of period
// every (a sweep at once, then one a period). stop ends the sweeper and
// returns once a sweep under way has finished.
func (m *Manager) StartSweeper(ctx context.Context, every time.Duration) (stop func()) {
	ticker := time.NewTicker(every)
	sweepCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.RunSweeper(sweepCtx, ticker.C)
	}()
	return func() { ticker.Stop(); cancel(); <-done }
}
