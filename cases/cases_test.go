package cases_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil"
	"vigil/cases"
	"vigil/cases/audit"
)

// crawls is an in-memory crawl and schedule service that records what it
// was asked.
type crawls struct {
	mu        sync.Mutex
	started   []vigil.CrawlRequest
	list      []vigil.CrawlStatus
	schedules []vigil.ScheduleStatus
	commands  []string
	older     map[string]vigil.CrawlStatus // crawls Crawl knows but Crawls no longer lists
}

func (c *crawls) StartCrawl(_ context.Context, r vigil.CrawlRequest) (vigil.CrawlStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = append(c.started, r)
	return vigil.CrawlStatus{ID: "crawl-1", CaseID: r.CaseID, State: "running"}, nil
}
func (c *crawls) Crawl(_ context.Context, id string) (vigil.CrawlStatus, error) {
	if st, ok := c.older[id]; ok {
		return st, nil
	}
	return vigil.CrawlStatus{}, vigil.Errorf(vigil.ENOTFOUND, "no")
}
func (c *crawls) Crawls(context.Context) ([]vigil.CrawlStatus, error) { return c.list, nil }
func (c *crawls) ControlCrawl(_ context.Context, id, cmd string) error {
	c.commands = append(c.commands, "crawl "+id+" "+cmd)
	return nil
}
func (c *crawls) CreateSchedule(_ context.Context, r vigil.ScheduleRequest) (vigil.ScheduleStatus, error) {
	st := vigil.ScheduleStatus{ID: "sched-" + r.Crawl.CaseID, Crawl: r.Crawl}
	c.schedules = append(c.schedules, st)
	return st, nil
}
func (c *crawls) Schedules(context.Context) ([]vigil.ScheduleStatus, error) { return c.schedules, nil }
func (c *crawls) ControlSchedule(_ context.Context, id, cmd string) error {
	c.commands = append(c.commands, "schedule "+id+" "+cmd)
	return nil
}

type env struct {
	m      *cases.Manager
	crawls *crawls
	audit  *audit.Log
	now    *time.Time
	purged map[string]int // case → Purge calls of the one part
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	reg, err := cases.OpenRegistry(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.Open(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := &env{crawls: &crawls{}, audit: log, now: &now, purged: map[string]int{}}
	e.m = &cases.Manager{Registry: reg, Audit: log, Crawls: e.crawls, Now: func() time.Time { return *e.now },
		Parts: []cases.Part{{Name: "index", Purge: func(_ context.Context, id string, _ []string) ([]string, int, error) {
			e.purged[id]++
			return []string{"crawl-of-" + id}, 3, nil
		}}}}
	return e
}

func TestGuardAdmitsOnlyCrawlsOfALiveCase(t *testing.T) {
	ctx := context.Background()
	t.Run("a crawl without a case is refused, naming the field and the flag", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.m.Guard().StartCrawl(ctx, vigil.CrawlRequest{Seeds: []string{"http://a.onion/"}})
		if vigil.ErrorCode(err) != vigil.EINVALID || !strings.Contains(err.Error(), "case_id") || !strings.Contains(err.Error(), "--case") {
			t.Errorf("err = %v; want EINVALID naming case_id and --case", err)
		}
		_, err = e.m.Guard().CreateSchedule(ctx, vigil.ScheduleRequest{Every: "1h", Crawl: vigil.CrawlRequest{Seeds: []string{"http://a.onion/"}}})
		if vigil.ErrorCode(err) != vigil.EINVALID || !strings.Contains(err.Error(), "crawl.case_id") || !strings.Contains(err.Error(), "schedule create --case") {
			t.Errorf("schedule err = %v; want EINVALID naming crawl.case_id and --case", err)
		}
		if len(e.crawls.started)+len(e.crawls.schedules) != 0 {
			t.Errorf("refused requests reached the crawl service: %+v %+v", e.crawls.started, e.crawls.schedules)
		}
	})
	t.Run("in demo mode a crawl without a case belongs to the default case", func(t *testing.T) {
		e := newEnv(t)
		e.m.DefaultCase = "demo"
		st, err := e.m.Guard().StartCrawl(ctx, vigil.CrawlRequest{Seeds: []string{"http://a.onion/"}})
		if err != nil || st.CaseID != "demo" || e.crawls.started[0].CaseID != "demo" {
			t.Errorf("StartCrawl = %+v, %v; want case demo", st, err)
		}
	})
	t.Run("a new case is registered with the default retention", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.m.Guard().StartCrawl(ctx, vigil.CrawlRequest{CaseID: "op-1"}); err != nil {
			t.Fatal(err)
		}
		c, err := e.m.Case(ctx, "op-1")
		if err != nil || c.Retention != cases.DefaultRetention || !c.ExpiresAt.Equal(e.now.Add(180*24*time.Hour)) {
			t.Errorf("case = %+v, %v; want retention %s from now", c, err, cases.DefaultRetention)
		}
	})
	t.Run("a bad case ID is refused", func(t *testing.T) {
		e := newEnv(t)
		for _, id := range []string{"../etc", "a b", strings.Repeat("x", 65), "-x"} {
			if _, err := e.m.Guard().StartCrawl(ctx, vigil.CrawlRequest{CaseID: id}); vigil.ErrorCode(err) != vigil.EINVALID {
				t.Errorf("case %q: err = %v; want EINVALID", id, err)
			}
		}
	})
	t.Run("a case whose retention has ended admits no crawl", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.m.CreateCase(ctx, vigil.CaseRequest{ID: "old", Retention: "1h"}, "det"); err != nil {
			t.Fatal(err)
		}
		*e.now = e.now.Add(time.Hour)
		_, err := e.m.Guard().StartCrawl(ctx, vigil.CrawlRequest{CaseID: "old"})
		if vigil.ErrorCode(err) != vigil.EINVALID || !strings.Contains(err.Error(), "retention ended") {
			t.Errorf("err = %v; want EINVALID saying the retention ended", err)
		}
	})
}

func TestCreateCase(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c, err := e.m.CreateCase(ctx, vigil.CaseRequest{ID: "op-7", Retention: "90d", Authority: "warrant 12/2026"}, "det. smith")
	if err != nil || c.CreatedBy != "det. smith" || !c.ExpiresAt.Equal(e.now.Add(90*24*time.Hour)) || c.Authority != "warrant 12/2026" {
		t.Fatalf("CreateCase = %+v, %v", c, err)
	}
	for _, tc := range []struct {
		req  vigil.CaseRequest
		code string
	}{
		{vigil.CaseRequest{ID: "op-7", Retention: "90d"}, vigil.ECONFLICT},
		{vigil.CaseRequest{ID: "op-8"}, vigil.EINVALID},
		{vigil.CaseRequest{ID: "op-8", Retention: "-3d"}, vigil.EINVALID},
		{vigil.CaseRequest{ID: "op-8", Retention: "soon"}, vigil.EINVALID},
		{vigil.CaseRequest{ID: "op 8", Retention: "1d"}, vigil.EINVALID},
	} {
		if _, err := e.m.CreateCase(ctx, tc.req, "det"); vigil.ErrorCode(err) != tc.code {
			t.Errorf("CreateCase(%+v) = %v; want %s", tc.req, err, tc.code)
		}
	}
	if list, _ := e.m.Cases(ctx); len(list) != 1 {
		t.Errorf("%d cases registered; want 1", len(list))
	}
}

func TestPurgeCase(t *testing.T) {
	ctx := context.Background()
	t.Run("refused while a crawl of the case runs, which is asked to stop", func(t *testing.T) {
		e := newEnv(t)
		e.crawls.list = []vigil.CrawlStatus{{ID: "c1", CaseID: "op", State: "running"}, {ID: "c2", CaseID: "other", State: "running"}, {ID: "c3", CaseID: "op", State: "finished"}}
		_, err := e.m.PurgeCase(ctx, "op", "det")
		if vigil.ErrorCode(err) != vigil.ECONFLICT || !strings.Contains(err.Error(), "c1") {
			t.Errorf("err = %v; want ECONFLICT naming c1", err)
		}
		if !slices.Equal(e.crawls.commands, []string{"crawl c1 stop"}) || e.purged["op"] != 0 {
			t.Errorf("commands %v, purges %v; want c1 stopped and nothing purged", e.crawls.commands, e.purged)
		}
		entries, _, _ := e.audit.Search(audit.Filter{Action: "case.purge"})
		if len(entries) != 1 || !strings.HasPrefix(entries[0].Result, "error: ") {
			t.Errorf("audit %+v; want the refused purge recorded", entries)
		}
	})
	t.Run("refused while an older crawl a part holds data of still runs", func(t *testing.T) {
		e := newEnv(t)
		e.crawls.older = map[string]vigil.CrawlStatus{"old-1": {ID: "old-1", CaseID: "op", State: "running"}, "old-2": {ID: "old-2", CaseID: "op", State: "finished"}}
		e.m.Parts[0].Crawls = func(context.Context, string) ([]string, error) { return []string{"old-1", "old-2", "forgotten"}, nil }
		_, err := e.m.PurgeCase(ctx, "op", "det")
		if vigil.ErrorCode(err) != vigil.ECONFLICT || !strings.Contains(err.Error(), "old-1") || strings.Contains(err.Error(), "old-2") {
			t.Errorf("err = %v; want ECONFLICT naming old-1 only", err)
		}
		if !slices.Equal(e.crawls.commands, []string{"crawl old-1 stop"}) || e.purged["op"] != 0 {
			t.Errorf("commands %v, purges %v; want old-1 stopped and nothing purged", e.crawls.commands, e.purged)
		}
		e.crawls.older["old-1"] = vigil.CrawlStatus{ID: "old-1", CaseID: "op", State: "stopped"}
		if _, err := e.m.PurgeCase(ctx, "op", "det"); err != nil || e.purged["op"] != 1 {
			t.Errorf("purge once the crawl stopped: %v, %d purges", err, e.purged["op"])
		}
	})
	t.Run("deletes the case's schedules, purges every part and audits", func(t *testing.T) {
		e := newEnv(t)
		e.crawls.schedules = []vigil.ScheduleStatus{{ID: "s1", Crawl: vigil.CrawlRequest{CaseID: "op"}}, {ID: "s2", Crawl: vigil.CrawlRequest{CaseID: "other"}}}
		rep, err := e.m.PurgeCase(ctx, "op", "det")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(e.crawls.commands, []string{"schedule s1 delete"}) || rep.Deleted["schedules"] != 1 || rep.Deleted["index"] != 3 ||
			!slices.Equal(rep.Crawls, []string{"crawl-of-op"}) {
			t.Errorf("report %+v, commands %v", rep, e.crawls.commands)
		}
		entries, _, _ := e.audit.Search(audit.Filter{Action: "case.purge"})
		if len(entries) != 1 || entries[0].User != "det" || !strings.Contains(entries[0].Result, "index 3") {
			t.Errorf("audit %+v", entries)
		}
	})
	t.Run("fails when a part still holds something of the case", func(t *testing.T) {
		e := newEnv(t)
		e.m.Parts[0].Remaining = func(context.Context, string, []string) (int, error) { return 2, nil }
		if _, err := e.m.PurgeCase(ctx, "op", "det"); err == nil || !strings.Contains(err.Error(), "still holds 2") {
			t.Errorf("err = %v; want the leftover named", err)
		}
	})
}

func TestSweepPurgesOnlyExpiredCasesOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, c := range []vigil.CaseRequest{{ID: "short", Retention: "1h"}, {ID: "long", Retention: "10d"}} {
		if _, err := e.m.CreateCase(ctx, c, "det"); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.m.Sweep(ctx); len(got) != 0 {
		t.Errorf("sweep before expiry purged %v", got)
	}
	*e.now = e.now.Add(time.Hour)
	if got := e.m.Sweep(ctx); !slices.Equal(got, []string{"short"}) {
		t.Errorf("sweep purged %v; want short", got)
	}
	if got := e.m.Sweep(ctx); len(got) != 0 || e.purged["short"] != 1 || e.purged["long"] != 0 {
		t.Errorf("second sweep purged %v; purges %v", got, e.purged)
	}
}
