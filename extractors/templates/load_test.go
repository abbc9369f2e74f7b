package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minimal = `site: forum.example
version: 2
kind: forum
pages:
  - match: '^/t/\d+$'
    expect: thread
    fields:
      title: h1
`

func TestParseAcceptsAMinimalTemplateAndJSON(t *testing.T) {
	tp, err := Parse("dir/forum-x.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if tp.Name != "forum-x" || tp.Version != 2 || tp.Kind != "forum" || len(tp.Sites) != 1 || tp.Sites[0] != "forum.example" {
		t.Fatalf("template = %+v", tp)
	}
	js := `{"name": "m", "site": ["A.example", "*.onion"], "version": 1, "kind": "market",
	 "pages": [{"match": "^/l/", "expect": "listing", "fields": {"price": {"selector": ".p", "parse": "price", "currency": "eur"}}, "require": ["price"]}]}`
	tp, err = Parse("m.json", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if tp.Name != "m" || tp.Sites[0] != "a.example" || tp.rules[0].fields[0].currency != "EUR" {
		t.Fatalf("template = %+v", tp)
	}
}

// TestParseErrorsNameFileAndLine feeds malformed templates and checks that
// the error names the file, the line and the problem.
func TestParseErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"unknown top-level key", "\nsites: x\n", "f.yaml:10: template: unknown key \"sites\""},
		{"typo in a field key", "      body: {selecter: p}\n", "f.yaml:9: pages[0].fields.body: unknown key \"selecter\""},
		{"bad selector", "      body: 'div[['\n", "f.yaml:9: pages[0].fields.body: bad CSS selector"},
		{"bad regex", "      body: {selector: p, regex: '(('}\n", "f.yaml:9: pages[0].fields.body.regex: error parsing regexp"},
		{"unknown parser", "      body: {selector: p, parse: money}\n", "f.yaml:9: pages[0].fields.body.parse \"money\""},
		{"layout without time", "      body: {selector: p, layout: '2006'}\n", "f.yaml:9: pages[0].fields.body.layout only applies to parse: time"},
		{"bad currency", "      body: {selector: p, parse: price, currency: DOGE}\n", "f.yaml:9: pages[0].fields.body.currency \"DOGE\""},
		{"price currency clash", "      p: {selector: p, parse: price}\n      p_currency: b\n", "f.yaml:10: pages[0].fields.p_currency: field \"p_currency\" is defined twice"},
		{"bad field name", "      Body: p\n", "f.yaml:9: pages[0].fields.Body: a field name is lower-case"},
		{"field without selector", "      body: {parse: int}\n", "f.yaml:9: pages[0].fields.body needs a selector"},
		{"nested group", "      post:\n        each: div\n        fields:\n          inner: {each: p, fields: {x: b}}\n", "f.yaml:12: pages[0].fields.post.fields.inner: groups (each) cannot be nested"},
		{"group without fields", "      post: {each: div}\n", "f.yaml:9: pages[0].fields.post has each but no fields"},
		{"require unknown field", "    require: [title, post.author]\n", "f.yaml:9: pages[0].require names \"post.author\""},
		{"anchor", "      body: &a p\n", "f.yaml:9: anchors and aliases"},
		{"yaml syntax", "      body: [p\n", "f.yaml:8: did not find expected"},
		{"duplicate key", "      title: h2\n", "f.yaml:9: pages[0].fields: duplicate key \"title\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(minimal+c.edit))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	for _, c := range []struct{ text, want string }{
		{"", "f.yaml: empty template"},
		{"- a\n", "f.yaml:1: template must be a mapping"},
		{"site: x\nkind: forum\npages: []\n", "f.yaml:1: template has no version"},
		{"site: x\nversion: 1.5\n", "f.yaml:2: version must be a whole number"},
		{"site: x\nversion: 1\nkind: blog\n", "f.yaml:3: kind \"blog\": want forum or market"},
		{"site: x\nversion: 1\nkind: forum\npages: []\n", "f.yaml:4: pages must be a non-empty list"},
		{"site: x\nversion: 1\nkind: forum\npages:\n  - {match: a, expect: listing, fields: {t: h1}}\n", "f.yaml:5: pages[0].expect \"listing\": a forum page is one of board, thread, profile"},
		{"site: x\nversion: 1\nkind: forum\npages:\n  - {expect: thread, fields: {t: h1}}\n", "f.yaml:5: pages[0] has no match"},
	} {
		_, err := Parse("f.yaml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.text, err, c.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "no *.yaml") {
		t.Fatalf("empty dir: %v", err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", minimal)
	write("notes.txt", "not a template")
	if s, err := Load(dir); err != nil || len(s.Templates()) != 1 {
		t.Fatalf("Load = %v, %v", s, err)
	}
	write("b.yml", "name: a\n"+minimal)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `template "a" is defined in both`) {
		t.Fatalf("duplicate name: %v", err)
	}
	write("b.yml", minimal+"      x: 'a[['\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "b.yml")+":9:") {
		t.Fatalf("bad file: %v", err)
	}
	write("b.yml", strings.Repeat("#", MaxFileSize+1))
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("huge file: %v", err)
	}
}
