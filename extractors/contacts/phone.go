package contacts

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"vigil"
)

// Phone candidates: at most this many digits (more with an international
// prefix "00"/"011") and this many bytes.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
	maxPhoneBytes  = 32
)

// phones finds phone numbers: runs of digit groups with the separators people
// use, checked against phone metadata for the number's country (or the
// configured region), and not dates, IP addresses, versions, prices or
// order numbers. A number after a WhatsApp or Signal keyword is also a
// finding of that kind.
func (c *collector) phones() {
	t := c.text
	prevEnd := 0
	for i := 0; i < len(t); {
		ch := t[i]
		if !isDigit(ch) && ch != '+' && ch != '(' {
			i++
			continue
		}
		end, groups := scanPhone(t, i)
		if groups == nil {
			i++
			continue
		}
		next := i + len(groups[0])
		for next < len(t) && !isDigit(t[next]) && t[next] != '+' && next < end {
			next++
		}
		if value, ok := c.phoneAt(i, end, groups); ok {
			c.add(vigil.KindPhone, value, i, end)
			ws := max(lineStart(t, i), prevEnd, i-48)
			for _, k := range messengerKeywords(c.lower[ws:i]) {
				c.add(k, value, i, end)
			}
			prevEnd = end
			i = end
			continue
		}
		if next <= i {
			next = i + 1
		}
		i = next
	}
}

// scanPhone reads a phone-shaped candidate at t[i:]: an optional '+' or '(',
// then digit groups joined by short runs of " -./()". It returns the end and
// the text of each group (the first group includes a leading "+" or "(").
// It returns nil groups when t[i] cannot start a number.
func scanPhone(t string, i int) (int, []string) {
	// Left boundary: not inside a word, a decimal or a longer token.
	if i > 0 {
		p := t[i-1]
		if isAlnum(p) || p == '_' || p == '+' || p == '$' || p == '#' || p == '@' || p == '%' ||
			(p == '.' || p == ',' || p == '-' || p == '/' || p == ':') && i > 1 && isDigit(t[i-2]) {
			return 0, nil
		}
	}
	j := i
	if t[j] == '+' || t[j] == '(' {
		j++
		if j < len(t) && t[j] == '(' && t[i] == '+' {
			j++
		}
		if j >= len(t) || !isDigit(t[j]) {
			return 0, nil
		}
	}
	var groups []string
	gs := i
	digits := 0
	for j < len(t) && j-i <= maxPhoneBytes {
		k := j
		for k < len(t) && isDigit(t[k]) {
			k++
		}
		digits += k - j
		groups = append(groups, t[gs:k])
		j = k
		// Separator run.
		s := j
		for s < len(t) && s-j < 3 && (t[s] == ' ' || t[s] == '-' || t[s] == '.' || t[s] == '/' || t[s] == '(' || t[s] == ')') {
			s++
		}
		if s == j || s >= len(t) || !isDigit(t[s]) || digits >= maxPhoneDigits+2 {
			break
		}
		gs, j = s, s
	}
	end := j
	if end < len(t) && t[end] == ')' {
		end++ // "(0)" style or a closing parenthesis; harmless to include
		if strings.IndexByte(t[i:end], '(') < 0 {
			end--
		}
	}
	return end, groups
}

// phoneAt validates the candidate t[start:end] and returns its E.164 form.
func (c *collector) phoneAt(start, end int, groups []string) (string, bool) {
	t := c.text
	cand := t[start:end]
	digits := 0
	for i := 0; i < len(cand); i++ {
		if isDigit(cand[i]) {
			digits++
		}
	}
	intl := cand[0] == '+' || strings.HasPrefix(cand, "00") || strings.HasPrefix(cand, "011")
	if digits < minPhoneDigits || digits > maxPhoneDigits+2 || digits > maxPhoneDigits && !intl {
		return "", false
	}
	// Right boundary: not followed by a letter, a digit or a decimal part.
	if end < len(t) {
		n := t[end]
		if isAlnum(n) || n == '@' || n == '%' || n == '_' || (n == ',' || n == '.') && end+1 < len(t) && isDigit(t[end+1]) {
			return "", false
		}
	}
	if looksLikeDateIPOrVersion(groups) || c.moneyOrReference(start, end, cand[0] == '+') || c.inURLPath(start) {
		return "", false
	}
	num, err := phonenumbers.Parse(cand, c.e.region)
	if (err != nil || !phonenumbers.IsValidNumber(num)) && strings.HasPrefix(cand, "00") {
		num, err = phonenumbers.Parse("+"+cand[2:], c.e.region)
	}
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// looksLikeDateIPOrVersion reports dates (2024-01-15, 15.01.2024,
// 01/15/2024), dotted quads and versions (1.2.3, 10.0.19045.2364).
func looksLikeDateIPOrVersion(groups []string) bool {
	n := len(groups)
	if n < 2 || strings.HasPrefix(groups[0], "+") {
		return false
	}
	allDots := true
	for i := 1; i < n; i++ {
		if !strings.HasPrefix(groups[i], ".") {
			allDots = false
		}
	}
	g := make([]string, n)
	for i, s := range groups {
		g[i] = strings.TrimLeft(s, " -./()")
	}
	if n >= 3 {
		a, b, cc := g[0], g[1], g[2]
		if isYear(a) && len(b) <= 2 && len(cc) <= 2 || len(a) <= 2 && len(b) <= 2 && (isYear(cc) || len(cc) == 2 && n == 3) {
			return true
		}
	}
	if allDots {
		short := true
		for _, s := range g {
			if len(s) > 3 {
				short = false
			}
		}
		if short || n >= 4 || len(g[0]) == 1 {
			return true
		}
	}
	return false
}

func isYear(s string) bool {
	return len(s) == 4 && (strings.HasPrefix(s, "19") || strings.HasPrefix(s, "20"))
}

// referenceWords precede numbers that are not phone numbers.
var referenceWords = []string{
	"order", "invoice", "ref", "tracking", "sku", "txid", "tx id", "transaction", "serial",
	"ticket", "item", "lot ", "iban", "account", "acct", "card", "isbn", "zip", "postal",
	"id:", "id #", "id#", "id ", "block", "height", "amount", "total", "price", "btc", "xmr",
	"eth", "usd", "eur", "pid", "uid", "#",
}

var phoneWords = []string{"tel", "phone", "call", "text", "sms", "whatsapp", "signal", "viber", "mob", "cell", "contact", "wa:", "wa "}

// moneyOrReference reports a currency sign or code beside the number, or a
// reference word (order, invoice, ...) shortly before it, unless a phone word
// is closer.
func (c *collector) moneyOrReference(start, end int, intl bool) bool {
	t, l := c.text, c.lower
	b := start - 1
	for b >= 0 && t[b] == ' ' {
		b--
	}
	if b >= 0 && strings.IndexByte("$#€£¥₽₹*", t[b]) >= 0 || b >= 2 && strings.HasSuffix(t[:b+1], "€") {
		return true
	}
	a := end
	for a < len(t) && t[a] == ' ' {
		a++
	}
	for _, s := range []string{"$", "€", "£", "usd", "eur", "gbp", "btc", "xmr", "rub", "руб", "k ", "km", "kg"} {
		if strings.HasPrefix(l[a:], s) {
			return true
		}
	}
	if intl {
		return false
	}
	ws := max(lineStart(l, start), start-24)
	w := l[ws:start]
	ref, ph := -1, -1
	for _, s := range referenceWords {
		ref = max(ref, strings.LastIndex(w, s))
	}
	for _, s := range phoneWords {
		ph = max(ph, strings.LastIndex(w, s))
	}
	return ref >= 0 && ref > ph
}

// inURLPath reports whether text[start] is inside a URL path or query
// (messenger links are read by urlHandles).
func (c *collector) inURLPath(start int) bool {
	l := c.lower
	for ts := start; ts > 0 && start-ts < 200; ts-- {
		switch l[ts-1] {
		case ' ', '\n', '\t':
			return false
		case '/', '=', '?', '&':
			return true
		}
	}
	return false
}

// messengerKeywords returns the kinds named in w (text just before a phone
// number): "WhatsApp: +1...", "Signal/WhatsApp +44...".
func messengerKeywords(w string) []vigil.Kind {
	var ks []vigil.Kind
	if strings.Contains(w, "whatsapp") || strings.Contains(w, "whats app") || strings.Contains(w, "watsapp") ||
		strings.Contains(w, "wa.me/") || strings.HasPrefix(w, "wa:") || strings.Contains(w, " wa:") ||
		strings.Contains(w, "wa ") && hasWord(w, "wa") {
		ks = append(ks, vigil.KindWhatsApp)
	}
	if hasWord(w, "signal") || strings.Contains(w, "signal.me/") {
		ks = append(ks, vigil.KindSignal)
	}
	return ks
}

// hasWord reports whether w contains word with no letter on either side.
func hasWord(w, word string) bool {
	for off := 0; ; {
		i := strings.Index(w[off:], word)
		if i < 0 {
			return false
		}
		i += off
		if (i == 0 || !isLetter(w[i-1])) && (i+len(word) >= len(w) || !isLetter(w[i+len(word)])) {
			return true
		}
		off = i + 1
	}
}
