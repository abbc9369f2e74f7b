package templates

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"vigil"
)

// Limits on what one page yields, so a hostile page cannot exhaust memory.
const (
	MaxRecords    = 5000     // records per page; more items are dropped
	MaxFieldBytes = 64 << 10 // bytes of one field value; longer values are cut
)

// Result is what a Set makes of one page.
type Result struct {
	// Matched reports that a template's site and one of its page rules
	// matched the page's URL. When false, every other field is zero.
	Matched  bool   `json:"matched"`
	Template string `json:"template,omitempty"`
	Version  int    `json:"version,omitempty"`
	Kind     string `json:"kind,omitempty"`   // forum or market
	Expect   string `json:"expect,omitempty"` // the page kind the rule expects
	// Records are the page's own record (Index 0, Type Expect, when any of
	// the rule's scalar fields has a value) followed by one record per
	// element of each group, in group then document order. Provenance is
	// left for the caller: see (*vigil.Page).StampRecords.
	Records []vigil.Record `json:"records,omitempty"`
	// Drift reports template drift: some fields the rule requires yielded
	// nothing. Missing names them in the rule's order ("post",
	// "post.author").
	Drift   bool     `json:"drift,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

// TemplateDrift returns the drift report of r for site, or nil when r has
// no drift.
func (r Result) TemplateDrift(site string) *vigil.TemplateDrift {
	if !r.Drift {
		return nil
	}
	return &vigil.TemplateDrift{Template: r.Template, Version: r.Version, Site: site, Expect: r.Expect, Missing: append([]string(nil), r.Missing...)}
}

// Apply finds the first template (in Set order) whose site pattern matches
// the host of pageURL and that has a page rule matching its path (with
// "?query" when the URL has one); within a template the first matching rule
// wins. It extracts that rule's fields from doc. A page no rule matches
// yields a zero Result. Apply fails only when doc is nil or pageURL is not
// an absolute URL. It is safe for concurrent use.
func (s *Set) Apply(doc *goquery.Document, pageURL string) (Result, error) {
	if doc == nil {
		return Result{}, errors.New("apply templates: nil document")
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		return Result{}, fmt.Errorf("apply templates: %w", err)
	}
	if u.Host == "" {
		return Result{}, fmt.Errorf("apply templates: %q is not an absolute URL", pageURL)
	}
	if s == nil {
		return Result{}, nil
	}
	host := strings.ToLower(u.Hostname())
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	for _, t := range s.templates {
		if !t.matchesHost(host) {
			continue
		}
		for _, r := range t.rules {
			if r.match.MatchString(p) {
				root := doc.Get(0)
				if root == nil {
					root = &html.Node{Type: html.DocumentNode}
				}
				return t.apply(r, root, u), nil
			}
		}
	}
	return Result{}, nil
}

func (t *Template) matchesHost(host string) bool {
	for _, s := range t.Sites {
		if ok, _ := path.Match(s, host); ok {
			return true
		}
	}
	return false
}

func (t *Template) apply(r *rule, root *html.Node, base *url.URL) Result {
	res := Result{Matched: true, Template: t.Name, Version: t.Version, Kind: t.Kind, Expect: r.expect}
	newRecord := func(typ string, fields map[string]string) vigil.Record {
		return vigil.Record{Type: typ, Index: len(res.Records), Fields: fields, Template: t.Name, TemplateVersion: t.Version}
	}
	var missing []string
	page := map[string]string{}
	for _, f := range r.fields {
		f.extract(root, base, page)
	}
	if len(page) > 0 {
		res.Records = append(res.Records, newRecord(r.expect, page))
	}
	// found[g] and found[g.f] say whether group g has items and whether any
	// item has field f.
	found := map[string]bool{}
	for _, g := range r.groups {
		for _, el := range cascadia.QueryAll(root, g.each) {
			if len(res.Records) >= MaxRecords {
				break
			}
			item := map[string]string{}
			for _, f := range g.fields {
				f.extract(el, base, item)
			}
			if len(item) == 0 {
				continue
			}
			found[g.name] = true
			for k := range item {
				found[g.name+"."+k] = true
			}
			res.Records = append(res.Records, newRecord(g.typ, item))
		}
	}
	for _, q := range r.require {
		if _, _, nested := strings.Cut(q, "."); !nested && page[q] != "" {
			continue
		}
		if !found[q] {
			missing = append(missing, q)
		}
	}
	if len(missing) > 0 {
		res.Drift, res.Missing = true, missing
	}
	return res
}

// extract sets out[f.name] (and out[f.name+"_currency"] for prices) from the
// first element under ctx that f's selector matches; nothing is set when no
// element matches or the value is empty or does not parse.
func (f *field) extract(ctx *html.Node, base *url.URL, out map[string]string) {
	el := ctx
	if f.sel != nil {
		if el = cascadia.Query(ctx, f.sel); el == nil {
			return
		}
	}
	var raw string
	if f.attr != "" {
		v, ok := attr(el, f.attr)
		if !ok {
			return
		}
		raw = strings.Join(strings.Fields(v), " ")
	} else {
		raw = text(el)
	}
	if f.regex != nil {
		m := f.regex.FindStringSubmatch(raw)
		if m == nil {
			return
		}
		raw = m[0]
		for _, g := range m[1:] {
			if g != "" {
				raw = g
				break
			}
		}
		raw = strings.TrimSpace(raw)
	}
	if raw == "" {
		return
	}
	switch f.parse {
	case "text":
		out[f.name] = capBytes(raw)
	case "int":
		if v, ok := parseInt(raw); ok {
			out[f.name] = v
		}
	case "number":
		if v, ok := parseNumber(raw); ok {
			out[f.name] = v
		}
	case "price":
		if p, ok := ParsePrice(raw, f.currency); ok {
			out[f.name], out[f.name+"_currency"] = p.Amount, p.Currency
		}
	case "time":
		if v, ok := parseTime(raw, f.layouts); ok {
			out[f.name] = v
		}
	case "url":
		if ref, err := url.Parse(raw); err == nil {
			out[f.name] = capBytes(base.ResolveReference(ref).String())
		}
	}
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// capBytes cuts s to MaxFieldBytes without splitting a UTF-8 sequence.
func capBytes(s string) string {
	if len(s) <= MaxFieldBytes {
		return s
	}
	i := MaxFieldBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
