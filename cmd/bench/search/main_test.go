package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"vigil"
)

// TestPagesPlantTheirFindings checks the generator's own bookkeeping: each
// finding's contact is written in its page's text at its offset, and a page
// is a function of its number and the corpus size alone.
func TestPagesPlantTheirFindings(t *testing.T) {
	small, big := newCorpus(1000), newCorpus(1000)
	planted := 0
	for k := range 1000 {
		d, fs := small.page(k)
		d2, _ := big.page(k)
		if d.Text != d2.Text || d.ID != d2.ID {
			t.Fatalf("page %d differs between two corpora of one size", k)
		}
		for _, f := range fs {
			written := d.Text[f.Offset:]
			ok := false
			switch f.Kind {
			case vigil.KindEmail:
				ok = strings.HasPrefix(written, f.Value)
			case vigil.KindTelegram:
				ok = strings.HasPrefix(written, "t.me/"+f.Value)
			case vigil.KindPhone:
				ok = strings.HasPrefix(strings.ReplaceAll(written, " ", ""), f.Value)
			}
			if !ok || f.DocumentID != d.ID || f.Site != d.Site {
				t.Fatalf("page %d: finding %+v is not written at its offset: %q", k, f, written[:min(40, len(written))])
			}
			planted++
		}
	}
	if planted < 500 {
		t.Fatalf("1000 pages plant %d contacts; the corpus should plant about one a page", planted)
	}
}

// TestRunAgreesWithTheGenerator builds a small index, checks that contact
// lookups find exactly the pages the generator planted them on, that a
// second run reuses the cached index, and that a run's API and store paths
// agree (run fails otherwise) and audit every API query.
func TestRunAgreesWithTheGenerator(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const n = 1500
	st, b, cached, err := ensureIndex(ctx, dir, n, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cached || b.Pages != n || b.Findings == 0 {
		t.Fatalf("first build: cached %v, marker %+v", cached, b)
	}
	c := newCorpus(n)
	want := map[string]int{}
	for k := range n {
		_, fs := c.page(k)
		seen := map[string]bool{}
		for _, f := range fs {
			if !seen[f.Value] {
				want[f.Value]++ // pages per contact
			}
			seen[f.Value] = true
		}
	}
	checked := 0
	for value := range want {
		res, err := st.Findings(ctx, vigil.FindingQuery{Value: value, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		pages := map[string]bool{}
		for _, f := range res.Findings {
			pages[f.DocumentID] = true
		}
		if len(pages) != want[value] {
			t.Fatalf("contact %s is on %d pages in the store, %d in the corpus", value, len(pages), want[value])
		}
		if checked++; checked == 50 {
			break
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	rep, err := run(ctx, dir, n, 2, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.cached || rep.pages != n {
		t.Fatalf("the second run did not reuse the cached index: %+v", rep)
	}
	queries := 0
	for _, c := range classes {
		if len(rep.direct[c]) != 2 || len(rep.api[c]) != 2 {
			t.Fatalf("class %s ran %d store and %d API queries, want 2 each", c, len(rep.direct[c]), len(rep.api[c]))
		}
		queries += 2
	}
	if warm := min(queries, 20); rep.audited != queries+warm {
		t.Fatalf("the audit log holds %d entries of the benchmark's user, want one per API query (%d)", rep.audited, queries+warm)
	}
}
