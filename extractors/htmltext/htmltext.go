// Package htmltext turns HTML into a vigil.Page: the visible text, the title
// and the links of a document, ready for the contact extractors.
//
// The text keeps what a reader sees: scripts, styles, noscript and template
// contents are dropped, entities are decoded, block elements end with a
// newline and inline elements are joined without a separator (so that
// bob<span>@</span>example.com reads "bob@example.com"). Runs of white space
// collapse to one space, except inside <pre> and <textarea>, where line breaks
// are kept (armored PGP keys live there). A non-breaking space reads as a
// space. The text is capped (Parser.MaxText) so a huge or hostile page cannot
// blow up memory; the cap never splits a UTF-8 sequence.
//
// Parse tokenizes a stream without building a tree; FromDocument walks a tree
// that goquery (or colly) already parsed, so a crawl parses each page once.
// Both produce the same Page for the same well-formed HTML.
package htmltext

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"vigil"
)

// Defaults for the zero Parser.
const (
	DefaultMaxText  = 2 << 20  // bytes of visible text kept
	DefaultMaxLinks = 10000    // links kept
	DefaultMaxAttrs = 10000    // attribute values kept
	DefaultMaxInput = 64 << 20 // bytes of HTML that Parse reads
	maxToken        = 8 << 20  // bytes of one token (a huge attribute or script) before Parse gives up
	maxAttrValue    = 1024     // bytes of an attribute value; longer ones are not kept
)

// Parser converts HTML to a Page with limits. Its zero value uses the
// defaults above; a Parser is safe for concurrent use.
type Parser struct {
	MaxText  int // bytes of text kept; 0 means DefaultMaxText
	MaxLinks int // links kept; 0 means DefaultMaxLinks
	MaxAttrs int // attribute values kept; 0 means DefaultMaxAttrs
	MaxInput int // bytes of HTML Parse reads; 0 means DefaultMaxInput
}

// Parse reads HTML from r with the default limits. See Parser.Parse.
func Parse(r io.Reader, baseURL string) (*vigil.Page, error) {
	return Parser{}.Parse(r, baseURL)
}

// FromDocument converts an already-parsed document with the default limits.
// See Parser.FromDocument.
func FromDocument(doc *goquery.Document, baseURL string) *vigil.Page {
	return Parser{}.FromDocument(doc, baseURL)
}

// Parse reads HTML from r (at most MaxInput bytes; the rest is ignored) and
// returns its Page with URL set to baseURL. Malformed HTML is read as a
// browser would; the only errors are read errors of r other than io.EOF.
func (ps Parser) Parse(r io.Reader, baseURL string) (*vigil.Page, error) {
	b := ps.newBuilder(baseURL)
	z := html.NewTokenizer(io.LimitReader(r, int64(orDefault(ps.MaxInput, DefaultMaxInput))))
	z.SetMaxBuf(maxToken)
	skip := 0 // depth inside dropped elements
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			err := z.Err()
			if err == io.EOF || err == html.ErrBufferExceeded {
				return b.page(), nil
			}
			return b.page(), fmt.Errorf("read html: %w", err)
		case html.TextToken:
			if skip == 0 {
				b.text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atomOf(name)
			if a == tagDrop {
				if tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if skip > 0 {
				continue
			}
			var ea elemAttrs
			for more := hasAttr; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				ea.set(k, v)
			}
			b.start(a, ea.href, ea.hasHref && (a == tagLink || a == tagBase))
			b.readable(string(name), &ea)
			if tt == html.SelfClosingTagToken {
				b.end(a)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atomOf(name)
			if a == tagDrop {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip == 0 {
				b.end(a)
			}
		}
	}
}

// FromDocument converts doc, a tree parsed by goquery or colly, without
// parsing again. A nil doc yields an empty Page.
func (ps Parser) FromDocument(doc *goquery.Document, baseURL string) *vigil.Page {
	b := ps.newBuilder(baseURL)
	if doc == nil {
		return b.page()
	}
	for _, root := range doc.Nodes {
		b.walk(root)
	}
	return b.page()
}

// walk visits the tree under root iteratively (no recursion, so a deeply
// nested hostile page cannot exhaust the stack).
func (b *builder) walk(root *html.Node) {
	n := root
	for {
		if b.enter(n) && n.FirstChild != nil {
			n = n.FirstChild
			continue
		} else if n.Type == html.ElementNode && atomOfString(n.Data) != tagDrop {
			b.end(atomOfString(n.Data))
		}
		// Climb to the next sibling, closing every ancestor whose children are done.
		for {
			if n == root || n.Parent == nil {
				return
			}
			if n.NextSibling != nil {
				n = n.NextSibling
				break
			}
			n = n.Parent
			if n.Type == html.ElementNode {
				b.end(atomOfString(n.Data))
			}
		}
	}
}

// enter handles the start of n and reports whether its children are visited.
func (b *builder) enter(n *html.Node) bool {
	switch n.Type {
	case html.TextNode:
		appendText(b, n.Data)
	case html.ElementNode:
		a := atomOfString(n.Data)
		if a == tagDrop {
			return false
		}
		var ea elemAttrs
		for _, at := range n.Attr {
			if at.Namespace == "" {
				ea.setString(at.Key, at.Val)
			}
		}
		b.start(a, ea.href, ea.hasHref && (a == tagLink || a == tagBase))
		b.readable(n.Data, &ea)
		return true
	case html.DocumentNode:
		return true
	}
	return false
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// tag classifies the elements that matter for text extraction.
type tag uint8

const (
	tagInline tag = iota
	tagBlock
	tagCell // td, th: a tab between cells
	tagBreak
	tagPre
	tagDrop // script, style, noscript, template: contents dropped
	tagTitle
	tagLink // a, area: href collected
	tagBase
)

var tags = map[string]tag{
	"script": tagDrop, "style": tagDrop, "noscript": tagDrop, "template": tagDrop,
	"head": tagBlock, "title": tagTitle, "a": tagLink, "area": tagLink, "base": tagBase,
	"br": tagBreak, "pre": tagPre, "textarea": tagPre, "listing": tagPre, "plaintext": tagPre,
	"td": tagCell, "th": tagCell,
	"address": tagBlock, "article": tagBlock, "aside": tagBlock, "blockquote": tagBlock,
	"body": tagBlock, "caption": tagBlock, "center": tagBlock, "dd": tagBlock, "details": tagBlock,
	"dialog": tagBlock, "dir": tagBlock, "div": tagBlock, "dl": tagBlock, "dt": tagBlock,
	"fieldset": tagBlock, "figcaption": tagBlock, "figure": tagBlock, "footer": tagBlock,
	"form": tagBlock, "frameset": tagBlock, "h1": tagBlock, "h2": tagBlock, "h3": tagBlock,
	"h4": tagBlock, "h5": tagBlock, "h6": tagBlock, "header": tagBlock, "hgroup": tagBlock,
	"hr": tagBlock, "html": tagBlock, "legend": tagBlock, "li": tagBlock, "main": tagBlock,
	"menu": tagBlock, "nav": tagBlock, "ol": tagBlock, "option": tagBlock, "p": tagBlock,
	"section": tagBlock, "summary": tagBlock, "table": tagBlock, "tbody": tagBlock,
	"tfoot": tagBlock, "thead": tagBlock, "tr": tagBlock, "ul": tagBlock, "select": tagBlock,
	"button": tagBlock, "iframe": tagDrop, "object": tagDrop, "svg": tagDrop, "math": tagDrop,
}

func atomOf(name []byte) tag { return tags[string(name)] } // no allocation: map lookup of string(bytes)

func atomOfString(name string) tag { return tags[name] }

// elemAttrs holds the attributes of one element that htmltext reads.
type elemAttrs struct {
	href, title, alt, value, typ string
	hasHref                      bool
}

// set records attribute k with value v (bytes that the tokenizer reuses).
func (ea *elemAttrs) set(k, v []byte) {
	switch string(k) {
	case "href", "title", "alt", "value", "type":
		ea.setString(string(k), string(v))
	}
}

// setString records attribute k with value v unless k was already seen:
// the first of duplicate attributes wins, as in the HTML tree.
func (ea *elemAttrs) setString(k, v string) {
	var dst *string
	switch k {
	case "href":
		if ea.hasHref {
			return
		}
		ea.hasHref = true
		dst = &ea.href
	case "title":
		dst = &ea.title
	case "alt":
		dst = &ea.alt
	case "value":
		dst = &ea.value
	case "type":
		dst = &ea.typ
	default:
		return
	}
	if *dst == "" {
		*dst = v
	}
}

// readable keeps the attribute values of element elem that a reader sees
// although they are not text: any element's title, the alt text of an
// image, an image map area or an image button, and the value of an input
// field other than a hidden one or a password.
func (b *builder) readable(elem string, ea *elemAttrs) {
	b.attr(vigil.AttrTitle, ea.title)
	if elem == "img" || elem == "area" || elem == "input" {
		b.attr(vigil.AttrAlt, ea.alt)
	}
	if elem == "input" && !strings.EqualFold(ea.typ, "hidden") && !strings.EqualFold(ea.typ, "password") {
		b.attr(vigil.AttrValue, ea.value)
	}
}

// attr keeps one attribute value, once per page, trimmed and with its
// white space collapsed; empty and overlong values are not kept.
func (b *builder) attr(name, v string) {
	if len(v) > maxAttrValue || len(b.attrs) >= b.maxAttrs {
		return
	}
	v = vigil.CleanText(v)
	if v == "" {
		return
	}
	k := name + "\x00" + v
	if b.attrSeen == nil {
		b.attrSeen = make(map[string]struct{})
	}
	if _, dup := b.attrSeen[k]; dup {
		return
	}
	b.attrSeen[k] = struct{}{}
	b.attrs = append(b.attrs, vigil.PageAttr{Name: name, Value: v})
}

// builder accumulates the text, title, links and readable attribute values
// of one page.
type builder struct {
	maxText, maxLinks int
	maxAttrs          int
	base              *url.URL
	buf               []byte
	title             []byte
	links             []string
	seen              map[string]struct{}
	attrs             []vigil.PageAttr
	attrSeen          map[string]struct{}
	space             bool // a collapsed space is pending
	pre               int  // depth inside pre/textarea
	inTitle           bool
	full              bool // text cap reached
	hasTitle          bool
	url               string
}

func (ps Parser) newBuilder(baseURL string) *builder {
	b := &builder{
		maxText:  orDefault(ps.MaxText, DefaultMaxText),
		maxLinks: orDefault(ps.MaxLinks, DefaultMaxLinks),
		maxAttrs: orDefault(ps.MaxAttrs, DefaultMaxAttrs),
		url:      baseURL,
	}
	if u, err := url.Parse(baseURL); err == nil && u.IsAbs() {
		b.base = u
	}
	return b
}

func (b *builder) page() *vigil.Page {
	b.newline()
	return &vigil.Page{
		URL:   b.url,
		Title: strings.TrimSpace(string(b.title)),
		Text:  string(b.buf),
		Links: b.links,
		Attrs: b.attrs,
	}
}

func (b *builder) start(a tag, href string, hasHref bool) {
	switch a {
	case tagBlock:
		b.newline()
	case tagCell:
		b.sep('\t')
	case tagBreak:
		b.put('\n')
	case tagPre:
		b.newline()
		b.pre++
	case tagTitle:
		b.inTitle = true
	case tagLink:
		if hasHref {
			b.link(href)
		}
	case tagBase:
		if hasHref && b.base != nil {
			if u, err := b.base.Parse(strings.TrimSpace(href)); err == nil && u.IsAbs() {
				b.base = u
			}
		}
	}
}

func (b *builder) end(a tag) {
	switch a {
	case tagBlock:
		b.newline()
	case tagPre:
		b.newline()
		if b.pre > 0 {
			b.pre--
		}
	case tagTitle:
		if b.inTitle {
			b.inTitle = false
			b.hasTitle = true
		}
	}
}

// link records href, resolved against the base URL when it is relative.
// Links with a scheme (mailto:, tel:, http:, ...) are kept as written.
func (b *builder) link(href string) {
	href = strings.TrimSpace(href)
	if href == "" || href[0] == '#' || len(b.links) >= b.maxLinks {
		return
	}
	if b.base != nil && !hasScheme(href) {
		if u, err := b.base.Parse(href); err == nil {
			href = u.String()
		}
	}
	if b.seen == nil {
		b.seen = make(map[string]struct{})
	}
	if _, dup := b.seen[href]; dup {
		return
	}
	b.seen[href] = struct{}{}
	b.links = append(b.links, href)
}

// hasScheme reports whether s starts with a URL scheme ("mailto:", "http:").
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':':
			return i > 0
		default:
			return false
		}
	}
	return false
}

func (b *builder) titleText(s []byte) {
	if b.hasTitle || len(b.title) > 1024 {
		return
	}
	for _, c := range s {
		if isSpace(c) {
			c = ' '
		}
		b.title = append(b.title, c)
	}
	b.title = collapseASCII(b.title)
}

func collapseASCII(s []byte) []byte {
	out := s[:0]
	prev := byte(' ')
	for _, c := range s {
		if c == ' ' && prev == ' ' {
			continue
		}
		out = append(out, c)
		prev = c
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' }

// text appends the visible text s, collapsing white space outside <pre>.
func (b *builder) text(s []byte) { appendText(b, s) }

func appendText[T string | []byte](b *builder, s T) {
	if b.inTitle {
		b.titleText([]byte(s))
		return
	}
	for i := 0; i < len(s) && !b.full; i++ {
		c := s[i]
		if c == 0xC2 && i+1 < len(s) && s[i+1] == 0xA0 { // U+00A0 NO-BREAK SPACE
			c = ' '
			i++
		}
		if b.pre > 0 {
			if c == '\r' || c == '\f' || c == '\t' {
				c = ' '
			}
			if c == '\n' || c == ' ' {
				b.space = false
				b.put(c)
				continue
			}
		} else if isSpace(c) {
			b.space = true
			continue
		}
		if b.space {
			b.space = false
			if n := len(b.buf); n > 0 && b.buf[n-1] != '\n' && b.buf[n-1] != ' ' && b.buf[n-1] != '\t' {
				b.put(' ')
			}
		}
		b.put(c)
	}
}

// newline ends the current line unless it is already ended.
func (b *builder) newline() {
	b.space = false
	if n := len(b.buf); n > 0 && b.buf[n-1] != '\n' {
		if b.buf[n-1] == ' ' || b.buf[n-1] == '\t' {
			b.buf = b.buf[:n-1]
		}
		b.put('\n')
	}
}

// sep writes c between inline runs (table cells) unless a line just ended.
func (b *builder) sep(c byte) {
	b.space = false
	if n := len(b.buf); n > 0 && b.buf[n-1] != '\n' && b.buf[n-1] != c {
		if b.buf[n-1] == ' ' {
			b.buf = b.buf[:n-1]
		}
		b.put(c)
	}
}

func (b *builder) put(c byte) {
	if b.full {
		return
	}
	if len(b.buf) >= b.maxText {
		b.full = true
		// Drop a trailing partial UTF-8 sequence.
		n := len(b.buf)
		for i := n - 1; i >= 0 && i >= n-utf8.UTFMax; i-- {
			if utf8.RuneStart(b.buf[i]) {
				if !utf8.FullRune(b.buf[i:]) {
					b.buf = b.buf[:i]
				}
				break
			}
		}
		return
	}
	if b.buf == nil {
		b.buf = make([]byte, 0, 4096)
	}
	b.buf = append(b.buf, c)
}
