package crawler

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

func TestScopeForValidatesAndNormalisesSeeds(t *testing.T) {
	scope, reqs, err := ScopeFor([]string{
		"http://Example.ONION/a#top",
		"http://example.onion:80/a",
		"https://example.onion:443/b",
		"http://lab.test:8080",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(scope.Hosts, ","); got != "example.onion,lab.test:8080" {
		t.Errorf("hosts = %s", got)
	}
	var urls []string
	for _, r := range reqs {
		if r.Depth != 0 {
			t.Errorf("seed %s has depth %d", r.URL, r.Depth)
		}
		urls = append(urls, r.URL)
	}
	if got := strings.Join(urls, " "); got != "http://example.onion/a https://example.onion/b http://lab.test:8080/" {
		t.Errorf("seeds = %s", got)
	}

	for _, tt := range []struct{ seed, want string }{
		{"ftp://example.onion/", `scheme "ftp" not allowed`},
		{"example.onion/page", "not an absolute URL"},
		{"http:///nohost", "no host"},
		{"mailto:x@example.com", `scheme "mailto" not allowed`},
		{"http://exa mple.onion/", "invalid character"},
	} {
		t.Run(tt.seed, func(t *testing.T) {
			_, _, err := ScopeFor([]string{tt.seed})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
	if _, _, err := ScopeFor(nil); err == nil {
		t.Error("no seeds accepted")
	}
}

func TestResolveLinkNormalisesAndSkipsNonHTTP(t *testing.T) {
	base, _ := url.Parse("http://site.onion/dir/page.html?q=1")
	for _, tt := range []struct{ ref, want string }{
		{"other.html", "http://site.onion/dir/other.html"},
		{"../up", "http://site.onion/up"},
		{"/abs#frag", "http://site.onion/abs"},
		{"?q=2", "http://site.onion/dir/page.html?q=2"},
		{"HTTP://SITE.Onion:80", "http://site.onion/"},
		{"https://site.onion:443/x", "https://site.onion/x"},
		{"http://user:pw@site.onion/x", "http://site.onion/x"},
		{"//cdn.onion/img.png", "http://cdn.onion/img.png"},
		{"  spaced.html  ", "http://site.onion/dir/spaced.html"},
		{"mailto:a@b.c", ""},
		{"javascript:alert(1)", ""},
		{"JavaScript:void(0)", ""},
		{"tel:+1555", ""},
		{"data:text/html,x", ""},
		{"#only-fragment", ""},
		{"", ""},
		{"http://[::1]:8080/v6", "http://[::1]:8080/v6"},
	} {
		u, ok := resolveLink(base, tt.ref)
		got := ""
		if ok {
			got = u.String()
		}
		if got != tt.want {
			t.Errorf("resolveLink(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestScopeAllowsOnlyItsHosts(t *testing.T) {
	ss := newScopeSet(Scope{Hosts: []string{"Site.onion", "lab.test:8080", "plain.test:80"}}, 0)
	for _, tt := range []struct {
		url  string
		want bool
	}{
		{"http://site.onion/x", true},
		{"https://site.onion/x", true},
		{"http://lab.test:8080/", true},
		{"http://lab.test/", false},
		{"http://plain.test/", true},
		{"http://evil.site.onion/", false},
		{"http://site.onion.evil/", false},
	} {
		u, _ := url.Parse(tt.url)
		n, _ := normalizeURL(u)
		if got := ss.allowsHost(n); got != tt.want {
			t.Errorf("allowsHost(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

func TestMemorySeenMarksOnce(t *testing.T) {
	s := NewMemorySeen()
	if !s.MarkNew("a") || s.MarkNew("a") || !s.MarkNew("b") || s.Len() != 2 {
		t.Fatal("MemorySeen is not check-and-mark")
	}
}

func TestRawCollyBaselineCrawlsTheSite(t *testing.T) {
	s := newSite(t, 120)
	tr := loopbackTransport()
	defer tr.CloseIdleConnections()
	pages, elapsed, err := RawCollyBaseline(context.Background(), s.seed(), 8, tr)
	if err != nil {
		t.Fatal(err)
	}
	// colly's visited check is not atomic, so a page may be fetched twice;
	// every page is fetched at least once.
	if len(s.hits.snapshot()) != 120 || pages < 120 || elapsed <= 0 {
		t.Errorf("baseline: %d pages, %d distinct, %v", pages, len(s.hits.snapshot()), elapsed)
	}
	if n := len(s.outHits.snapshot()); n != 0 {
		t.Errorf("baseline left the site: %d hits outside", n)
	}
}
