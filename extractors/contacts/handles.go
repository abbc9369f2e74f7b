package contacts

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"vigil"
)

// handleRule describes a messenger handle: the keywords that introduce it in
// prose and the grammar of a valid handle.
type handleRule struct {
	kind     vigil.Kind
	keywords []string
	valid    func(string) bool
	atOnly   bool // the keyword is ambiguous: the handle must be written with '@'
}

var handleRules = []handleRule{
	{vigil.KindTelegram, []string{"telegram", "tg", "telega", "tlgrm", "✈", "телеграм", "Телеграм", "ТЕЛЕГРАМ", "телега", "Телега",
		"тг", "ТГ", "Тг", "تيليجرام", "تلغرام", "تليجرام", "تيليغرام", "เทเลแกรม", "电报", "飞机", "テレグラム"}, validTelegram, false},
	{vigil.KindWickr, []string{"wickr me", "wickrme", "wickr"}, func(s string) bool { return handleOK(s, 3, 32, "_.-") }, false},
	{vigil.KindDiscord, []string{"discord"}, validDiscord, false},
	{vigil.KindSnapchat, []string{"snapchat", "snap"}, func(s string) bool { return handleOK(s, 3, 15, "_.-") }, false},
	{vigil.KindKik, []string{"kik me", "kik"}, func(s string) bool { return handleOK(s, 2, 20, "_.") }, false},
	{vigil.KindWeChat, []string{"wechat", "we chat", "weixin", "微信", "微信号"}, func(s string) bool { return handleOK(s, 6, 20, "_-") }, false},
	{vigil.KindSignal, []string{"signal"}, validSignalUsername, false},
	{vigil.KindTelegram, []string{"tele"}, validTelegram, true}, // "Tele: @name"; "Tele: 0151..." is a phone
}

// wordEntry is a word that starts a handle, messenger URL or printed
// fingerprint, and what to do after it.
type wordEntry struct {
	word string
	run  func(c *collector, start, end int)
}

// wordsByFirst indexes the words by their first byte.
var wordsByFirst [256][]wordEntry

func init() {
	addWord := func(w string, f func(c *collector, start, end int)) {
		wordsByFirst[w[0]] = append(wordsByFirst[w[0]], wordEntry{w, f})
	}
	for _, r := range handleRules {
		for _, kw := range r.keywords {
			addWord(kw, func(c *collector, _, end int) { c.keywordHandle(r, end) })
		}
	}
	for _, p := range urlPrefixes {
		addWord(p.prefix, func(c *collector, start, end int) { c.urlHandle(p.kind, start, end) })
	}
	addWord("pub ", func(c *collector, start, end int) { c.gpgListing(start, end) })
	for _, kw := range []string{"fingerprint", "fpr", "pgp", "gpg"} {
		addWord(kw, func(c *collector, start, end int) {
			if !c.isClaimed(start) {
				c.printedFingerprint(end)
			}
		})
	}
}

// words makes one pass over the text and, at each word start, runs the
// entries whose word is there: messenger keywords ("Telegram: @name",
// "Wickr - name"), messenger URLs (t.me/name, wa.me/number) and printed PGP
// fingerprints.
func (c *collector) words() {
	l := c.lower
	for i := 0; i < len(l); i++ {
		es := wordsByFirst[l[i]]
		if es == nil || i > 0 && (l[i-1] == '-' || l[i-1] == '_' || wordRuneBefore(c.text, i)) {
			continue
		}
		for _, e := range es {
			if strings.HasPrefix(l[i:], e.word) {
				e.run(c, i, i+len(e.word))
			}
		}
	}
}

// keywordHandle reads a handle after a keyword that ends at i: optional
// label words ("id", "username"), a parenthesised aside ("(main)"),
// separators, then the handle with or without '@'. Without '@' a label
// word or a separator that points at the handle (":", "=", "-", "|", ">",
// a dash, an arrow, a pointing hand) must come first, so that prose does
// not count.
func (c *collector) keywordHandle(r handleRule, i int) {
	l := c.lower
	if wordRuneAt(c.text, i) {
		return // "telegrams", "snapshot", "тгк"
	}
	j, strong := handleSeparators(c.text, l, i)
	at := j < len(l) && l[j] == '@'
	if at {
		j++
	}
	if !at && (!strong || r.atOnly) {
		return
	}
	hs := j
	for j < len(l) && (isAlnum(l[j]) || l[j] == '_' || l[j] == '.' || l[j] == '-' || l[j] == '#') && j-hs < 40 {
		j++
	}
	for j > hs && (l[j-1] == '.' || l[j-1] == '-') {
		j-- // sentence punctuation
	}
	h := l[hs:j]
	if h == "" || j < len(l) && l[j] == '@' || wordRuneAt(c.text, j) || !at && (stopwords[h] || handleStopwords[h]) {
		return
	}
	if (r.kind == vigil.KindDiscord || !strings.Contains(h, "#")) && r.valid(h) {
		start := hs
		if at {
			start--
		}
		c.add(r.kind, h, start, j)
	}
}

// labelWords may follow a messenger keyword; those before " name" name
// the handle that follows, as a colon would.
var labelWords = []string{" username", " user name", " user", " handle", " id", " name", " me", " contact"}

// handleSeparators skips what may stand between a messenger keyword ending
// at i and its handle, at most 32 bytes: label words, one parenthesised
// aside ("(main)", "(24/7)"), spaces, and separators. It returns where the
// handle may start and whether a label word or a pointing separator was
// seen.
func handleSeparators(t, l string, i int) (int, bool) {
	strong := false
	for _, w := range labelWords {
		if strings.HasPrefix(l[i:], w) && !wordRuneAt(t, i+len(w)) {
			i += len(w)
			strong = w != " name" && w != " me" && w != " contact"
			break
		}
	}
	aside := false
	for j := i; j < len(l) && j-i < 32; {
		switch ch := l[j]; {
		case ch == ' ' || ch == '\t':
			j++
		case ch == ':' || ch == '=' || ch == '-' || ch == '|' || ch == '>':
			strong = true
			j++
		case ch == '(' && !aside:
			if j+1 < len(l) && l[j+1] == '@' {
				return j + 1, strong // "Telegram (@name)"
			}
			k := j + 1
			for k < len(l) && k-j < 32 && l[k] != ')' && l[k] != '(' && l[k] != '@' && l[k] != '\n' {
				k++
			}
			if k == len(l) || l[k] != ')' {
				return j, strong
			}
			aside, j = true, k+1
		case ch >= 0x80:
			r, n := utf8.DecodeRuneInString(t[j:])
			if !pointer(r) {
				return j, strong
			}
			strong = true
			j += n
		default:
			return j, strong
		}
	}
	return i, false
}

// pointer reports a character that people put between a label and its
// value: dashes, guillemets and quotes, arrows (the Unicode arrow blocks,
// dingbat arrows, pointing hands), the full-width colon, and the variation
// selector that follows an emoji. Decorative emoji ("Discord 🎮 gaming")
// are not pointers.
func pointer(r rune) bool {
	switch {
	case r == '：' || r == '\uFE0F' || r == '☞' || r == '⇢':
		return true
	case r >= 0x2190 && r <= 0x21FF, r >= 0x27F0 && r <= 0x27FF, r >= 0x2900 && r <= 0x297F, r >= 0x2B00 && r <= 0x2B11,
		r >= 0x2794 && r <= 0x27BF, r >= 0x1F446 && r <= 0x1F449, r >= 0x1F800 && r <= 0x1F8FF:
		return true
	}
	return unicode.In(r, unicode.Pd, unicode.Pi, unicode.Pf)
}

// wordRuneAt reports whether t[i:] starts with a letter or digit of a
// script written with spaces between words (Latin, Cyrillic, Arabic, ...):
// a keyword or handle that runs into one is part of a longer word. Han,
// kana, Thai and Hangul run on without spaces and do not count.
func wordRuneAt(t string, i int) bool {
	if i >= len(t) {
		return false
	}
	if t[i] < 0x80 {
		return isAlnum(t[i])
	}
	r, _ := utf8.DecodeRuneInString(t[i:])
	return wordRune(r)
}

// wordRuneBefore is wordRuneAt for the character that ends at t[i].
func wordRuneBefore(t string, i int) bool {
	if i <= 0 {
		return false
	}
	if t[i-1] < 0x80 {
		return isAlnum(t[i-1])
	}
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return wordRune(r)
}

func wordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Hangul)
}

var handleStopwords = map[string]bool{
	"preferred": true, "please": true, "message": true, "channel": true, "group": true,
	"contact": true, "available": true, "private": true, "request": true, "upon": true,
	"dm": true, "pm": true, "same": true, "above": true, "below": true, "ask": true,
	"username": true, "handle": true, "none": true, "soon": true, "inbox": true,
}

// handleOK reports whether s is min..max characters of letters, digits and
// extra, starting with a letter.
func handleOK(s string, minLen, maxLen int, extra string) bool {
	if len(s) < minLen || len(s) > maxLen || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && strings.IndexByte(extra, s[i]) < 0 {
			return false
		}
	}
	return true
}

// validTelegram checks a Telegram username: 5-32 of [a-z0-9_], starting
// with a letter, not ending with '_'.
func validTelegram(s string) bool {
	return handleOK(s, 5, 32, "_") && s[len(s)-1] != '_' && !telegramReserved[s]
}

var telegramReserved = map[string]bool{
	"joinchat": true, "addstickers": true, "addemoji": true, "share": true, "proxy": true,
	"socks": true, "login": true, "setlanguage": true, "addtheme": true, "confirmphone": true,
	"invoice": true, "addlist": true, "boost": true, "telegram": true,
}

// validDiscord accepts a new-style username ([a-z0-9_.], 2-32, no "..") or a
// legacy "name#1234".
func validDiscord(s string) bool {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		d := s[i+1:]
		if len(d) != 4 || i < 2 || i > 32 {
			return false
		}
		for k := 0; k < 4; k++ {
			if !isDigit(d[k]) {
				return false
			}
		}
		return true
	}
	return handleOK(s, 2, 32, "_.") && !strings.Contains(s, "..") && s != "server"
}

// validSignalUsername checks a Signal username: a nickname of 3-32 of
// [a-z0-9_] starting with a letter, a dot, and two or more digits.
func validSignalUsername(s string) bool {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || len(s)-i-1 < 2 || len(s)-i-1 > 9 || !handleOK(s[:i], 3, 32, "_") {
		return false
	}
	for k := i + 1; k < len(s); k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// urlPrefixes maps messenger URL prefixes to the kind of handle in their
// first path segment.
var urlPrefixes = []struct {
	prefix string
	kind   vigil.Kind
}{
	{"t.me/", vigil.KindTelegram},
	{"telegram.me/", vigil.KindTelegram},
	{"telegram.dog/", vigil.KindTelegram},
	{"tg://resolve?domain=", vigil.KindTelegram},
	{"snapchat.com/add/", vigil.KindSnapchat},
	{"kik.me/", vigil.KindKik},
	{"wa.me/", vigil.KindWhatsApp},
	{"api.whatsapp.com/send?phone=", vigil.KindWhatsApp},
	{"whatsapp.com/send?phone=", vigil.KindWhatsApp},
	{"signal.me/#p/", vigil.KindSignal},
}

// urlHandle reads the handle in a messenger URL whose prefix is
// l[i:off] (t.me/name, kik.me/name, wa.me/number, ...).
func (c *collector) urlHandle(kind vigil.Kind, i, off int) {
	l := c.lower
	s := off
	if kind == vigil.KindTelegram && strings.HasPrefix(l[s:], "s/") {
		s += 2
	}
	e := s
	for e < len(l) && (isAlnum(l[e]) || l[e] == '_' || l[e] == '.' || l[e] == '-') && e-s < 40 {
		e++
	}
	for e > s && (l[e-1] == '.' || l[e-1] == '-') {
		e--
	}
	h := l[s:e]
	ok := false
	switch kind {
	case vigil.KindTelegram:
		ok = validTelegram(h)
	case vigil.KindSnapchat:
		ok = handleOK(h, 3, 15, "_.-")
	case vigil.KindKik:
		ok = handleOK(h, 2, 20, "_.")
	case vigil.KindWhatsApp, vigil.KindSignal:
		// The number is international, with or without '+'.
		if v, pe, vok := c.urlPhone(s); vok {
			c.add(vigil.KindPhone, v, i, pe)
			c.add(kind, v, i, pe)
		}
		return
	}
	if ok {
		c.add(kind, h, i, e)
	}
}

// urlPhone reads the international number at l[s:] ("+1415...", "1415...")
// and returns its E.164 form and end.
func (c *collector) urlPhone(s int) (string, int, bool) {
	l := c.lower
	if s < len(l) && l[s] == '+' {
		s++
	}
	d := s
	for d < len(l) && isDigit(l[d]) {
		d++
	}
	if d-s < minPhoneDigits || d-s > maxPhoneDigits || d < len(l) && isAlnum(l[d]) {
		return "", 0, false
	}
	num, err := phonenumbers.Parse("+"+l[s:d], c.e.region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", 0, false
	}
	return phonenumbers.Format(num, phonenumbers.E164), d, true
}

// links adds the contacts in p.Links that the text did not already show:
// mailto: and tel: links, messenger URLs, onion hosts and addresses in URLs.
func (c *collector) links(links []string) {
	for _, link := range links {
		s := link
		if strings.IndexByte(s, '%') >= 0 {
			if u, err := url.PathUnescape(s); err == nil {
				s = u
			}
		}
		if len(s) > 2048 {
			continue
		}
		if strings.HasPrefix(strings.ToLower(s[:min(len(s), 7)]), "mailto:") {
			if q := strings.IndexByte(s, '?'); q >= 0 {
				s = s[:q]
			}
		}
		c.outside(s, vigil.AttrHref, link)
	}
}

// attrs adds the contacts in the attribute values a reader sees that the
// text and the links did not already show.
func (c *collector) attrs(attrs []vigil.PageAttr) {
	for _, a := range attrs {
		c.outside(a.Value, a.Name, a.Value)
	}
}

// outside reads s, text from outside the page text (a link as src, or an
// attribute value), with every scan and adds what it finds under attr.
func (c *collector) outside(s, attr, src string) {
	sub := newCollector(c.e, s)
	sub.pgp()
	sub.emails()
	sub.phones()
	sub.onions()
	sub.runs()
	sub.words()
	for _, f := range sub.out {
		c.addOutside(f.Kind, f.Value, attr, src)
	}
}
