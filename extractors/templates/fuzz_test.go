package templates

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that any template text is either rejected with an error
// naming the file or yields a template that applies to a page without
// panicking.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"demo-forum.yaml", "demo-market.yaml"} {
		b, err := os.ReadFile(templateDir + "/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(minimal))
	f.Add([]byte(`{"site": "x", "version": 1, "kind": "market", "pages": [{"match": ".", "expect": "vendor", "fields": {"f": {"attr": "id"}}}]}`))
	f.Add([]byte("a: &x [*x, *x]\n"))
	doc := parseHTML(f, []byte(`<h1 id="t">Title</h1><div class="p">$4</div><article><p>x</p></article>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := Parse("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if tp.Version < 1 || len(tp.Sites) == 0 || len(tp.rules) == 0 {
			t.Fatalf("accepted an incomplete template %+v", tp)
		}
		s, _ := NewSet(tp)
		for _, host := range append(slices.Clone(tp.Sites), "x.example") {
			if strings.ContainsAny(host, "*?[\\") {
				host = "a.onion"
			}
			if _, err := s.Apply(doc, "http://"+host+"/t/1"); err != nil && !strings.Contains(err.Error(), "apply templates") {
				t.Fatal(err)
			}
		}
	})
}

var decimal = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]+)?$`)

// FuzzApply applies the demo templates to arbitrary HTML at a forum or market
// URL: results stay within limits, drift comes with the fields it misses,
// and prices and numbers are plain decimals.
func FuzzApply(f *testing.F) {
	// Small seeds in the demo's markup: the fuzzer minimises every new
	// input, which is slow for whole pages.
	for _, c := range [][2]string{
		{`<main><h1>T (page 2)</h1><article class="post" id="p0"><div class="post-author"><a href="/forum/u/1-a">a</a><span class="post-date">2023-10-10 16:01</span> <a class="permalink" href="#p0">#1</a></div><div class="post-body"><p>hi</p></div></article></main>`, "/forum/t/1/"},
		{`<table class="list threads"><tr class="thread"><td><a href="/forum/t/1/">T</a></td><td><a href="/forum/u/1-a">a</a></td><td>14</td><td>2022-04-15 11:39</td></tr></table>`, "/forum/general/"},
		{`<main><h1>L</h1><div class="listing-detail"><dl><dt>Price</dt><dd class="price">$1,200.50</dd><dt>Vendor</dt><dd class="vendor"><a href="/market/vendor/v">v</a></dd><dt>Ships to</dt><dd>EU</dd></dl></div></main>`, "/market/listing/2"},
		{`<main><h1>Vendor: v</h1><dl class="vendor-profile"><dt>Sales</dt><dd>1,234</dd><dt>Rating</dt><dd>4.5/5</dd></dl><section class="vendor-listings"><ul><li><a href="/market/listing/1">x</a></li></ul></section></main>`, "/market/vendor/v"},
		{`<dl class="profile"><dt>Joined</dt><dd>2022-10-05 11:57</dd><dt>Posts</dt><dd>22</dd></dl>`, "/forum/u/1-a"},
		{`<table class="listings"><tr class="listing"><td class="price">€ 1.200,5</td></tr></table>`, "/market/x/"},
	} {
		f.Add(c[0], c[1])
		f.Add(redesign.Replace(c[0]), c[1])
	}
	s := loadDemo(f)
	f.Fuzz(func(t *testing.T, page, path string) {
		res, err := s.Apply(parseHTML(t, []byte(page)), "http://127.0.0.1/"+strings.TrimPrefix(path, "/"))
		if err != nil {
			return // a path that makes the URL unparseable
		}
		if !res.Matched {
			if res.Records != nil || res.Drift || res.Template != "" {
				t.Fatalf("unmatched result %+v", res)
			}
			return
		}
		if res.Drift != (len(res.Missing) > 0) {
			t.Fatalf("drift %v with missing %v", res.Drift, res.Missing)
		}
		if len(res.Records) > MaxRecords {
			t.Fatalf("%d records", len(res.Records))
		}
		for i, r := range res.Records {
			if r.Index != i || len(r.Fields) == 0 || r.Template != res.Template {
				t.Fatalf("record %d = %+v", i, r)
			}
			for k, v := range r.Fields {
				if v == "" || len(v) > MaxFieldBytes {
					t.Fatalf("field %s has %d bytes", k, len(v))
				}
				switch k {
				case "price", "feedback", "sales", "replies", "posts", "reputation", "number":
					if !decimal.MatchString(v) {
						t.Fatalf("%s = %q is not a decimal", k, v)
					}
				case "price_currency":
					if !slices.Contains(Currencies, v) {
						t.Fatalf("currency %q", v)
					}
				}
			}
		}
	})
}

// FuzzParsePrice checks that a parsed price is a plain decimal in a known
// currency, taken from the text.
func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"$1,200.50", "€ 45", "0.0021 BTC", "45 USD", "1.200,50 €", "1 200 000 XMR", "12'500 £", "₿0.01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParsePrice(s, "")
		if !ok {
			return
		}
		if !decimal.MatchString(p.Amount) || !slices.Contains(Currencies, p.Currency) {
			t.Fatalf("ParsePrice(%q) = %+v", s, p)
		}
	})
}
