package contacts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vigil/extractors/htmltext"
)

// Quality gates of issue 4, per kind.
const (
	minPrecision = 0.97
	minRecall    = 0.95
)

type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

// TestCorpus runs htmltext and the extractor over every labelled page and
// checks precision and recall per kind. Findings are compared as sets of
// (kind, value) per page.
func TestCorpus(t *testing.T) {
	if *gen {
		generateCorpus(t)
	}
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 150 {
		t.Fatalf("corpus has %d pages, want at least 150", len(files))
	}
	scores := map[string]*score{}
	get := func(k string) *score {
		if scores[k] == nil {
			scores[k] = &score{}
		}
		return scores[k]
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		js, err := os.ReadFile(strings.TrimSuffix(f, ".html") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var l labels
		if err := json.Unmarshal(js, &l); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		p, err := htmltext.Parse(strings.NewReader(string(raw)), l.URL)
		if err != nil {
			t.Fatal(err)
		}
		want := map[label]bool{}
		for _, w := range l.Findings {
			want[w] = true
		}
		gotSet := map[label]bool{}
		for _, fd := range New(Config{Region: l.Region}).Extract(p) {
			gotSet[label{string(fd.Kind), fd.Value}] = true
		}
		for g := range gotSet {
			if want[g] {
				get(g.Kind).tp++
			} else {
				get(g.Kind).fp++
				t.Logf("%s: false positive %s %q", filepath.Base(f), g.Kind, g.Value)
			}
		}
		for w := range want {
			if !gotSet[w] {
				get(w.Kind).fn++
				t.Logf("%s: missed %s %q", filepath.Base(f), w.Kind, w.Value)
			}
		}
	}
	kinds := make([]string, 0, len(scores))
	for k := range scores {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var tab strings.Builder
	fmt.Fprintf(&tab, "%d pages\n%-9s %5s %4s %4s %9s %7s\n", len(files), "kind", "tp", "fp", "fn", "precision", "recall")
	for _, k := range kinds {
		s := scores[k]
		fmt.Fprintf(&tab, "%-9s %5d %4d %4d %9.3f %7.3f\n", k, s.tp, s.fp, s.fn, s.precision(), s.recall())
		if s.precision() < minPrecision || s.recall() < minRecall {
			t.Errorf("%s: precision %.3f recall %.3f below %.2f/%.2f", k, s.precision(), s.recall(), minPrecision, minRecall)
		}
	}
	t.Log("\n" + tab.String())
	if len(kinds) < 17 {
		t.Errorf("corpus covers %d kinds, want all 17: %v", len(kinds), kinds)
	}
}
