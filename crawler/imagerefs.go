package crawler

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/PuerkitoBio/goquery"
)

// urlRef is one place where HTML names a URL: the elements selector
// matches, and how to read the URLs from one of them.
type urlRef struct {
	selector string
	urls     func(s *goquery.Selection) []string
}

// attr reads one attribute as one URL.
func attr(name string) func(*goquery.Selection) []string {
	return func(s *goquery.Selection) []string {
		if v, ok := s.Attr(name); ok {
			return []string{v}
		}
		return nil
	}
}

// srcsetAttr reads the candidate URLs of a srcset attribute.
func srcsetAttr(s *goquery.Selection) []string {
	v, _ := s.Attr("srcset")
	return parseSrcset(v)
}

// styleURLs reads the url(...) references of a style attribute.
func styleURLs(s *goquery.Selection) []string {
	v, _ := s.Attr("style")
	return parseCSSURLs(v)
}

// imageRefs are the references to images that a page's image path follows
// (Config.FetchImages): what a browser would load, and what a forum or
// market names as the page's picture. Links (<a href>) are followed as
// pages; whichever way a URL is reached, its bytes decide (Classify).
var imageRefs = []urlRef{
	{"img[src]", attr("src")},
	{"img[srcset]", srcsetAttr},
	{"picture source[srcset]", srcsetAttr},
	{"input[type=image][src]", attr("src")},
	{"video[poster]", attr("poster")},
	{"link[href]", func(s *goquery.Selection) []string {
		if rel, _ := s.Attr("rel"); hasToken(rel, "image_src") {
			return attr("href")(s)
		}
		return nil
	}},
	{"meta[content]", func(s *goquery.Selection) []string {
		name, _ := s.Attr("property")
		if name == "" {
			name, _ = s.Attr("name")
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src":
			return attr("content")(s)
		}
		return nil
	}},
	{"[style]", styleURLs},
	{"[background]", attr("background")},
}

// linkRefs are the links a page's crawl follows as pages.
var linkRefs = []urlRef{{"a[href], area[href]", attr("href")}}

// collectRefs returns the in-scope URLs a document names in the places
// refs list, resolved against base and normalised, in the order of refs
// and then of the document, without duplicates.
func collectRefs(doc *goquery.Document, refs []urlRef, base *url.URL, ss *scopeSet) []*url.URL {
	var out []*url.URL
	dup := map[string]bool{}
	for _, ref := range refs {
		doc.Find(ref.selector).Each(func(_ int, s *goquery.Selection) {
			for _, v := range ref.urls(s) {
				u, ok := resolveLink(base, v)
				if !ok || !ss.allowsHost(u) {
					continue
				}
				if k := u.String(); !dup[k] {
					dup[k] = true
					out = append(out, u)
				}
			}
		})
	}
	return out
}

func hasToken(list, token string) bool {
	for _, t := range strings.Fields(list) {
		if strings.EqualFold(t, token) {
			return true
		}
	}
	return false
}

// parseSrcset returns the URLs of the image candidates of a srcset
// attribute, following the HTML standard's parsing: a URL runs to the next
// white space (a comma inside it is part of it), trailing commas end a
// candidate with no descriptors, and descriptors run to the next comma
// outside parentheses.
func parseSrcset(v string) []string {
	var out []string
	i := 0
	for i < len(v) {
		for i < len(v) && (isSpace(v[i]) || v[i] == ',') {
			i++
		}
		start := i
		for i < len(v) && !isSpace(v[i]) {
			i++
		}
		u := v[start:i]
		if u == "" {
			break
		}
		if strings.HasSuffix(u, ",") {
			out = append(out, strings.TrimRight(u, ","))
			continue
		}
		out = append(out, u)
		i = skipDescriptors(v, i)
	}
	return out
}

// skipDescriptors returns the index after the comma that ends the
// descriptors starting at i (commas inside parentheses do not count), or
// len(v).
func skipDescriptors(v string, i int) int {
	depth := 0
	for ; i < len(v); i++ {
		switch c := v[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ',' && depth == 0:
			return i + 1
		}
	}
	return i
}

func isSpace(c byte) bool { return c < 0x80 && unicode.IsSpace(rune(c)) }

// cssURL matches url(...) in CSS: quoted with ' or ", or bare.
var cssURL = regexp.MustCompile(`(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)`)

// parseCSSURLs returns the URLs of the url(...) references in CSS text.
func parseCSSURLs(css string) []string {
	var out []string
	for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
		if u := m[1] + m[2] + m[3]; u != "" {
			out = append(out, u)
		}
	}
	return out
}
