package elastic

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"vigil"
)

// Snippet shape: bytes kept before and after the first highlighted match.
const (
	snippetBefore = 80
	snippetAfter  = 160
)

// Highlight markers: control characters, which vigil.CleanText removes, so a
// snippet never carries markup.
const (
	markStart = "\x02"
	markEnd   = "\x03"
)

// textQuery is a parsed Query.Text: each clause is the raw text of a word or
// phrase, analysed by Elasticsearch as a phrase over title and text.
type textQuery struct {
	must    []string
	mustNot []string
	none    bool // the text had clauses but none that can match: match nothing
}

// textQueryOf turns the clauses of a query text (vigil.ParseQueryText,
// the same as the embedded store's) into phrases. Nothing else is syntax:
// every clause is sent as the text of a match_phrase, never as
// query-string syntax. A clause without a letter or digit (punctuation, a
// lone *) analyses to no term and is dropped; when every positive clause
// was dropped and no exclusion remains, the query matches nothing.
func textQueryOf(clauses []vigil.QueryClause) textQuery {
	var tq textQuery
	for _, c := range clauses {
		if !hasTerm(c.Text) {
			continue
		}
		if c.Negate {
			tq.mustNot = append(tq.mustNot, c.Text)
		} else {
			tq.must = append(tq.must, c.Text)
		}
	}
	tq.none = len(clauses) > 0 && len(tq.must) == 0 && len(tq.mustNot) == 0
	return tq
}

// hasTerm reports whether the standard tokenizer finds a term in s: a
// letter or a digit.
func hasTerm(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// snippet returns plain text around the first highlighted match in
// fragment (or its beginning when nothing is highlighted), with control and
// formatting characters removed and whitespace collapsed. It never adds
// markup.
func snippet(fragment string) string {
	if fragment == "" {
		return ""
	}
	start, end := 0, min(len(fragment), snippetBefore+snippetAfter)
	if i := strings.Index(fragment, markStart); i >= 0 {
		start = max(0, i-snippetBefore)
		end = min(len(fragment), i+snippetAfter)
	}
	if start > 0 {
		if i := strings.LastIndexFunc(fragment[max(0, start-20):start], unicode.IsSpace); i >= 0 {
			start = max(0, start-20) + i + 1
		}
	}
	for start > 0 && !utf8.RuneStart(fragment[start]) {
		start--
	}
	for end < len(fragment) && !utf8.RuneStart(fragment[end]) {
		end++
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("… ")
	}
	b.WriteString(vigil.CleanText(fragment[start:end]))
	if end < len(fragment) {
		b.WriteString(" …")
	}
	return b.String()
}
