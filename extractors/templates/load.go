// Package templates applies declarative per-site templates to parsed pages:
// CSS selectors that say where a forum's threads, posts, authors and post
// times are, or a market's listings, prices, vendors, shipping and feedback.
// The schema is documented for analysts in docs/templates.md.
//
// A template is a YAML (or JSON) file. Load reads a directory of them into a
// Set; (*Set).Apply finds the template and page rule for a page's URL and
// returns structured records. A page whose URL matches a rule but which
// yields nothing for a field the rule requires is reported as template drift
// (the site was probably redesigned), never silently as an empty page.
package templates

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/andybalholm/cascadia"
	"gopkg.in/yaml.v3"
)

// Limits on template files, so a broken or hostile file cannot exhaust memory.
const (
	MaxFileSize = 1 << 20 // bytes of one template file
	maxRules    = 1000    // page rules in one template
	maxFields   = 200     // fields in one rule or group
)

// Page kinds a rule may expect, by template kind.
var expects = map[string][]string{
	"forum":  {"board", "thread", "profile"},
	"market": {"category", "listing", "vendor", "profile"},
}

// Parsers a field may name in "parse".
var parsers = []string{"text", "int", "number", "price", "time", "url"}

// Template is one parsed site template. It is immutable and safe for
// concurrent use.
type Template struct {
	Name    string   // the "name" key, or the file name without extension
	Sites   []string // host globs (path.Match syntax, lower-case)
	Version int
	Kind    string // forum or market
	File    string // the file it was read from
	rules   []*rule
}

// rule is one entry of "pages".
type rule struct {
	match   *regexp.Regexp
	expect  string
	fields  []*field // scalar fields of the page's own record, in file order
	groups  []*group
	require []string
}

// group is a field with "each": one record per matched element.
type group struct {
	name    string
	typ     string
	each    cascadia.SelectorGroup
	fields  []*field
	line    int
	nonzero bool // at least one field of its items is required
}

// field is a scalar field.
type field struct {
	name     string
	sel      cascadia.SelectorGroup // nil means the context element itself
	attr     string
	regex    *regexp.Regexp
	parse    string
	layouts  []string
	currency string
}

// Set is a collection of templates. It is immutable after Load or NewSet and
// safe for concurrent use. A nil *Set has no templates.
type Set struct {
	templates []*Template
}

// Load reads every *.yaml, *.yml and *.json file in dir (not recursively) as
// a template, in file-name order. It fails on the first malformed file with
// an error naming the file and, where possible, the line; it also fails when
// dir holds no template or two templates share a name.
func Load(dir string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	var ts []*Template
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := readLimited(p)
		if err != nil {
			return nil, fmt.Errorf("load templates: %w", err)
		}
		t, err := Parse(p, data)
		if err != nil {
			return nil, fmt.Errorf("load templates: %w", err)
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("load templates: no *.yaml, *.yml or *.json file in %s", dir)
	}
	return NewSet(ts...)
}

func readLimited(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a template may have", p, fi.Size(), MaxFileSize)
	}
	return os.ReadFile(p)
}

// NewSet returns a Set of ts, tried in the order given. It fails when two
// templates share a name.
func NewSet(ts ...*Template) (*Set, error) {
	seen := map[string]string{}
	for _, t := range ts {
		if f, ok := seen[t.Name]; ok {
			return nil, fmt.Errorf("template %q is defined in both %s and %s", t.Name, f, t.File)
		}
		seen[t.Name] = t.File
	}
	return &Set{templates: slices.Clone(ts)}, nil
}

// Templates returns the set's templates in the order they are tried.
func (s *Set) Templates() []*Template {
	if s == nil {
		return nil
	}
	return slices.Clone(s.templates)
}

// Parse parses one template from data; file names it in errors and sets the
// default name (the base name without extension). Errors have the form
// "file:line: what is wrong".
func Parse(file string, data []byte) (t *Template, err error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a template may have", file, len(data), MaxFileSize)
	}
	defer func() {
		// The YAML library is not ours; a panic on a hostile file is an error.
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%s: malformed yaml: %v", file, r)
		}
	}()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErr(file, err)
	}
	d := &decoder{file: file}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, fmt.Errorf("%s: empty template", file)
	}
	return d.template(root.Content[0])
}

// yamlErr rewrites the library's "yaml: line N: msg" as "file:N: msg".
func yamlErr(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			return fmt.Errorf("%s:%s: %s", file, n, tail)
		}
	}
	return fmt.Errorf("%s: %s", file, msg)
}

type decoder struct{ file string }

func (d *decoder) errf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", d.file, n.Line, fmt.Sprintf(format, args...))
}

// mapping returns the key/value pairs of n, failing on anything but a mapping
// with known, unique, scalar keys.
func (d *decoder) mapping(n *yaml.Node, what string, known ...string) ([][2]*yaml.Node, error) {
	if err := d.noAlias(n); err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		return nil, d.errf(n, "%s must be a mapping (key: value lines)", what)
	}
	var out [][2]*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := d.noAlias(k); err != nil {
			return nil, err
		}
		if err := d.noAlias(v); err != nil {
			return nil, err
		}
		if k.Kind != yaml.ScalarNode {
			return nil, d.errf(k, "%s: keys must be plain names", what)
		}
		if known != nil && !slices.Contains(known, k.Value) {
			return nil, d.errf(k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return nil, d.errf(k, "%s: duplicate key %q", what, k.Value)
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out, nil
}

func (d *decoder) noAlias(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return d.errf(n, "anchors and aliases (&x, *x) are not supported in templates")
	}
	return nil
}

func (d *decoder) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", d.errf(n, "%s must be a string", what)
	}
	return n.Value, nil
}

// strs accepts one string or a list of strings.
func (d *decoder) strs(n *yaml.Node, what string) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		s, err := d.str(n, what)
		return []string{s}, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errf(n, "%s must be a string or a list of strings", what)
	}
	var out []string
	for _, c := range n.Content {
		if err := d.noAlias(c); err != nil {
			return nil, err
		}
		s, err := d.str(c, what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (d *decoder) template(n *yaml.Node) (*Template, error) {
	kv, err := d.mapping(n, "template", "name", "description", "site", "version", "kind", "pages")
	if err != nil {
		return nil, err
	}
	base := filepath.Base(d.file)
	t := &Template{File: d.file, Name: strings.TrimSuffix(base, filepath.Ext(base))}
	var pages *yaml.Node
	for _, p := range kv {
		k, v := p[0], p[1]
		switch k.Value {
		case "name":
			if t.Name, err = d.str(v, "name"); err != nil {
				return nil, err
			}
			if t.Name == "" {
				return nil, d.errf(v, "name must not be empty")
			}
		case "description":
			if _, err := d.str(v, "description"); err != nil {
				return nil, err
			}
		case "site":
			ss, err := d.strs(v, "site")
			if err != nil {
				return nil, err
			}
			for _, s := range ss {
				s = strings.ToLower(strings.TrimSpace(s))
				if _, err := path.Match(s, ""); err != nil || s == "" {
					return nil, d.errf(v, "site %q is not a host pattern like \"*.onion\" or \"forum.example\"", s)
				}
				t.Sites = append(t.Sites, s)
			}
		case "version":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
				return nil, d.errf(v, "version must be a whole number (1, 2, 3, …)")
			}
			if err := v.Decode(&t.Version); err != nil || t.Version < 1 {
				return nil, d.errf(v, "version must be a whole number of at least 1")
			}
		case "kind":
			if t.Kind, err = d.str(v, "kind"); err != nil {
				return nil, err
			}
			if _, ok := expects[t.Kind]; !ok {
				return nil, d.errf(v, "kind %q: want forum or market", t.Kind)
			}
		case "pages":
			pages = v
		}
	}
	switch {
	case len(t.Sites) == 0:
		return nil, d.errf(n, "template has no site")
	case t.Version == 0:
		return nil, d.errf(n, "template has no version")
	case t.Kind == "":
		return nil, d.errf(n, "template has no kind (forum or market)")
	case pages == nil:
		return nil, d.errf(n, "template has no pages")
	}
	if pages.Kind != yaml.SequenceNode || len(pages.Content) == 0 {
		return nil, d.errf(pages, "pages must be a non-empty list of page rules (lines starting with \"- match:\")")
	}
	if len(pages.Content) > maxRules {
		return nil, d.errf(pages, "%d page rules, more than %d", len(pages.Content), maxRules)
	}
	for i, pn := range pages.Content {
		r, err := d.rule(pn, t.Kind, fmt.Sprintf("pages[%d]", i))
		if err != nil {
			return nil, err
		}
		t.rules = append(t.rules, r)
	}
	return t, nil
}

func (d *decoder) rule(n *yaml.Node, kind, what string) (*rule, error) {
	kv, err := d.mapping(n, what, "match", "expect", "fields", "require")
	if err != nil {
		return nil, err
	}
	r := &rule{}
	var fields, require *yaml.Node
	for _, p := range kv {
		k, v := p[0], p[1]
		switch k.Value {
		case "match":
			s, err := d.str(v, what+".match")
			if err != nil {
				return nil, err
			}
			if r.match, err = regexp.Compile(s); err != nil {
				return nil, d.errf(v, "%s.match: %v", what, err)
			}
		case "expect":
			if r.expect, err = d.str(v, what+".expect"); err != nil {
				return nil, err
			}
			if !slices.Contains(expects[kind], r.expect) {
				return nil, d.errf(v, "%s.expect %q: a %s page is one of %s", what, r.expect, kind, strings.Join(expects[kind], ", "))
			}
		case "fields":
			fields = v
		case "require":
			require = v
		}
	}
	switch {
	case r.match == nil:
		return nil, d.errf(n, "%s has no match (a regular expression on the URL path)", what)
	case r.expect == "":
		return nil, d.errf(n, "%s has no expect (the kind of page: %s)", what, strings.Join(expects[kind], ", "))
	case fields == nil:
		return nil, d.errf(n, "%s has no fields", what)
	}
	fkv, err := d.mapping(fields, what+".fields")
	if err != nil {
		return nil, err
	}
	if len(fkv) == 0 || len(fkv) > maxFields {
		return nil, d.errf(fields, "%s.fields: want 1 to %d fields, have %d", what, maxFields, len(fkv))
	}
	names := map[string]bool{}
	for _, p := range fkv {
		name := p[0].Value
		fw := what + ".fields." + name
		if err := d.fieldName(p[0], fw, names); err != nil {
			return nil, err
		}
		if isGroup(p[1]) {
			g, err := d.group(p[1], name, fw)
			if err != nil {
				return nil, err
			}
			r.groups = append(r.groups, g)
			continue
		}
		f, err := d.field(p[1], name, fw)
		if err != nil {
			return nil, err
		}
		if f.parse == "price" {
			if err := d.fieldName(p[0], fw, names, name+"_currency"); err != nil {
				return nil, err
			}
		}
		r.fields = append(r.fields, f)
	}
	if require != nil {
		req, err := d.strs(require, what+".require")
		if err != nil {
			return nil, err
		}
		for _, q := range req {
			if !r.defines(q) {
				return nil, d.errf(require, "%s.require names %q, which is not a field of this rule (write group fields as group.field)", what, q)
			}
			if g, _, ok := strings.Cut(q, "."); ok {
				for _, gr := range r.groups {
					if gr.name == g {
						gr.nonzero = true
					}
				}
			}
			r.require = append(r.require, q)
		}
	}
	return r, nil
}

// fieldName checks that a field name (or a name derived from it) is well
// formed and not yet taken in its scope.
func (d *decoder) fieldName(k *yaml.Node, what string, names map[string]bool, derived ...string) error {
	ns := derived
	if ns == nil {
		ns = []string{k.Value}
		if !validName(k.Value) {
			return d.errf(k, "%s: a field name is lower-case letters, digits and _, starting with a letter", what)
		}
	}
	for _, n := range ns {
		if names[n] {
			return d.errf(k, "%s: field %q is defined twice (a price field X also defines X_currency)", what, n)
		}
		names[n] = true
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (r *rule) defines(q string) bool {
	g, f, nested := strings.Cut(q, ".")
	if !nested {
		for _, x := range r.fields {
			if x.name == q {
				return true
			}
		}
	}
	for _, gr := range r.groups {
		if gr.name != g {
			continue
		}
		if !nested {
			return true
		}
		for _, x := range gr.fields {
			if x.name == f {
				return true
			}
		}
	}
	return false
}

func isGroup(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == "each" {
			return true
		}
	}
	return false
}

func (d *decoder) group(n *yaml.Node, name, what string) (*group, error) {
	kv, err := d.mapping(n, what, "each", "type", "fields")
	if err != nil {
		return nil, err
	}
	g := &group{name: name, typ: name, line: n.Line}
	var fields *yaml.Node
	for _, p := range kv {
		k, v := p[0], p[1]
		switch k.Value {
		case "each":
			s, err := d.str(v, what+".each")
			if err != nil {
				return nil, err
			}
			if g.each, err = d.selector(v, s, what+".each"); err != nil {
				return nil, err
			}
			if g.each == nil {
				return nil, d.errf(v, "%s.each must be a CSS selector", what)
			}
		case "type":
			if g.typ, err = d.str(v, what+".type"); err != nil {
				return nil, err
			}
			if !validName(g.typ) {
				return nil, d.errf(v, "%s.type %q: a record type is a lower-case name", what, g.typ)
			}
		case "fields":
			fields = v
		}
	}
	if fields == nil {
		return nil, d.errf(n, "%s has each but no fields", what)
	}
	fkv, err := d.mapping(fields, what+".fields")
	if err != nil {
		return nil, err
	}
	if len(fkv) == 0 || len(fkv) > maxFields {
		return nil, d.errf(fields, "%s.fields: want 1 to %d fields, have %d", what, maxFields, len(fkv))
	}
	names := map[string]bool{}
	for _, p := range fkv {
		fw := what + ".fields." + p[0].Value
		if err := d.fieldName(p[0], fw, names); err != nil {
			return nil, err
		}
		if isGroup(p[1]) {
			return nil, d.errf(p[1], "%s: groups (each) cannot be nested", fw)
		}
		f, err := d.field(p[1], p[0].Value, fw)
		if err != nil {
			return nil, err
		}
		if f.parse == "price" {
			if err := d.fieldName(p[0], fw, names, f.name+"_currency"); err != nil {
				return nil, err
			}
		}
		g.fields = append(g.fields, f)
	}
	return g, nil
}

func (d *decoder) field(n *yaml.Node, name, what string) (*field, error) {
	f := &field{name: name, parse: "text"}
	if n.Kind == yaml.ScalarNode {
		s, err := d.str(n, what)
		if err != nil {
			return nil, err
		}
		if f.sel, err = d.selector(n, s, what); err != nil {
			return nil, err
		}
		return f, nil
	}
	kv, err := d.mapping(n, what, "selector", "attr", "regex", "parse", "layout", "currency")
	if err != nil {
		return nil, err
	}
	var layout, currency *yaml.Node
	hasSel := false
	for _, p := range kv {
		k, v := p[0], p[1]
		switch k.Value {
		case "selector":
			hasSel = true
			s, err := d.str(v, what+".selector")
			if err != nil {
				return nil, err
			}
			if f.sel, err = d.selector(v, s, what+".selector"); err != nil {
				return nil, err
			}
		case "attr":
			if f.attr, err = d.str(v, what+".attr"); err != nil {
				return nil, err
			}
			f.attr = strings.ToLower(f.attr)
		case "regex":
			s, err := d.str(v, what+".regex")
			if err != nil {
				return nil, err
			}
			if f.regex, err = regexp.Compile(s); err != nil {
				return nil, d.errf(v, "%s.regex: %v", what, err)
			}
		case "parse":
			if f.parse, err = d.str(v, what+".parse"); err != nil {
				return nil, err
			}
			if !slices.Contains(parsers, f.parse) {
				return nil, d.errf(v, "%s.parse %q: want one of %s", what, f.parse, strings.Join(parsers, ", "))
			}
		case "layout":
			layout = v
			if f.layouts, err = d.strs(v, what+".layout"); err != nil {
				return nil, err
			}
		case "currency":
			currency = v
			s, err := d.str(v, what+".currency")
			if err != nil {
				return nil, err
			}
			f.currency = strings.ToUpper(s)
			if !slices.Contains(Currencies, f.currency) {
				return nil, d.errf(v, "%s.currency %q: want one of %s", what, s, strings.Join(Currencies, ", "))
			}
		}
	}
	if !hasSel && f.attr == "" {
		return nil, d.errf(n, "%s needs a selector (\"\" for the group's element itself) or an attr", what)
	}
	if layout != nil && f.parse != "time" {
		return nil, d.errf(layout, "%s.layout only applies to parse: time", what)
	}
	if currency != nil && f.parse != "price" {
		return nil, d.errf(currency, "%s.currency only applies to parse: price", what)
	}
	return f, nil
}

// selector compiles a CSS selector group; the empty string means the context
// element and yields nil.
func (d *decoder) selector(n *yaml.Node, s, what string) (cascadia.SelectorGroup, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	g, err := cascadia.ParseGroup(s)
	if err != nil {
		return nil, d.errf(n, "%s: bad CSS selector %q: %v", what, s, err)
	}
	return g, nil
}
