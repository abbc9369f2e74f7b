package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"vigil"
)

// TestCrawlWithImportedCookies serves a forum that answers only to a session
// cookie: crawled with a jar loaded from a stored cookies.txt file, every page is
// the member's page; without it, the login page.
func TestCrawlWithImportedCookies(t *testing.T) {
	var members atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if c, err := r.Cookie("forum_session"); err != nil || c.Value != "s3cr3t" {
			fmt.Fprint(w, "<p>please log in</p>")
			return
		}
		members.Add(1)
		fmt.Fprint(w, `<p>members only</p><a href="/t/1">1</a><a href="/t/2">2</a>`)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	store := &Secrets{Dir: t.TempDir()}
	txt := "# Netscape HTTP Cookie File\n\n" +
		u.Hostname() + "\tFALSE\t/\tFALSE\t0\tforum_session\ts3cr3t\n" +
		"#HttpOnly_" + u.Hostname() + "\tFALSE\t/\tFALSE\t1\texpired\tgone\n"
	if _, err := store.PutSecret(context.Background(), vigil.SecretCookies, "forum", []byte(txt)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(store.Dir, "cookies", "forum")
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CookieJar("forum"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable cookie file was accepted: %v", err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	jar, err := store.CookieJar("forum")
	if err != nil {
		t.Fatal(err)
	}
	if cs := jar.Cookies(u); len(cs) != 1 || cs[0].Name != "forum_session" {
		t.Fatalf("jar holds %v; want only the unexpired session cookie", cs)
	}
	c := newCrawler(t, Config{Jar: jar})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/")
	var rec recorder
	if _, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler()); err != nil || stats.Pages != 3 {
		t.Fatalf("crawl with cookies: %d pages, %v; want 3", stats.Pages, err)
	}
	if members.Load() != 3 {
		t.Fatalf("%d of 3 pages were served as a member", members.Load())
	}
}

func TestParseCookiesRejectsMalformedLines(t *testing.T) {
	_, err := ParseCookies(strings.NewReader("example.onion\tFALSE\t/\tFALSE\t0\tname-only-six-fields\n"))
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("malformed line: %v", err)
	}
	_, err = ParseCookies(strings.NewReader("example.onion\tFALSE\t/\tFALSE\tsoon-VALUE\tsid\tVALUE\n"))
	if err == nil || strings.Contains(err.Error(), "VALUE") {
		t.Fatalf("bad expiry: %v (must fail without echoing the value)", err)
	}
}
