package evidence

import (
	"net/http"
	"strings"
)

// RedactedValue replaces every cookie value in archived headers.
const RedactedValue = "[redacted]"

// RedactedHeaders are the headers whose cookie values WARC records never
// hold: Cookie in request records, Set-Cookie in response records. The
// manifest lists them.
var RedactedHeaders = []string{"Cookie", "Set-Cookie"}

// redactCookies returns a copy of h whose Cookie and Set-Cookie headers
// keep each cookie's name and attributes but have every value replaced
// with RedactedValue. A nil h stays nil.
func redactCookies(h http.Header) http.Header {
	h = h.Clone()
	for i, v := range h.Values("Set-Cookie") {
		// name=value; Attr=...: only the first pair is the cookie.
		pair, attrs, hasAttrs := strings.Cut(v, ";")
		v = redactPair(pair)
		if hasAttrs {
			v += ";" + attrs
		}
		h["Set-Cookie"][i] = v
	}
	for i, v := range h.Values("Cookie") {
		pairs := strings.Split(v, ";")
		for j, p := range pairs {
			pairs[j] = redactPair(p)
		}
		h["Cookie"][i] = strings.Join(pairs, ";")
	}
	return h
}

// redactPair turns "name=value" into "name=[redacted]", keeping the
// spaces around it; a pair without "=" is all value.
func redactPair(p string) string {
	lead := p[:len(p)-len(strings.TrimLeft(p, " "))]
	name, _, ok := strings.Cut(strings.TrimLeft(p, " "), "=")
	if !ok {
		return lead + RedactedValue
	}
	return lead + name + "=" + RedactedValue
}
