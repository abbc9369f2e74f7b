package embedded

import (
	"slices"
	"strings"
	"testing"

	"vigil"
)

func testAnalyzer(t *testing.T) textAnalyzer {
	t.Helper()
	s, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.analyzer
}

// parseText parses query text as Search does: vigil.ParseQueryText, then
// the analyser.
func parseText(text string, ta textAnalyzer) (textQuery, error) {
	clauses, err := vigil.ParseQueryText(text)
	if err != nil {
		return textQuery{}, err
	}
	return ta.query(clauses), nil
}

func TestParseText(t *testing.T) {
	ta := testAnalyzer(t)
	for _, tc := range []struct {
		text          string
		must, mustNot [][]string
		empty         bool
		code          string
	}{
		{text: "", empty: true},
		{text: "   \t\n", empty: true},
		{text: "Paris Hotel", must: [][]string{{"paris"}, {"hotel"}}},
		{text: `"cheap  Flights" paris`, must: [][]string{{"cheap", "flights"}, {"paris"}}},
		{text: `alice@example.com`, must: [][]string{{"alice", "example.com"}}},
		{text: `-spam eggs`, must: [][]string{{"eggs"}}, mustNot: [][]string{{"spam"}}},
		{text: `-"a b"`, mustNot: [][]string{{"a", "b"}}, empty: true},
		{text: `- eggs`, must: [][]string{{"eggs"}}},
		{text: `!!! ...`},
		{text: `site:alpha.onion`, must: [][]string{{"site:alpha.onion"}}}, // UAX #29 keeps it one word
		{text: `"unclosed`, code: vigil.EINVALID},
		{text: "\xff", code: vigil.EINVALID},
		{text: strings.Repeat("x", vigil.MaxQueryBytes+1), code: vigil.EINVALID},
		{text: strings.Repeat("x ", vigil.MaxQueryClauses+1), code: vigil.EINVALID},
	} {
		tq, err := parseText(tc.text, ta)
		if code := vigil.ErrorCode(err); code != tc.code {
			t.Errorf("parse %q: error %v, want code %q", tc.text, err, tc.code)
			continue
		}
		if err != nil {
			continue
		}
		eq := func(a, b [][]string) bool { return slices.EqualFunc(a, b, slices.Equal) }
		if !eq(tq.must, tc.must) || !eq(tq.mustNot, tc.mustNot) || tq.empty != tc.empty {
			t.Errorf("parse %q: must %q, must not %q, empty %v; want %q, %q, %v", tc.text, tq.must, tq.mustNot, tq.empty, tc.must, tc.mustNot, tc.empty)
		}
	}
}

func TestSnippet(t *testing.T) {
	ta := testAnalyzer(t)
	long := strings.Repeat("filler ", 3000) + "Needle here" + strings.Repeat(" tail", 100)
	for _, tc := range []struct {
		name, text  string
		terms       []string
		want        string // the snippet contains it
		prefix, suf bool   // starts with "… ", ends with " …"
	}{
		{"a short text is whole", "Short text here.", []string{"text"}, "Short text here.", false, false},
		{"a late match past many chunks is found", long, []string{"needle"}, "Needle here", true, true},
		{"no match gives the beginning", long, []string{"absent"}, "filler filler", false, true},
		{"terminal escapes and controls are removed", "\x1b[1;31mred\x1b[0m \x1b]0;title\x07ok\x00 \u202egood", []string{"ok"}, "red ok good", false, false},
		{"whitespace collapses", "a \n\n\t b", nil, "a b", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			terms := map[string]bool{}
			for _, x := range tc.terms {
				terms[x] = true
			}
			got := ta.snippet(tc.text, terms)
			if !strings.Contains(got, tc.want) {
				t.Errorf("snippet %q lacks %q", got, tc.want)
			}
			if strings.HasPrefix(got, "… ") != tc.prefix || strings.HasSuffix(got, " …") != tc.suf {
				t.Errorf("snippet %q: ellipses wrong, want prefix %v suffix %v", got, tc.prefix, tc.suf)
			}
			if len(got) > snippetBefore+snippetAfter+64 {
				t.Errorf("snippet of %d bytes is too long", len(got))
			}
		})
	}
}

// FuzzParseText checks that no query text makes the parser panic or fail
// with anything but an EINVALID error, and that every clause has terms.
func FuzzParseText(f *testing.F) {
	for _, seed := range []string{"", "a b", `"a b" -c`, `"`, `-`, `title:(x`, "\xff", `a "b`, `--"x"`} {
		f.Add(seed)
	}
	s, err := Open(Config{Dir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, text string) {
		tq, err := parseText(text, s.analyzer)
		if err != nil {
			if code := vigil.ErrorCode(err); code != vigil.EINVALID {
				t.Fatalf("parse %q: %v has code %q", text, err, code)
			}
			return
		}
		for _, c := range append(tq.must, tq.mustNot...) {
			if len(c) == 0 {
				t.Fatalf("parse %q: empty clause", text)
			}
		}
	})
}
