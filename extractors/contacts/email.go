package contacts

import (
	"strings"
	"unicode/utf8"

	"vigil"
)

// fileExt lists "top-level domains" that are really file extensions, as in
// photo@2x.png.
var fileExt = map[string]bool{
	"png": true, "jpg": true, "jpeg": true, "gif": true, "webp": true, "svg": true, "bmp": true,
	"ico": true, "tif": true, "tiff": true, "avif": true, "heic": true, "css": true, "js": true,
	"mp4": true, "webm": true, "mov": true, "pdf": true, "txt": true, "html": true, "htm": true,
	"php": true, "zip": true, "exe": true, "json": true, "xml": true,
}

// commonTLD is the set of top-level domains accepted in the weakly
// obfuscated form "name at host dot tld", where any other word could be prose.
var commonTLD = map[string]bool{
	"com": true, "net": true, "org": true, "edu": true, "gov": true, "io": true, "me": true,
	"co": true, "info": true, "biz": true, "ru": true, "de": true, "uk": true, "fr": true,
	"it": true, "es": true, "nl": true, "pl": true, "br": true, "in": true, "cn": true,
	"jp": true, "au": true, "ca": true, "ch": true, "se": true, "no": true, "fi": true,
	"dk": true, "be": true, "at": true, "cz": true, "ua": true, "kz": true, "by": true,
	"ro": true, "hu": true, "gr": true, "pt": true, "tr": true, "mx": true, "ar": true,
	"cl": true, "za": true, "ng": true, "ke": true, "ph": true, "th": true, "vn": true,
	"id": true, "my": true, "sg": true, "hk": true, "tw": true, "kr": true, "il": true,
	"ae": true, "eu": true, "us": true, "onion": true, "li": true, "su": true, "cc": true,
	"email": true, "pm": true, "ch.": true,
}

// mailHosts are the domains accepted in the weakest form, "name at host.tld",
// which prose ("look at example.com") also produces.
var mailHosts = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "hotmail.com": true,
	"outlook.com": true, "live.com": true, "msn.com": true, "aol.com": true, "icloud.com": true,
	"protonmail.com": true, "protonmail.ch": true, "proton.me": true, "pm.me": true,
	"tutanota.com": true, "tuta.io": true, "gmx.com": true, "gmx.de": true, "gmx.net": true,
	"web.de": true, "mail.ru": true, "yandex.ru": true, "yandex.com": true, "rambler.ru": true,
	"bk.ru": true, "inbox.ru": true, "list.ru": true, "qq.com": true, "163.com": true,
	"cock.li": true, "riseup.net": true, "zoho.com": true, "mail.com": true, "onionmail.org": true,
	"dnmx.org": true, "yahoo.co.uk": true, "hotmail.co.uk": true, "ukr.net": true,
}

// emails finds plain addresses around each '@' and obfuscated ones around
// "[at]", "(at)", " at " and the like.
func (c *collector) emails() {
	t := c.text
	for i := strings.IndexByte(t, '@'); i >= 0; {
		if ms, me, m := bracketed(c.lower, i, 1); m == strongMarker {
			c.emailAt(ms, me, strongMarker) // "name[@]host", "name (@) host"
		} else {
			c.emailAt(i, i+1, strongMarker)
		}
		j := strings.IndexByte(t[i+1:], '@')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	l := c.lower
	for off := 0; ; {
		j := strings.Index(l[off:], "at")
		if j < 0 {
			break
		}
		i := off + j
		off = i + 2
		if ms, me, strength := atMarker(l, i); strength != noMarker {
			c.emailAt(ms, me, strength)
		}
	}
}

type marker int

const (
	noMarker     marker = iota
	plainMarker         // " at " or " dot ": prose produces these too
	strongMarker        // '@', "[at]", "(dot)", ...
)

func isOpen(c byte) bool  { return c == '[' || c == '(' || c == '{' || c == '<' || c == '-' }
func isClose(c byte) bool { return c == ']' || c == ')' || c == '}' || c == '>' || c == '-' }

// bracketed reports the extent of a marker word w at l[i:] written as
// "[w]", "( w )", "-w-" and the like, or as " w " when plain is allowed.
func bracketed(l string, i, n int) (start, end int, m marker) {
	a := i - 1
	for a >= 0 && l[a] == ' ' {
		a--
	}
	b := i + n
	for b < len(l) && l[b] == ' ' {
		b++
	}
	if a >= 0 && b < len(l) && isOpen(l[a]) && isClose(l[b]) && (l[a] == '-') == (l[b] == '-') {
		return a, b + 1, strongMarker
	}
	if i > 0 && i+n < len(l) && l[i-1] == ' ' && l[i+n] == ' ' {
		return i - 1, i + n + 1, plainMarker
	}
	return 0, 0, noMarker
}

// atMarker reports the extent of an obfuscated "at" starting at l[i].
func atMarker(l string, i int) (int, int, marker) {
	return bracketed(l, i, 2)
}

// emailAt reads the local part before ms and the domain after me, where
// text[ms:me] is an at-marker of the given strength.
func (c *collector) emailAt(ms, me int, m marker) {
	t, l := c.text, c.lower
	// Local part.
	le := ms
	if m != strongMarker || t[ms] != '@' {
		for le > 0 && t[le-1] == ' ' {
			le--
		}
	} else if le > 0 && t[le-1] == ' ' && me < len(t) && t[me] == ' ' {
		// "bob @ example.com".
		for le > 0 && t[le-1] == ' ' {
			le--
		}
	}
	ls := le
	for ls > 0 && class[t[ls-1]]&cLocal != 0 && le-ls < 64 {
		ls--
	}
	for ls < le && (t[ls] == '.' || t[ls] == '-' || t[ls] == '+') {
		ls++
	}
	if ls == le || t[le-1] == '.' || (ls > 0 && class[t[ls-1]]&cLocal != 0) {
		return
	}
	local := l[ls:le]
	// Domain: labels separated by dots or dot-markers.
	i := me
	for i < len(t) && t[i] == ' ' && i-me < 3 {
		i++
	}
	var labels []string
	weakDot, end := false, i
	for len(labels) < 10 {
		j := i
		for j < len(t) && class[t[j]]&(cDigit|cLower|cUpper) != 0 || j < len(t) && t[j] == '-' && j > i {
			j++
		}
		if j == i || j-i > 63 || t[j-1] == '-' {
			break
		}
		labels = append(labels, l[i:j])
		end = j
		// A dot or a dot-marker must follow for another label.
		if j+1 < len(t) && t[j] == '.' && isAlnum(t[j+1]) {
			i = j + 1
			continue
		}
		k := j
		for k < len(l) && l[k] == ' ' && k-j < 3 {
			k++
		}
		if k < len(l) && isOpen(l[k]) {
			k2 := k + 1
			for k2 < len(l) && l[k2] == ' ' {
				k2++
			}
			if strings.HasPrefix(l[k2:], "dot") || strings.HasPrefix(l[k2:], ".") {
				n := 3
				if l[k2] == '.' {
					n = 1
				}
				if _, de, dm := bracketed(l, k2, n); dm == strongMarker {
					i = de
					for i < len(l) && l[i] == ' ' {
						i++
					}
					continue
				}
			}
		}
		if strings.HasPrefix(l[j:], " dot ") || strings.HasPrefix(l[j:], " . ") {
			weakDot = true
			i = j + 5
			if l[j+1] == '.' {
				i = j + 3
			}
			continue
		}
		break
	}
	if len(labels) < 2 || end < len(t) && (t[end] == '@' || t[end] == '_') {
		return
	}
	tld := labels[len(labels)-1]
	if !validTLD(tld) || fileExt[tld] {
		return
	}
	domain := strings.Join(labels, ".")
	if (m == plainMarker || weakDot) && !labelled(t, l, ls, emailWords) {
		// Prose produces " at " and " dot ": without an e-mail label
		// before the address, demand more evidence.
		if !commonTLD[tld] || isStopword(local) {
			return
		}
		if m == plainMarker && !weakDot && !mailHosts[domain] && !strings.ContainsAny(local, "0123456789._") {
			return
		}
	}
	c.add(vigil.KindEmail, local+"@"+domain, ls, end)
}

func validTLD(s string) bool {
	if strings.HasPrefix(s, "xn--") && len(s) > 4 {
		return true
	}
	if len(s) < 2 || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

var stopwords = map[string]bool{
	"look": true, "me": true, "us": true, "them": true, "him": true, "her": true, "it": true,
	"arrive": true, "arrived": true, "available": true, "found": true, "see": true, "meet": true,
	"is": true, "are": true, "was": true, "be": true, "here": true, "there": true, "only": true,
	"online": true, "visit": true, "located": true, "stay": true, "live": true, "work": true,
	"works": true, "staying": true, "listed": true, "hosted": true, "posted": true, "sold": true,
	"buy": true, "and": true, "or": true, "the": true, "a": true, "an": true, "to": true,
}

func isStopword(s string) bool { return stopwords[s] }

// emailWords label an e-mail address, in the languages of the pages crawled
// (matched at the end of a lowered window: "mail" covers "E-Mail").
var emailWords = []string{
	"mail", "courriel", "correo", "e-posta", "eposta", "почта", "пошта", "емейл", "имейл", "емайл",
	"إيميل", "البريد", "ايميل", "อีเมล", "邮箱", "电邮", "郵箱", "メール", "📧", "✉",
}

// labelled reports whether one of words ends shortly before t[i], with
// nothing between it and t[i] but spaces, colons, dashes, arrows and other
// pointers ("Email: name at host dot com", "メール： name").
func labelled(t, l string, i int, words []string) bool {
	ls := lineStart(l, i)
	j := i
	for j > ls && i-j < 16 {
		if ch := l[j-1]; ch == ' ' || ch == ':' || ch == '-' || ch == '>' || ch == '|' || ch == '=' {
			j--
			continue
		}
		r, n := utf8.DecodeLastRuneInString(t[:j])
		if n <= 1 || !pointer(r) {
			break
		}
		j -= n
	}
	w := l[max(ls, j-24):j]
	for len(w) > 0 && !isRuneStart(w[0]) {
		w = w[1:]
	}
	w = lowerWindow(w)
	for _, s := range words {
		if strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}
