package templates

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Currencies are the ISO 4217 (and de-facto crypto) codes a price parses to.
var Currencies = []string{"USD", "EUR", "GBP", "BTC", "XMR"}

// Price is a parsed price: a decimal amount as written but without grouping
// ("1200.50", "0.0021") and a currency code from Currencies.
type Price struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// currencyWords maps currency marks, lower-case, to codes. Symbols may touch
// the number ("$45"); words and codes must stand apart from letters.
var currencyWords = map[string]string{
	"usd": "USD", "us$": "USD", "$": "USD", "dollars": "USD",
	"eur": "EUR", "€": "EUR", "euro": "EUR", "euros": "EUR",
	"gbp": "GBP", "£": "GBP",
	"btc": "BTC", "xbt": "BTC", "₿": "BTC", "bitcoin": "BTC",
	"xmr": "XMR", "ɱ": "XMR", "monero": "XMR",
}

// ParsePrice finds the first price in s: a number with a currency mark right
// before or after it (spaces allowed between), as in "$1,200.50", "€ 45",
// "0.0021 BTC", "45 USD", "1.200,50 €". When s has no number with a mark and
// def is a currency code, the first number of s is taken in def. Grouping
// marks (",", ".", "'", spaces) are dropped: a "." is a decimal point unless
// it repeats or a "," follows it, and a lone "," is a decimal comma unless
// exactly three digits follow it.
func ParsePrice(s, def string) (Price, bool) {
	nums := scanNumbers(s, 16)
	for _, n := range nums {
		if c := currencyBefore(s[:n.start]); c != "" {
			return Price{Amount: n.value, Currency: c}, true
		}
		if c := currencyAfter(s[n.end:]); c != "" {
			return Price{Amount: n.value, Currency: c}, true
		}
	}
	if def != "" && len(nums) > 0 {
		return Price{Amount: nums[0].value, Currency: def}, true
	}
	return Price{}, false
}

func currencyBefore(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	i := len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if unicode.IsSpace(r) || unicode.IsDigit(r) {
			break
		}
		i -= size
		if c, ok := currencyWords[strings.ToLower(s[i:])]; ok && wordEdge(s[:i], s[i:]) {
			return c
		}
		if len(s)-i > 8 {
			break
		}
	}
	return ""
}

func currencyAfter(s string) string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) || unicode.IsDigit(r) {
			break
		}
		i += size
		if c, ok := currencyWords[strings.ToLower(s[:i])]; ok {
			next, _ := utf8.DecodeRuneInString(s[i:])
			if !isLetter(next) || !isLetter(lastRune(s[:i])) {
				return c
			}
		}
		if i > 8 {
			break
		}
	}
	return ""
}

// wordEdge reports whether a mark ending in a letter starts at a word edge.
func wordEdge(before, mark string) bool {
	first, _ := utf8.DecodeRuneInString(mark)
	return !isLetter(first) || !isLetter(lastRune(before))
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func isLetter(r rune) bool { return r != utf8.RuneError && unicode.IsLetter(r) }

// number is one number found in a text: its byte span and its value as a
// decimal without grouping.
type number struct {
	start, end int
	value      string
	integral   bool
}

// scanNumbers returns up to max numbers of s in order.
func scanNumbers(s string, max int) []number {
	var out []number
	for i := 0; i < len(s) && len(out) < max; {
		if !isDigit(s[i]) || (i > 0 && (isDigit(s[i-1]) || isAlnumByte(s[i-1]))) {
			i++
			continue
		}
		n := scanNumber(s, i)
		out = append(out, n)
		i = n.end
	}
	return out
}

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isAlnumByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func digitsAt(s string, i int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j - i
}

// scanNumber reads the number starting at s[i] (a digit): digit groups
// joined by single separators.
func scanNumber(s string, i int) number {
	start := i
	var groups []string
	var seps []string
	d := digitsAt(s, i)
	groups = append(groups, s[i:i+d])
	i += d
	for i < len(s) {
		sep, size := separatorAt(s, i)
		if size == 0 {
			break
		}
		d := digitsAt(s, i+size)
		if d == 0 {
			break
		}
		// A space or apostrophe only groups thousands.
		if sep == " " || sep == "'" {
			if d != 3 {
				break
			}
		}
		seps = append(seps, sep)
		groups = append(groups, s[i+size:i+size+d])
		i += size + d
	}
	intPart, frac := interpret(groups, seps)
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	v := intPart
	if frac != "" {
		v += "." + frac
	}
	return number{start: start, end: i, value: v, integral: frac == ""}
}

// separatorAt returns the grouping or decimal mark at s[i], normalised to
// ".", ",", "'" or " ", and its size in bytes.
func separatorAt(s string, i int) (string, int) {
	switch s[i] {
	case '.', ',', '\'':
		return s[i : i+1], 1
	case ' ':
		return " ", 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '\u00a0', '\u202f', '\u2009': // no-break, narrow no-break and thin spaces
		return " ", size
	case '\u2019': // right single quotation mark, a Swiss grouping mark
		return "'", size
	}
	return "", 0
}

// interpret splits digit groups into the integer and fraction digits.
func interpret(groups, seps []string) (string, string) {
	if len(seps) == 0 {
		return groups[0], ""
	}
	last := seps[len(seps)-1]
	count := 0
	for _, s := range seps {
		if s == last {
			count++
		}
	}
	decimal := false
	switch last {
	case ".":
		decimal = count == 1
	case ",":
		mixed := false
		for _, s := range seps {
			mixed = mixed || s == "."
		}
		decimal = count == 1 && (mixed || len(groups[len(groups)-1]) != 3)
	}
	if !decimal {
		return strings.Join(groups, ""), ""
	}
	return strings.Join(groups[:len(groups)-1], ""), groups[len(groups)-1]
}

// parseInt is the first number of s when it is a whole number.
func parseInt(s string) (string, bool) {
	ns := scanNumbers(s, 1)
	if len(ns) == 0 || !ns[0].integral {
		return "", false
	}
	return ns[0].value, true
}

// parseNumber is the first number of s.
func parseNumber(s string) (string, bool) {
	ns := scanNumbers(s, 1)
	if len(ns) == 0 {
		return "", false
	}
	return ns[0].value, true
}

// defaultLayouts are tried, in order, when a time field names no layout.
var defaultLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"02.01.2006 15:04",
	"02.01.2006",
	"Jan 2, 2006 15:04",
	"Jan 2, 2006",
	"January 2, 2006",
	"2 Jan 2006 15:04",
	"2 Jan 2006",
	"2 January 2006",
	time.RFC1123Z,
	time.RFC1123,
}

// parseTime parses s with the first layout that accepts it; times without a
// zone are UTC. The result is RFC 3339 in UTC.
func parseTime(s string, layouts []string) (string, bool) {
	if layouts == nil {
		layouts = defaultLayouts
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Format(time.RFC3339), true
		}
	}
	return "", false
}

// text is the visible text of n: script, style and template contents are
// dropped, block elements and <br> break lines, and runs of white space
// within a line collapse to one space. It stops after MaxFieldBytes.
func text(n *html.Node) string {
	var b strings.Builder
	pendingSpace, pendingLine := false, false
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if b.Len() > MaxFieldBytes {
			return
		}
		switch n.Type {
		case html.TextNode:
			data := n.Data
			if r, _ := utf8.DecodeRuneInString(data); unicode.IsSpace(r) {
				pendingSpace = true
			}
			for i, w := range strings.FieldsFunc(data, unicode.IsSpace) {
				if b.Len() > 0 {
					switch {
					case pendingLine:
						b.WriteByte('\n')
					case pendingSpace || i > 0:
						b.WriteByte(' ')
					}
				}
				pendingSpace, pendingLine = false, false
				b.WriteString(w)
			}
			if data != "" && unicode.IsSpace(lastRune(data)) {
				pendingSpace = true
			}
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Noscript:
				return
			case atom.Br:
				pendingLine = true
				return
			}
		case html.CommentNode, html.DoctypeNode:
			return
		}
		block := n.Type == html.ElementNode && isBlock(n.DataAtom)
		if block {
			pendingLine = true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			pendingLine = true
		}
	}
	walk(n)
	return capBytes(b.String())
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Dd, atom.Div, atom.Dl, atom.Dt,
		atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Header, atom.Hr, atom.Li, atom.Main, atom.Nav, atom.Ol, atom.P,
		atom.Pre, atom.Section, atom.Table, atom.Tbody, atom.Td, atom.Th, atom.Thead, atom.Tr, atom.Ul:
		return true
	}
	return false
}
