package crawler

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParseCookies reads Netscape cookies.txt lines into a new cookie jar:
// domain, include-subdomains flag, path, secure flag, expiry (Unix seconds,
// 0 for a session cookie), name, value, separated by tabs. Comments and
// blank lines are skipped; "#HttpOnly_" prefixes are understood. Expired
// cookies are dropped. Errors name lines, never what they hold.
func ParseCookies(r io.Reader) (http.CookieJar, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	now := time.Now()
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		httpOnly := false
		if rest, ok := strings.CutPrefix(line, "#HttpOnly_"); ok {
			line, httpOnly = rest, true
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			return nil, fmt.Errorf("line %d: %d tab-separated fields, want 7", n, len(f))
		}
		domain := strings.TrimPrefix(f[0], ".")
		if domain == "" {
			return nil, fmt.Errorf("line %d: no domain", n)
		}
		secure := strings.EqualFold(f[3], "TRUE")
		exp, err := strconv.ParseInt(f[4], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: the expiry is not Unix seconds", n)
		}
		c := &http.Cookie{Name: f[5], Value: f[6], Path: f[2], Secure: secure, HttpOnly: httpOnly}
		if strings.EqualFold(f[1], "TRUE") {
			c.Domain = domain
		}
		if exp > 0 {
			c.Expires = time.Unix(exp, 0)
			if c.Expires.Before(now) {
				continue
			}
		}
		scheme := "http"
		if secure {
			scheme = "https"
		}
		jar.SetCookies(&url.URL{Scheme: scheme, Host: domain, Path: "/"}, []*http.Cookie{c})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return jar, nil
}
