package embedded

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"

	"vigil"
)

// Snippet shape: bytes of context kept before and after the first match, and
// how much of a document is scanned for it.
const (
	snippetBefore = 80
	snippetAfter  = 160
	snippetScan   = 64 << 10
	snippetChunk  = 1 << 10
)

// textAnalyzer is the analyser of the title and text fields, used to turn
// query words into index terms and to find matches for snippets.
type textAnalyzer struct{ a analysis.Analyzer }

func newTextAnalyzer(idx bleve.Index) (textAnalyzer, error) {
	a := idx.Mapping().AnalyzerNamed(analyzerName)
	if a == nil {
		return textAnalyzer{}, fmt.Errorf("embedded store: analyzer %s missing from index mapping", analyzerName)
	}
	return textAnalyzer{a}, nil
}

func (ta textAnalyzer) terms(s string) []string {
	ts := ta.a.Analyze([]byte(s))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}

// textQuery is a parsed Query.Text: clauses of analysed terms, each a word
// (one term) or a phrase (several).
type textQuery struct {
	empty   bool // the text had no clauses at all
	must    [][]string
	mustNot [][]string
}

// terms returns the set of terms that the hits must contain.
func (tq textQuery) terms() map[string]bool {
	m := map[string]bool{}
	for _, c := range tq.must {
		for _, t := range c {
			m[t] = true
		}
	}
	return m
}

// query turns the clauses of a query text (vigil.ParseQueryText) into
// analysed terms. A word the analyser splits into several terms (an e-mail
// address, a hyphenated word) is a phrase. Words that analyse to no term at
// all (punctuation) are dropped. The result has empty set when there is no
// clause at all, or only exclusions.
func (ta textAnalyzer) query(clauses []vigil.QueryClause) textQuery {
	var tq textQuery
	for _, c := range clauses {
		terms := ta.terms(c.Text)
		if len(terms) == 0 {
			continue
		}
		if c.Negate {
			tq.mustNot = append(tq.mustNot, terms)
		} else {
			tq.must = append(tq.must, terms)
		}
	}
	tq.empty = len(clauses) == 0
	if len(tq.must) == 0 && len(tq.mustNot) > 0 {
		// Only exclusions: everything but them.
		tq.empty = true
	}
	return tq
}

// snippet returns plain text from text around the first occurrence of one of
// terms (or its beginning when none occurs), with control and formatting
// characters removed and whitespace collapsed. It never adds markup.
func (ta textAnalyzer) snippet(text string, terms map[string]bool) string {
	if text == "" {
		return ""
	}
	start, end := 0, min(len(text), snippetBefore+snippetAfter)
	if len(terms) > 0 {
		if ts, te, ok := ta.find(text[:min(len(text), snippetScan)], terms); ok {
			start = max(0, ts-snippetBefore)
			end = min(len(text), te+snippetAfter)
		}
	}
	// Widen to whole words, within bounds, and to rune boundaries.
	if start > 0 {
		if i := strings.LastIndexFunc(text[max(0, start-20):start], unicode.IsSpace); i >= 0 {
			start = max(0, start-20) + i + 1
		}
	}
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("… ")
	}
	b.WriteString(vigil.CleanText(text[start:end]))
	if end < len(text) {
		b.WriteString(" …")
	}
	return b.String()
}

// find returns the byte offsets of the first token of text that is one of
// terms. It analyses text in chunks cut at whitespace, so that finding an
// early match costs little however long the text.
func (ta textAnalyzer) find(text string, terms map[string]bool) (start, end int, ok bool) {
	for pos := 0; pos < len(text); {
		stop := min(len(text), pos+snippetChunk)
		if i := strings.IndexFunc(text[stop:], unicode.IsSpace); i >= 0 {
			stop += i
		} else {
			stop = len(text)
		}
		for _, t := range ta.a.Analyze([]byte(text[pos:stop])) {
			if terms[string(t.Term)] {
				return pos + t.Start, pos + t.End, true
			}
		}
		pos = stop
	}
	return 0, 0, false
}
