package cases_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"vigil"
	"vigil/cases"
)

// mem is one place of a deployment holding crawls: crawl ID → case ID
// ("" for a crawl whose case the place does not know).
type mem map[string]string

// of returns the crawls of caseID, sorted.
func (m mem) of(caseID string) []string {
	var out []string
	for c, id := range m {
		if id == caseID {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func (m mem) purge(caseID string) []string {
	out := m.of(caseID)
	for _, c := range out {
		delete(m, c)
	}
	return out
}

type memState struct{ mem }

func (s memState) PurgeCase(id string) ([]string, error)  { return s.purge(id), nil }
func (s memState) CaseCrawls(id string) ([]string, error) { return s.of(id), nil }
func (s memState) ContentOf(crawls []string) (int, error) {
	n := 0
	for _, c := range crawls {
		if _, ok := s.mem[c]; ok {
			n++
		}
	}
	return n, nil
}

type memIndex struct{ mem }

func (x memIndex) PurgeCase(_ context.Context, id string) ([]string, error)  { return x.purge(id), nil }
func (x memIndex) CaseCrawls(_ context.Context, id string) ([]string, error) { return x.of(id), nil }

type memAlerts struct{ mem }

func (a memAlerts) PurgeCase(id string) (int, error)  { return len(a.purge(id)), nil }
func (a memAlerts) CaseAlerts(id string) (int, error) { return len(a.of(id)), nil }

type memEvidence struct{ mem }

func (e memEvidence) PurgeCase(id string) ([]string, error) { return e.purge(id), nil }
func (e memEvidence) PurgeCrawls(crawls []string) ([]string, error) {
	var out []string
	for _, c := range crawls {
		if _, ok := e.mem[c]; ok {
			delete(e.mem, c)
			out = append(out, c)
		}
	}
	return out, nil
}
func (e memEvidence) CountCase(id string, crawls []string) (int, error) {
	n, _ := memState(e).ContentOf(crawls)
	return n + len(e.of(id)), nil
}

func names(parts []cases.Part) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p.Name)
	}
	return out
}

func TestHoldingsParts(t *testing.T) {
	t.Run("parts come in purge order and leave out what the process does not hold", func(t *testing.T) {
		all := cases.Holdings{State: memState{mem{}}, Index: memIndex{mem{}}, Alerts: memAlerts{mem{}}, Evidence: memEvidence{mem{}}}
		if got := names(all.Parts()); !slices.Equal(got, []string{"crawl state", "index", "alerts", "evidence"}) {
			t.Errorf("parts %v", got)
		}
		api := cases.Holdings{Index: memIndex{mem{}}, Evidence: memEvidence{mem{}}}
		if got := names(api.Parts()); !slices.Equal(got, []string{"index", "evidence"}) {
			t.Errorf("parts without crawl state and alerts: %v", got)
		}
	})
	t.Run("a purge removes the evidence of crawls the other parts found", func(t *testing.T) {
		state, index := mem{"c1": "op", "c9": "other"}, mem{"c1": "op", "c2": "op"}
		alerts, ev := mem{"c2": "op"}, mem{"c1": "", "c3": "op", "c9": "other"} // c1 is still without a manifest
		h := cases.Holdings{State: memState{state}, Index: memIndex{index}, Alerts: memAlerts{alerts}, Evidence: memEvidence{ev}}
		m := newEnv(t).m
		m.Crawls, m.Parts = nil, h.Parts()
		rep, err := m.PurgeCase(context.Background(), "op", "det")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"crawl state": 1, "index": 2, "alerts": 1, "evidence": 2}
		if !maps.Equal(rep.Deleted, want) || !slices.Equal(rep.Crawls, []string{"c1", "c2", "c3"}) {
			t.Errorf("report deleted %v crawls %v; want %v and [c1 c2 c3]", rep.Deleted, rep.Crawls, want)
		}
		if len(state)+len(index)+len(alerts) != 1 || !maps.Equal(ev, mem{"c9": "other"}) {
			t.Errorf("left: state %v index %v alerts %v evidence %v; want only the other case's c9", state, index, alerts, ev)
		}
	})
}

// TestStartSweeperStopWaitsForTheSweep: stop returns once the sweep that
// StartSweeper begins at once has finished.
func TestStartSweeperStopWaitsForTheSweep(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.m.CreateCase(ctx, vigil.CaseRequest{ID: "short", Retention: "1h"}, "det"); err != nil {
		t.Fatal(err)
	}
	*e.now = e.now.Add(2 * time.Hour)
	stop := e.m.StartSweeper(ctx, time.Hour)
	stop()
	if c, err := e.m.Case(ctx, "short"); err != nil || c.PurgedAt.IsZero() || e.purged["short"] != 1 {
		t.Errorf("case %+v, %v, %d purges; want it purged once by the first sweep", c, err, e.purged["short"])
	}
}
