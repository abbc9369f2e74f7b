// Package contacts finds contact identifiers in a page's visible text, its
// links and the attribute values a reader sees (titles, alt texts, text
// fields): e-mail addresses, phone numbers, messenger handles,
// cryptocurrency addresses, onion services and PGP keys, normalised as
// DESIGN.md §4 says.
//
// Extraction is a few linear byte scans that look for cheap anchors ('@',
// digits, ".onion", alphanumeric runs of address length, keywords) and run the
// expensive checks (phone metadata, checksums) only on the candidates found
// there. The scans read the text folded (see fold): invisible format
// characters dropped, non-ASCII digits as ASCII; offsets and snippets refer
// to the text as given. Every value with a checksum is validated: an address
// with one wrong character is not a finding. Labels, keywords and reference
// words are known in the languages of the pages crawled (English, the main
// European languages, Russian, Ukrainian, Turkish, Arabic, Vietnamese, Thai,
// Chinese and Japanese).
package contacts

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"vigil"
)

// Config configures an Extractor. Its zero value works.
type Config struct {
	// Region is the ISO 3166 region used for phone numbers written without a
	// country code; empty means "US".
	Region string
}

// Extractor finds contacts in pages. It is safe for concurrent use.
type Extractor struct {
	region string
}

var _ vigil.Extractor = (*Extractor)(nil)

// New returns an Extractor configured by cfg.
func New(cfg Config) *Extractor {
	r := strings.ToUpper(strings.TrimSpace(cfg.Region))
	if r == "" {
		r = "US"
	}
	return &Extractor{region: r}
}

// snippetContext is the number of bytes of text kept on each side of a match.
const snippetContext = 40

// Extract returns the contacts in p: first those found in p.Text, ordered by
// byte offset, then those found only in p.Links (Offset -1, the link as
// snippet, Attr "href"), then those found only in p.Attrs (Offset -1, the
// value as snippet, Attr the attribute's name). Findings with the same kind,
// value and offset are reported once. Only Kind, Value, Offset, Snippet and
// Attr are filled.
func (e *Extractor) Extract(p *vigil.Page) []vigil.Finding {
	if p == nil {
		return nil
	}
	c := newCollector(e, p.Text)
	c.pgp()
	c.emails()
	c.phones()
	c.onions()
	c.words()
	c.runs()
	slices.SortStableFunc(c.out, func(a, b vigil.Finding) int {
		if a.Offset != b.Offset {
			return cmp.Compare(a.Offset, b.Offset)
		}
		if a.Kind != b.Kind {
			return cmp.Compare(a.Kind, b.Kind)
		}
		return cmp.Compare(a.Value, b.Value)
	})
	c.links(p.Links)
	c.attrs(p.Attrs)
	return c.out
}

type key struct {
	kind   vigil.Kind
	value  string
	offset int
}

type span struct{ start, end int }

// collector gathers the findings of one page.
type collector struct {
	e       *Extractor
	orig    string // the text as given; offsets and snippets refer to it
	text    string // orig folded (see fold)
	omap    []int  // offsets in text to offsets in orig; nil when text == orig
	lower   string // text with ASCII letters lowered; same byte offsets
	out     []vigil.Finding
	seen    map[key]struct{}
	claimed []span // text already read as something else (PGP blocks)
}

func newCollector(e *Extractor, text string) *collector {
	f, omap := fold(text)
	return &collector{e: e, orig: text, text: f, omap: omap, lower: lowerASCII(f)}
}

// add records a finding of kind with value for text[start:end].
func (c *collector) add(kind vigil.Kind, value string, start, end int) {
	if c.omap != nil {
		start, end = c.omap[start], c.omap[end]
	}
	k := key{kind, value, start}
	if c.seen == nil {
		c.seen = make(map[key]struct{})
	}
	if _, dup := c.seen[k]; dup {
		return
	}
	c.seen[k] = struct{}{}
	c.out = append(c.out, vigil.Finding{Kind: kind, Value: value, Offset: start, Snippet: snippet(c.orig, start, end)})
}

// addOutside records a finding read outside the text, from a link or an
// attribute named attr whose value is src, unless the same kind and value
// was already found.
func (c *collector) addOutside(kind vigil.Kind, value, attr, src string) {
	for _, f := range c.out {
		if f.Kind == kind && f.Value == value {
			return
		}
	}
	c.out = append(c.out, vigil.Finding{Kind: kind, Value: value, Offset: -1, Snippet: clip(src, 2*snippetContext+40), Attr: attr})
}

func (c *collector) isClaimed(i int) bool {
	for _, s := range c.claimed {
		if i >= s.start && i < s.end {
			return true
		}
	}
	return false
}

// snippet returns the text around text[start:end] as vigil.CleanText shows
// it (white space collapsed), cut at rune boundaries and at most 40 bytes
// of a long match.
func snippet(text string, start, end int) string {
	lo := max(0, start-snippetContext)
	if end-start > 2*snippetContext {
		end = start + 2*snippetContext
	}
	hi := min(len(text), end+snippetContext)
	for lo > 0 && !utf8.RuneStart(text[lo]) {
		lo--
	}
	for hi < len(text) && !utf8.RuneStart(text[hi]) {
		hi++
	}
	return vigil.CleanText(text[lo:hi])
}

func clip(s string, n int) string {
	if len(s) <= n {
		return vigil.CleanText(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return vigil.CleanText(s[:n])
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Character classes for the byte scans.
const (
	cDigit = 1 << iota
	cLower
	cUpper
	cLocal  // e-mail local part
	cDomain // e-mail domain
	cHex
	cB58
	cB32 // onion base32, lower-case
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var v uint8
		switch {
		case c >= '0' && c <= '9':
			v = cDigit | cLocal | cDomain | cHex
		case c >= 'a' && c <= 'z':
			v = cLower | cLocal | cDomain
		case c >= 'A' && c <= 'Z':
			v = cUpper | cLocal | cDomain
		}
		if strings.IndexByte("._%+-", byte(c)) >= 0 {
			v |= cLocal
		}
		if c == '.' || c == '-' {
			v |= cDomain
		}
		if strings.IndexByte("abcdefABCDEF", byte(c)) >= 0 {
			v |= cHex
		}
		if strings.IndexByte("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", byte(c)) >= 0 {
			v |= cB58
		}
		if c >= 'a' && c <= 'z' || c >= '2' && c <= '7' {
			v |= cB32
		}
		class[c] = v
	}
}

func isDigit(c byte) bool  { return class[c]&cDigit != 0 }
func isAlnum(c byte) bool  { return class[c]&(cDigit|cLower|cUpper) != 0 }
func isLetter(c byte) bool { return class[c]&(cLower|cUpper) != 0 }
func isHex(c byte) bool    { return class[c]&cHex != 0 }

// wordBefore reports whether the byte before i is not a letter or digit.
func boundaryBefore(s string, i int) bool { return i == 0 || !isAlnum(s[i-1]) }
func boundaryAfter(s string, i int) bool  { return i >= len(s) || !isAlnum(s[i]) }

// lineStart returns the index of the first byte of the line holding i.
func lineStart(s string, i int) int {
	return strings.LastIndexByte(s[:i], '\n') + 1
}
