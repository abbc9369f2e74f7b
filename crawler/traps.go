package crawler

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Defaults for the zero values of Traps.
const (
	DefaultMaxURLLength       = 2048
	DefaultMaxQueryParams     = 12
	DefaultMaxPathSegments    = 24
	DefaultMaxRepeatedSegment = 3
)

// Traps are the limits that keep a crawl out of crawler traps: endless
// calendars, query strings that grow on every click, paths that repeat
// themselves. A link that breaks a limit is not followed; it is reported to
// Handler.OnSkip with the reason, and the crawl goes on. Seeds are exempt.
// The zero value applies the defaults; a negative limit turns it off.
type Traps struct {
	MaxURLLength    int // 0: DefaultMaxURLLength
	MaxQueryParams  int // 0: DefaultMaxQueryParams
	MaxPathSegments int // 0: DefaultMaxPathSegments
	// MaxRepeatedSegment is how often one path segment may occur in a path
	// (/a/b/a/b/a/b/...); 0: DefaultMaxRepeatedSegment.
	MaxRepeatedSegment int
	// FollowCalendars follows calendar-like links (a path that ends in a
	// date such as /2024/05 or /2024-05-17, or a query parameter named
	// date, day, week, month, year or calendar); by default they are not
	// followed, as each calendar page links to the next one forever.
	FollowCalendars bool
	// AllowedTypes are the media types (prefixes: "text/" matches every
	// text type) of the pages whose bodies are downloaded; a page of
	// another type is reported to OnSkip instead of OnPage, its body
	// unread. Empty allows every type (a capture of anything is evidence).
	// Images embedded in pages are fetched apart and are not subject to it.
	AllowedTypes []string
}

func (t Traps) withDefaults() Traps {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&t.MaxURLLength, DefaultMaxURLLength)
	def(&t.MaxQueryParams, DefaultMaxQueryParams)
	def(&t.MaxPathSegments, DefaultMaxPathSegments)
	def(&t.MaxRepeatedSegment, DefaultMaxRepeatedSegment)
	return t
}

// TrapError says why a URL was not followed or a page not kept.
type TrapError struct {
	URL    string
	Reason string
}

func (e *TrapError) Error() string { return fmt.Sprintf("skip %s: %s", e.URL, e.Reason) }

var (
	calendarPath  = regexp.MustCompile(`/(19|20)\d\d([-/](0?[1-9]|1[0-2])([-/](0?[1-9]|[12]\d|3[01]))?)/?$`)
	calendarQuery = map[string]bool{"date": true, "day": true, "week": true, "month": true, "year": true, "cal": true, "calendar": true}
)

// check returns a *TrapError when the normalised URL u breaks a limit of t
// (t with defaults applied), nil otherwise.
func (t Traps) check(u *url.URL) error {
	s := u.String()
	trap := func(format string, args ...any) error {
		return &TrapError{URL: s, Reason: fmt.Sprintf(format, args...)}
	}
	if t.MaxURLLength > 0 && len(s) > t.MaxURLLength {
		return trap("URL is %d bytes long (limit %d)", len(s), t.MaxURLLength)
	}
	var params []string
	if u.RawQuery != "" {
		params = strings.Split(u.RawQuery, "&")
	}
	if t.MaxQueryParams > 0 && len(params) > t.MaxQueryParams {
		return trap("query has %d parameters (limit %d)", len(params), t.MaxQueryParams)
	}
	var segs []string
	for _, seg := range strings.Split(u.Path, "/") {
		if seg != "" {
			segs = append(segs, seg)
		}
	}
	if t.MaxPathSegments > 0 && len(segs) > t.MaxPathSegments {
		return trap("path has %d segments (limit %d)", len(segs), t.MaxPathSegments)
	}
	if t.MaxRepeatedSegment > 0 {
		count := map[string]int{}
		for _, seg := range segs {
			if count[seg]++; count[seg] > t.MaxRepeatedSegment {
				return trap("path segment %q repeats more than %d times", seg, t.MaxRepeatedSegment)
			}
		}
	}
	if !t.FollowCalendars {
		if calendarPath.MatchString(u.Path) {
			return trap("calendar-like path %q", u.Path)
		}
		for _, p := range params {
			k, _, _ := strings.Cut(p, "=")
			if k, err := url.QueryUnescape(k); err == nil && calendarQuery[strings.ToLower(k)] {
				return trap("calendar-like query parameter %q", k)
			}
		}
	}
	return nil
}

// allowsType reports whether a body of Content-Type ct is downloaded.
func (t Traps) allowsType(ct string) bool {
	if len(t.AllowedTypes) == 0 || ct == "" {
		return true
	}
	mt, _, _ := strings.Cut(strings.ToLower(ct), ";")
	mt = strings.TrimSpace(mt)
	for _, a := range t.AllowedTypes {
		if strings.HasPrefix(mt, strings.ToLower(a)) {
			return true
		}
	}
	return false
}

// sessionParams are query parameters that carry a session ID; they are
// dropped from every URL so that one page is one URL whatever the session.
var sessionParams = map[string]bool{
	"phpsessid": true, "sid": true, "jsessionid": true, "sessionid": true, "session_id": true,
	"aspsessionid": true, "cfid": true, "cftoken": true, "zenid": true, "oscsid": true,
}

var pathSession = regexp.MustCompile(`(?i);(jsessionid|phpsessid|sid)=[^/]*`)

// canonicalQuery drops session-ID parameters (and ;jsessionid=... path
// parameters) from n and sorts the remaining query parameters, so that the
// same page reached through differently ordered links is one URL.
func canonicalQuery(n *url.URL) {
	if strings.Contains(n.Path, ";") && pathSession.MatchString(n.Path) {
		n.Path = pathSession.ReplaceAllString(n.Path, "")
		n.RawPath = ""
	}
	if n.RawQuery == "" {
		n.ForceQuery = false
		return
	}
	params := strings.Split(n.RawQuery, "&")
	keep := params[:0]
	for _, p := range params {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		if dk, err := url.QueryUnescape(k); err == nil && sessionParams[strings.ToLower(dk)] {
			continue
		}
		keep = append(keep, p)
	}
	slices.SortStableFunc(keep, func(a, b string) int {
		ka, _, _ := strings.Cut(a, "=")
		kb, _, _ := strings.Cut(b, "=")
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	n.RawQuery = strings.Join(keep, "&")
	n.ForceQuery = false
}
