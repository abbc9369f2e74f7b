package htmltext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that any input parses without panic, within the text cap,
// and that the text is valid UTF-8 whenever the input is.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"<p>bob<span>@</span>example.com</p>", "<pre>a\n\nb</pre>", "<a href='/x'>x</a><base href=http://h/>",
		"<script>x</script><template><p>t</p></template>", "<title>t</title><table><td>a<td>b", "&#64;&nbsp;&amp",
		"<textarea>-----BEGIN PGP</textarea>", "<div><p>" + strings.Repeat("<b>", 50),
		`<input readonly value="bc1q..."><img alt="a&#64;b.c" title=" t "><input type=hidden value=x>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parser{MaxText: 256}.Parse(strings.NewReader(s), "http://base.example/dir/")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Text) > 256 {
			t.Fatalf("text %d bytes over the cap", len(p.Text))
		}
		if utf8.ValidString(s) && !utf8.ValidString(p.Text) {
			t.Fatalf("invalid UTF-8 text %q from valid input", p.Text)
		}
		if len(p.Attrs) > DefaultMaxAttrs {
			t.Fatalf("%d attribute values over the cap", len(p.Attrs))
		}
		for _, a := range p.Attrs {
			if a.Value == "" || len(a.Value) > maxAttrValue || !utf8.ValidString(a.Value) {
				t.Fatalf("attribute %s value %q empty, too long or invalid UTF-8", a.Name, a.Value)
			}
		}
	})
}
