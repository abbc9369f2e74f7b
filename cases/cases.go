package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"vigil"
	"vigil/cases/audit"
)

// DefaultRetention is how long the data of a case is kept when the case is
// created by its first crawl or schedule rather than by `vigil case create`.
const DefaultRetention = "180d"

// Auditor records audited actions; *audit.Log implements it.
type Auditor interface {
	Record(e audit.Entry) error
}

// Part is one place that holds data of cases. Purge deletes the case's data
// there and returns the IDs of the crawls it found (may be nil) and how many
// records or files it deleted; crawls are the crawl IDs the parts before it
// found. Remaining, when set, counts what is left of the case there after a
// purge (0 means nothing); the purge fails if anything is left. Crawls, when
// set, lists the IDs of the crawls of the case the part holds data of,
// without deleting anything: a purge checks that none of them still runs.
type Part struct {
	Name      string
	Purge     func(ctx context.Context, caseID string, crawls []string) (found []string, deleted int, err error)
	Remaining func(ctx context.Context, caseID string, crawls []string) (int, error)
	Crawls    func(ctx context.Context, caseID string) ([]string, error)
}

// Manager is the case service: it keeps the registry, admits crawls and
// schedules only for a valid case (Guard), and purges cases. Registry and
// Audit are required; Crawls (to stop a case's crawls and delete its
// schedules) is optional, as for an offline purge.
type Manager struct {
	Registry *Registry
	Audit    Auditor
	Crawls   vigil.CrawlService
	Parts    []Part
	// DefaultCase is the case of crawls and schedules that name none (the
	// demo's "demo"); empty: a case is required.
	DefaultCase string
	// DefaultRetention is the retention of cases created by their first
	// crawl; "" means the package's DefaultRetention.
	DefaultRetention string
	Logger           *slog.Logger
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
}

var _ vigil.CaseService = (*Manager)(nil)

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

func (m *Manager) logger() *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	return slog.Default()
}

// CreateCase registers a case with its retention, counted from now.
func (m *Manager) CreateCase(ctx context.Context, req vigil.CaseRequest, user string) (vigil.Case, error) {
	if err := vigil.ValidCaseID(req.ID); err != nil {
		return vigil.Case{}, err
	}
	if req.Retention == "" {
		return vigil.Case{}, vigil.Errorf(vigil.EINVALID, "a retention period is required (e.g. --retention 180d)")
	}
	d, err := vigil.ParseRetention(req.Retention)
	if err != nil {
		return vigil.Case{}, err
	}
	if len(req.Authority) > 500 {
		return vigil.Case{}, vigil.Errorf(vigil.EINVALID, "authority reference is over 500 characters")
	}
	now := m.now()
	c := vigil.Case{ID: req.ID, Retention: req.Retention, Authority: req.Authority, CreatedBy: user, CreatedAt: now, ExpiresAt: now.Add(d)}
	if err := m.Registry.Add(c); err != nil {
		return vigil.Case{}, err
	}
	return c, nil
}

// Case returns a registered case or an ENOTFOUND error.
func (m *Manager) Case(ctx context.Context, id string) (vigil.Case, error) {
	c, ok := m.Registry.Get(id)
	if !ok {
		return vigil.Case{}, vigil.Errorf(vigil.ENOTFOUND, "case %s is not registered", id)
	}
	return c, nil
}

// Cases returns every registered case, oldest first.
func (m *Manager) Cases(ctx context.Context) ([]vigil.Case, error) {
	return m.Registry.List(), nil
}

// admit returns the case a crawl or schedule belongs to: caseID, or the
// default case when it is empty and there is one. A case not registered yet
// is registered with the default retention; a case whose retention has ended
// admits nothing. field names the request field and flag for the error.
func (m *Manager) admit(caseID, field, flag string) (string, error) {
	if caseID == "" {
		if m.DefaultCase == "" {
			return "", vigil.Errorf(vigil.EINVALID, "%s is required: every crawl belongs to a case (%s ID)", field, flag)
		}
		caseID = m.DefaultCase
	}
	if err := vigil.ValidCaseID(caseID); err != nil {
		return "", vigil.Errorf(vigil.EINVALID, "%s: %s", field, vigil.ErrorMessage(err))
	}
	now := m.now()
	c, ok := m.Registry.Get(caseID)
	if !ok {
		ret := cmpOr(m.DefaultRetention, DefaultRetention)
		d, err := vigil.ParseRetention(ret)
		if err != nil {
			return "", err
		}
		c = vigil.Case{ID: caseID, Retention: ret, CreatedBy: "first crawl", CreatedAt: now, ExpiresAt: now.Add(d)}
		if err := m.Registry.Add(c); err != nil && vigil.ErrorCode(err) != vigil.ECONFLICT {
			return "", err
		}
		m.record("system", "case.create", caseID, "registered by its first crawl or schedule, retention "+ret)
		return caseID, nil
	}
	if !c.PurgedAt.IsZero() {
		return "", vigil.Errorf(vigil.EINVALID, "case %s was purged on %s: open a new case", caseID, c.PurgedAt.Format(time.DateOnly))
	}
	if c.Expired(now) {
		return "", vigil.Errorf(vigil.EINVALID, "case %s: its retention ended on %s and its data is being purged: open a new case", caseID, c.ExpiresAt.Format(time.DateOnly))
	}
	return caseID, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (m *Manager) record(user, action, caseID, result string) error {
	err := m.Audit.Record(audit.Entry{User: user, Action: action, CaseID: caseID, Result: result})
	if err != nil {
		m.logger().Error("audit log write failed", "action", action, "case", caseID, "error", err)
	}
	return err
}

// PurgeCase deletes everything of a case from every part, after deleting its
// schedules and checking that none of its crawls runs (a running crawl is
// asked to stop and the purge fails with ECONFLICT: purge again once it has
// ended). It then checks that no part holds anything of the case, marks the
// case purged in the registry and records the purge, or its failure, in the
// audit log. A case that is not registered is purged too (data from before
// the registry); purging a case twice deletes nothing the second time.
func (m *Manager) PurgeCase(ctx context.Context, id, user string) (vigil.PurgeReport, error) {
	if err := vigil.ValidCaseID(id); err != nil {
		return vigil.PurgeReport{}, err
	}
	rep, err := m.purge(ctx, id)
	if err != nil {
		m.record(user, "case.purge", id, "error: "+vigil.ErrorMessage(err))
		return vigil.PurgeReport{}, err
	}
	if err := m.Registry.MarkPurged(id, rep.PurgedAt); err != nil {
		m.record(user, "case.purge", id, "error: "+err.Error())
		return vigil.PurgeReport{}, err
	}
	if err := m.record(user, "case.purge", id, summary(rep)); err != nil {
		return vigil.PurgeReport{}, vigil.Errorf(vigil.EUNAVAILABLE, "case %s purged, but the audit log cannot be written: %v", id, err)
	}
	return rep, nil
}

func (m *Manager) purge(ctx context.Context, id string) (vigil.PurgeReport, error) {
	rep := vigil.PurgeReport{CaseID: id, Deleted: map[string]int{}}
	if m.Crawls != nil {
		if sched, ok := m.Crawls.(vigil.ScheduleService); ok {
			list, err := sched.Schedules(ctx)
			if err != nil {
				return rep, fmt.Errorf("list the schedules of case %s: %w", id, err)
			}
			for _, s := range list {
				if s.Crawl.CaseID != id {
					continue
				}
				if err := sched.ControlSchedule(ctx, s.ID, vigil.ControlDelete); err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND {
					return rep, fmt.Errorf("delete schedule %s of case %s: %w", s.ID, id, err)
				}
				rep.Deleted["schedules"]++
			}
		}
		// The crawls of the case: the recent ones the crawl service lists,
		// and every crawl a part holds data of (older than that list).
		list, err := m.Crawls.Crawls(ctx)
		if err != nil {
			return rep, fmt.Errorf("list the crawls of case %s: %w", id, err)
		}
		byID := map[string]vigil.CrawlStatus{}
		for _, c := range list {
			if c.CaseID == id {
				byID[c.ID] = c
			}
		}
		for _, p := range m.Parts {
			if p.Crawls == nil {
				continue
			}
			ids, err := p.Crawls(ctx, id)
			if err != nil {
				return rep, fmt.Errorf("find the crawls of case %s in the %s: %w", id, p.Name, err)
			}
			for _, cid := range ids {
				if _, ok := byID[cid]; ok || cid == "" {
					continue
				}
				st, err := m.Crawls.Crawl(ctx, cid)
				if vigil.ErrorCode(err) == vigil.ENOTFOUND {
					continue // no longer known to the crawl service: not running
				} else if err != nil {
					return rep, fmt.Errorf("status of crawl %s of case %s: %w", cid, id, err)
				}
				byID[cid] = st
			}
		}
		var running []string
		for cid, c := range byID {
			if !c.Done() {
				running = append(running, cid)
				if err := m.Crawls.ControlCrawl(ctx, cid, vigil.ControlStop); err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND {
					return rep, fmt.Errorf("stop crawl %s of case %s: %w", cid, id, err)
				}
			}
		}
		slices.Sort(running)
		if len(running) > 0 {
			return rep, vigil.Errorf(vigil.ECONFLICT, "case %s: crawls %s were still running and are asked to stop: purge again once they have ended", id, strings.Join(running, ", "))
		}
	}
	crawls := []string{}
	for _, p := range m.Parts {
		found, n, err := p.Purge(ctx, id, crawls)
		if err != nil {
			return rep, fmt.Errorf("purge case %s from the %s: %w", id, p.Name, err)
		}
		for _, c := range found {
			if !slices.Contains(crawls, c) {
				crawls = append(crawls, c)
			}
		}
		rep.Deleted[p.Name] += n
	}
	var left []error
	for _, p := range m.Parts {
		if p.Remaining == nil {
			continue
		}
		n, err := p.Remaining(ctx, id, crawls)
		if err != nil {
			left = append(left, fmt.Errorf("check the %s: %w", p.Name, err))
		} else if n > 0 {
			left = append(left, fmt.Errorf("the %s still holds %d records of it", p.Name, n))
		}
	}
	if len(left) > 0 {
		return rep, fmt.Errorf("purge case %s: %w", id, errors.Join(left...))
	}
	slices.Sort(crawls)
	rep.Crawls, rep.PurgedAt = crawls, m.now()
	return rep, nil
}

// summary is the audit log's one-line account of a purge.
func summary(rep vigil.PurgeReport) string {
	names := make([]string, 0, len(rep.Deleted))
	for k := range rep.Deleted {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", k, rep.Deleted[k])
	}
	return fmt.Sprintf("purged %d crawls [%s]; deleted: %s", len(rep.Crawls), strings.Join(rep.Crawls, " "), strings.Join(parts, ", "))
}
