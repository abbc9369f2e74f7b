package templates

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"vigil/internal/demo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/templates/golden")

const (
	templateDir = "../../testdata/templates"
	goldenDir   = "../../testdata/templates/golden"
	demoBase    = "http://127.0.0.1:8080"
)

func loadDemo(t testing.TB) *Set {
	t.Helper()
	s, err := Load(templateDir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseHTML(t testing.TB, b []byte) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func demoPage(t testing.TB, site *demo.Site, path string) *goquery.Document {
	t.Helper()
	b, ok := site.Page(path)
	if !ok {
		t.Fatalf("demo has no page %s", path)
	}
	return parseHTML(t, b)
}

// firstPath is the first demo page whose path starts with prefix.
func firstPath(t testing.TB, site *demo.Site, prefix string) string {
	t.Helper()
	for _, p := range site.Pages() {
		if strings.HasPrefix(p, prefix) {
			return p
		}
	}
	t.Fatalf("demo has no page under %s", prefix)
	return ""
}

func TestLoadReadsTheDemoTemplatesInFileOrder(t *testing.T) {
	s := loadDemo(t)
	var names []string
	for _, tp := range s.Templates() {
		names = append(names, tp.Name)
	}
	if !slices.Equal(names, []string{"demo-forum", "demo-market"}) {
		t.Fatalf("templates = %v", names)
	}
	if f := s.Templates()[0]; f.Version != 1 || f.Kind != "forum" || !slices.Contains(f.Sites, "*.onion") {
		t.Fatalf("forum template = %+v", f)
	}
}

// TestGolden applies the demo templates to a page of every kind and compares
// the records with testdata/templates/golden (rewrite with -update).
func TestGolden(t *testing.T) {
	s := loadDemo(t)
	site := demo.New(demo.Config{})
	pages := map[string]string{
		"forum-thread":        "/forum/t/3/",
		"forum-thread-page-2": "/forum/t/3/page/2",
		"forum-board":         "/forum/general/",
		"forum-profile":       firstPath(t, site, "/forum/u/"),
		"market-category":     "/market/services/",
		"market-listing":      "/market/listing/7",
		"market-vendor":       firstPath(t, site, "/market/vendor/"),
	}
	for name, path := range pages {
		t.Run(name, func(t *testing.T) {
			res, err := s.Apply(demoPage(t, site, path), demoBase+path)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Matched || res.Drift || len(res.Records) == 0 {
				t.Fatalf("%s: matched %v, drift %v (missing %v), %d records", path, res.Matched, res.Drift, res.Missing, len(res.Records))
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(struct {
				URL string `json:"url"`
				Result
			}{path, res}); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			file := filepath.Join(goldenDir, name+".json")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("records of %s differ from %s (run with -update if the change is intended):\n%s", path, file, got)
			}
		})
	}
}

// TestEveryDemoPageMatchesWithoutDrift applies the templates to every page of
// the demo site: every page but the index matches a rule of the right kind,
// none drifts, and the records hold what the page shows.
func TestEveryDemoPageMatchesWithoutDrift(t *testing.T) {
	s := loadDemo(t)
	site := demo.New(demo.Config{Threads: 30, Listings: 40})
	counts := map[string]int{}
	for _, path := range site.Pages() {
		res, err := s.Apply(demoPage(t, site, path), demoBase+path)
		if err != nil {
			t.Fatal(err)
		}
		if path == "/" {
			if res.Matched {
				t.Errorf("the index matched %s/%s", res.Template, res.Expect)
			}
			continue
		}
		if !res.Matched || res.Drift {
			t.Fatalf("%s: matched %v, drift %v, missing %v", path, res.Matched, res.Drift, res.Missing)
		}
		for _, r := range res.Records {
			counts[r.Type]++
			if r.Type == "post" && (r.Fields["author"] == "" || r.Fields["time"] == "" || r.Fields["body"] == "") {
				t.Errorf("%s: incomplete post %v", path, r.Fields)
			}
			if r.Type == "listing" && res.Expect != "listing" && r.Fields["title"] == "" {
				t.Errorf("%s: listing without title %v", path, r.Fields)
			}
		}
		if res.Expect == "listing" {
			f := res.Records[0].Fields
			if f["price_currency"] != "USD" || f["price"] == "" || strings.ContainsAny(f["price"], "$,") || f["shipping"] == "" || f["vendor"] == "" {
				t.Errorf("%s: listing record %v", path, f)
			}
		}
	}
	cfg := site.Config()
	if counts["post"] != cfg.Threads*cfg.PostsPerThread {
		t.Errorf("%d posts, the demo has %d", counts["post"], cfg.Threads*cfg.PostsPerThread)
	}
	if counts["vendor"] != cfg.Vendors || counts["profile"] != cfg.Users {
		t.Errorf("%d vendor and %d profile records, want %d and %d", counts["vendor"], counts["profile"], cfg.Vendors, cfg.Users)
	}
}

// redesign renames the demo's class names as a site redesign would.
var redesign = strings.NewReplacer(
	`class="post"`, `class="message"`,
	`class="post-author"`, `class="msg-user"`,
	`class="post-body"`, `class="msg-text"`,
	`class="price"`, `class="cost"`,
	`class="vendor"`, `class="seller"`,
)

func TestRedesignedPagesReportDriftWithTheMissingFields(t *testing.T) {
	s := loadDemo(t)
	site := demo.New(demo.Config{})
	cases := []struct {
		path     string
		template string
		missing  []string
	}{
		{"/forum/t/3/", "demo-forum", []string{"post", "post.author", "post.time", "post.body"}},
		{"/market/listing/7", "demo-market", []string{"price", "vendor"}},
		{"/market/services/", "demo-market", []string{"listing.price"}},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			b, _ := site.Page(c.path)
			res, err := s.Apply(parseHTML(t, []byte(redesign.Replace(string(b)))), demoBase+c.path)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Matched || !res.Drift || res.Template != c.template || res.Version != 1 {
				t.Fatalf("result %+v, want drift of %s v1", res, c.template)
			}
			if !slices.Equal(res.Missing, c.missing) {
				t.Fatalf("missing %v, want %v", res.Missing, c.missing)
			}
			d := res.TemplateDrift("forum.onion")
			if d == nil || d.Site != "forum.onion" || !slices.Equal(d.Missing, c.missing) || d.Version != 1 {
				t.Fatalf("drift report %+v", d)
			}
		})
	}
}

func TestApplyMatchesOnlyTheTemplatesSitesAndRules(t *testing.T) {
	s := loadDemo(t)
	site := demo.New(demo.Config{})
	doc := demoPage(t, site, "/forum/t/3/")
	for _, c := range []struct {
		url   string
		match bool
	}{
		{"http://127.0.0.1:9999/forum/t/3/", true},
		{"http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion/forum/t/3/", true},
		{"http://LOCALHOST/forum/t/3/", true},
		{"http://forum.example/forum/t/3/", false}, // another site
		{"http://127.0.0.1/forum/t/3/extra", false},
		{"http://127.0.0.1/", false},
	} {
		res, err := s.Apply(doc, c.url)
		if err != nil {
			t.Fatal(err)
		}
		if res.Matched != c.match {
			t.Errorf("%s: matched %v, want %v", c.url, res.Matched, c.match)
		}
		if !c.match && (res.Records != nil || res.Drift) {
			t.Errorf("%s: unmatched result %+v is not zero", c.url, res)
		}
	}
	if _, err := s.Apply(doc, "/forum/t/3/"); err == nil {
		t.Error("a relative URL was accepted")
	}
	if _, err := s.Apply(nil, demoBase+"/"); err == nil {
		t.Error("a nil document was accepted")
	}
	var none *Set
	if res, err := none.Apply(doc, demoBase+"/forum/t/3/"); err != nil || res.Matched {
		t.Errorf("nil set = %+v, %v", res, err)
	}
}

func TestParsePrice(t *testing.T) {
	for _, c := range []struct {
		in, def      string
		amount, code string
		ok           bool
	}{
		{"$1,200.50", "", "1200.50", "USD", true},
		{"€ 45", "", "45", "EUR", true},
		{"0.0021 BTC", "", "0.0021", "BTC", true},
		{"45 USD", "", "45", "USD", true},
		{"USD 45", "", "45", "USD", true},
		{"£12.99 (escrow)", "", "12.99", "GBP", true},
		{"1.200,50 €", "", "1200.50", "EUR", true},
		{"12,50 EUR", "", "12.50", "EUR", true},
		{"€2,796", "", "2796", "EUR", true},
		{"1 200 000 XMR", "", "1200000", "XMR", true},
		{"Price: 0.35 xmr per unit", "", "0.35", "XMR", true},
		{"₿0.01", "", "0.01", "BTC", true},
		{"2.5 bitcoin", "", "2.5", "BTC", true},
		{"007 $", "", "7", "USD", true},
		{"Order #12 total $30", "", "30", "USD", true},
		{"45", "EUR", "45", "EUR", true},
		{"45", "", "", "", false},
		{"no price here", "USD", "", "", false},
		{"45 USDT", "", "", "", false},
		{"45 eurostar", "", "", "", false},
		{"", "", "", "", false},
	} {
		p, ok := ParsePrice(c.in, c.def)
		if ok != c.ok || p.Amount != c.amount || p.Currency != c.code {
			t.Errorf("ParsePrice(%q, %q) = %+v, %v; want %s %s, %v", c.in, c.def, p, ok, c.amount, c.code, c.ok)
		}
	}
}

func TestFieldParsers(t *testing.T) {
	for _, c := range []struct {
		parse, in, want string
		ok              bool
	}{
		{"int", "1,234 sales", "1234", true},
		{"int", "4.5/5", "", false},
		{"int", "none", "", false},
		{"number", "4.7/5", "4.7", true},
		{"number", "rated 0.5", "0.5", true},
		{"time", "2023-10-10 16:01", "2023-10-10T16:01:00Z", true},
		{"time", "2024-01-05T10:00:00+02:00", "2024-01-05T08:00:00Z", true},
		{"time", "Jan 2, 2024", "2024-01-02T00:00:00Z", true},
		{"time", "yesterday", "", false},
	} {
		var got string
		var ok bool
		switch c.parse {
		case "int":
			got, ok = parseInt(c.in)
		case "number":
			got, ok = parseNumber(c.in)
		case "time":
			got, ok = parseTime(c.in, nil)
		}
		if got != c.want || ok != c.ok {
			t.Errorf("%s(%q) = %q, %v; want %q, %v", c.parse, c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestTextBreaksBlocksAndJoinsInlineElements(t *testing.T) {
	doc := parseHTML(t, []byte(`<div id="x"><p>Hello   <b>wor</b>ld</p><p>bob<span>@</span>example.com<br>next <script>x()</script>line</p></div>`))
	got := text(doc.Find("#x").Get(0))
	if want := "Hello world\nbob@example.com\nnext line"; got != want {
		t.Fatalf("text = %q, want %q", got, want)
	}
}
