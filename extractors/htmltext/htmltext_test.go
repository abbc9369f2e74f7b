package htmltext

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
)

func parseBoth(t *testing.T, src, base string) (string, string, []string) {
	t.Helper()
	p, err := Parse(strings.NewReader(src), base)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	q := FromDocument(doc, base)
	if q.Text != p.Text || q.Title != p.Title || strings.Join(q.Links, " ") != strings.Join(p.Links, " ") || !slices.Equal(q.Attrs, p.Attrs) {
		t.Errorf("Parse and FromDocument differ:\nParse:        %q %q %q %q\nFromDocument: %q %q %q %q",
			p.Title, p.Text, p.Links, p.Attrs, q.Title, q.Text, q.Links, q.Attrs)
	}
	if p.URL != base {
		t.Errorf("URL = %q, want %q", p.URL, base)
	}
	return p.Title, p.Text, p.Links
}

func TestText(t *testing.T) {
	tests := []struct {
		name, html, title, text string
	}{
		{"email split across inline tags is contiguous",
			`<p>mail bob<span>@</span>example<b>.com</b> now</p>`, "", "mail bob@example.com now\n"},
		{"scripts styles noscript and templates are dropped",
			`<html><head><title> My  Page </title><style>p{color:red}</style><script>var a="x@y.com";</script></head>` +
				`<body><noscript>enable js</noscript><template><p>tmpl</p></template><p>hello</p></body></html>`,
			"My Page", "hello\n"},
		{"entities are decoded",
			`<div>bob&#64;example&period;com &amp; &lt;tag&gt; caf&eacute;&nbsp;ok</div>`, "", "bob@example.com & <tag> café ok\n"},
		{"blocks are separated by newlines and spaces collapse",
			"<div>one\n\n   two</div><div><p>three</p>four</div><ul><li>a</li><li>b</li></ul>", "", "one two\nthree\nfour\na\nb\n"},
		{"br breaks a line and cells are tab separated",
			"<p>line1<br>line2</p><table><tr><td>Phone</td><td>+1 415</td></tr></table>", "", "line1\nline2\nPhone\t+1 415\n"},
		{"pre keeps line breaks",
			"<pre>-----BEGIN\n\nabc\n-----END</pre>after", "", "-----BEGIN\n\nabc\n-----END\nafter\n"},
		{"textarea text is kept with its lines",
			"<textarea>k1\nk2 &amp; k3</textarea>", "", "k1\nk2 & k3\n"},
		{"malformed markup still yields the text",
			"<div><p>unclosed <b>bold <i>it</div>tail", "", "unclosed bold it\ntail\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			title, text, _ := parseBoth(t, tc.html, "")
			if text != tc.text {
				t.Errorf("text = %q, want %q", text, tc.text)
			}
			if title != tc.title {
				t.Errorf("title = %q, want %q", title, tc.title)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	src := `<a href="/u/alice">a</a><a href="mailto:Bob@Example.com">m</a><a href="tel:+1-415-555-0123">t</a>` +
		`<map><area href="https://t.me/someone"></map><a href="#top">top</a><a href="/u/alice">dup</a><a>none</a>` +
		`<a href="http://xyz.onion/p?q=1">o</a>`
	_, _, links := parseBoth(t, src, "http://forum.example/thread/1")
	want := []string{"http://forum.example/u/alice", "mailto:Bob@Example.com", "tel:+1-415-555-0123",
		"https://t.me/someone", "http://xyz.onion/p?q=1"}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Errorf("links = %q, want %q", links, want)
	}
}

func TestAttrs(t *testing.T) {
	long := strings.Repeat("z", maxAttrValue+1)
	tests := []struct {
		name, html string
		want       []string // "name=value"
	}{
		{"titles of any element and alt texts of images are kept",
			`<span title="wallet  bc1qxyz">copy</span><img src="/qr.png" alt="0xabc &amp; more"><a href="/x" title="t.me/bob">x</a>`,
			[]string{"title=wallet bc1qxyz", "alt=0xabc & more", "title=t.me/bob"}},
		{"text field values are kept, hidden inputs and passwords are not",
			`<input readonly value="TXYZ"><input type="email" value="a@b.org"><input type="hidden" name="csrf" value="f00d">` +
				`<input type="PASSWORD" value="secret"><input type="image" alt="pay">`,
			[]string{"value=TXYZ", "value=a@b.org", "alt=pay"}},
		{"alt counts only where it is shown and values only on inputs",
			`<div alt="no"><option value="no">yes</option><button value="no">b</button></div>`, nil},
		{"empty, repeated and overlong values are kept once or not at all",
			`<b title=" ">x</b><b title="same">x</b><i title="same">y</i><b title="` + long + `">z</b>`,
			[]string{"title=same"}},
		{"the first of duplicate attributes wins",
			`<b title="first" title="second">x</b>`, []string{"title=first"}},
		{"attributes inside dropped elements are not kept",
			`<script><b title="in script"></b></script><svg><title>s</title><a title="in svg"></a></svg><template><img alt="tmpl"></template>`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(strings.NewReader(tc.html), "")
			if err != nil {
				t.Fatal(err)
			}
			parseBoth(t, tc.html, "")
			var got []string
			for _, a := range p.Attrs {
				got = append(got, fmt.Sprintf("%s=%s", a.Name, a.Value))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("attrs = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("the number of values is capped", func(t *testing.T) {
		p, err := Parser{MaxAttrs: 2}.Parse(strings.NewReader(`<b title=a></b><b title=b></b><b title=c></b>`), "")
		if err != nil || len(p.Attrs) != 2 {
			t.Errorf("attrs %q, err %v", p.Attrs, err)
		}
	})
}

func TestBaseElementResolvesLinks(t *testing.T) {
	src := `<head><base href="http://other.example/dir/"></head><a href="x">x</a>`
	_, _, links := parseBoth(t, src, "http://forum.example/")
	if len(links) != 1 || links[0] != "http://other.example/dir/x" {
		t.Errorf("links = %q", links)
	}
}

func TestTextCapKeepsValidUTF8(t *testing.T) {
	src := "<p>" + strings.Repeat("é", 1000) + "</p>"
	for _, max := range []int{1, 2, 3, 101, 1000} {
		p, err := Parser{MaxText: max}.Parse(strings.NewReader(src), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Text) > max || !utf8.ValidString(p.Text) {
			t.Errorf("MaxText %d: len %d, valid %v", max, len(p.Text), utf8.ValidString(p.Text))
		}
		if len(p.Text) < max-1 {
			t.Errorf("MaxText %d: only %d bytes kept", max, len(p.Text))
		}
	}
}

func TestHugeAndHostileInput(t *testing.T) {
	t.Run("deep nesting does not exhaust the stack", func(t *testing.T) {
		// x/net/html refuses trees deeper than 512, so only Parse sees this.
		src := strings.Repeat("<div><span>", 100000) + "deep" + strings.Repeat("</span></div>", 100000)
		p, err := Parse(strings.NewReader(src), "")
		if err != nil || p.Text != "deep\n" {
			t.Errorf("text %q, err %v", p.Text, err)
		}
	})
	t.Run("text beyond the cap is dropped but links are still read", func(t *testing.T) {
		src := "<p>" + strings.Repeat("x", 3<<20) + "</p><a href='http://late.example/'>late</a>"
		p, err := Parse(strings.NewReader(src), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Text) != DefaultMaxText {
			t.Errorf("text len %d, want %d", len(p.Text), DefaultMaxText)
		}
		if len(p.Links) != 1 {
			t.Errorf("links %q", p.Links)
		}
	})
	t.Run("an unterminated giant attribute stops Parse without error", func(t *testing.T) {
		src := "<p>before</p><a href='" + strings.Repeat("y", maxToken+10)
		p, err := Parse(strings.NewReader(src), "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Text != "before\n" {
			t.Errorf("text %q", p.Text)
		}
	})
}

func TestNilDocument(t *testing.T) {
	if p := FromDocument(nil, "u"); p.Text != "" || p.URL != "u" {
		t.Errorf("page %+v", p)
	}
}
