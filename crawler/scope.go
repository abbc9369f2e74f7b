package crawler

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
)

// Scope is what a crawl may fetch: pages and images on Hosts, links at most
// MaxDepth hops from the seeds.
type Scope struct {
	// Hosts are the allowed host[:port] values (lower case, the scheme's
	// default port omitted), usually those of the seeds.
	Hosts []string `json:"hosts"`
	// MaxDepth is the deepest link followed (seeds are depth 0); 0 means
	// unlimited. Config.MaxDepth also applies: the smaller non-zero one wins.
	MaxDepth int `json:"max_depth,omitempty"`
}

// ScopeFor validates seed URLs (absolute http or https URLs with a host) and
// returns the scope of their hosts and the seeds as depth-0 requests,
// normalised and without duplicates. The caller marks the requests in its
// Seen before handing them to Crawl.
func ScopeFor(seeds []string) (Scope, []Request, error) {
	if len(seeds) == 0 {
		return Scope{}, nil, errors.New("no seed URL given")
	}
	var (
		scope     Scope
		reqs      []Request
		hostSeen  = map[string]bool{}
		seedsSeen = map[string]bool{}
	)
	for _, s := range seeds {
		raw := strings.TrimSpace(s)
		u, err := url.Parse(raw)
		if err != nil {
			return Scope{}, nil, fmt.Errorf("seed %q: %w", s, err)
		}
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
		case "":
			return Scope{}, nil, fmt.Errorf("seed %q: not an absolute URL (want http://HOST/... or https://HOST/...)", s)
		default:
			return Scope{}, nil, fmt.Errorf("seed %q: scheme %q not allowed (http or https only)", s, u.Scheme)
		}
		if u.Hostname() == "" {
			return Scope{}, nil, fmt.Errorf("seed %q: no host", s)
		}
		n, ok := normalizeURL(u)
		if !ok {
			return Scope{}, nil, fmt.Errorf("seed %q: not a crawlable URL", s)
		}
		if h := n.Host; !hostSeen[h] {
			hostSeen[h] = true
			scope.Hosts = append(scope.Hosts, h)
		}
		if k := n.String(); !seedsSeen[k] {
			seedsSeen[k] = true
			reqs = append(reqs, Request{URL: k, Depth: 0})
		}
	}
	return scope, reqs, nil
}

// resolveLink resolves ref against base and normalises it; ok is false for
// empty references, unparsable ones and schemes other than http and https
// (mailto:, javascript:, tel:, data:, ...).
func resolveLink(base *url.URL, ref string) (*url.URL, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return nil, false
	}
	u, err := base.Parse(ref)
	if err != nil {
		return nil, false
	}
	return normalizeURL(u)
}

// normalizeURL returns u with a lower-case scheme and host, the scheme's
// default port removed, no fragment, no user info, "/" for an empty path,
// no session-ID parameters and the query parameters sorted.
// ok is false unless the scheme is http or https and there is a host.
func normalizeURL(u *url.URL) (*url.URL, bool) {
	n := *u
	n.Scheme = strings.ToLower(n.Scheme)
	if n.Scheme != "http" && n.Scheme != "https" || n.Opaque != "" {
		return nil, false
	}
	host := canonicalHost(n.Scheme, n.Hostname(), n.Port())
	if host == "" {
		return nil, false
	}
	n.Host = host
	n.User = nil
	n.Fragment, n.RawFragment = "", ""
	canonicalQuery(&n)
	if n.Path == "" && n.RawPath == "" {
		n.Path = "/"
	}
	return &n, true
}

// canonicalHost is host[:port] in lower case, without the scheme's default
// port and without a trailing dot.
func canonicalHost(scheme, hostname, port string) string {
	h := strings.TrimSuffix(strings.ToLower(hostname), ".")
	if h == "" {
		return ""
	}
	if port == defaultPort(scheme) {
		port = ""
	}
	if port != "" {
		return net.JoinHostPort(h, port)
	}
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// scopeSet is a Scope prepared for lookups. Safe for concurrent use (it is
// read-only after construction).
type scopeSet struct {
	hosts    map[string]bool
	maxDepth int
}

func newScopeSet(s Scope, cfgMaxDepth int) *scopeSet {
	ss := &scopeSet{hosts: make(map[string]bool, len(s.Hosts)), maxDepth: s.MaxDepth}
	if cfgMaxDepth > 0 && (ss.maxDepth == 0 || cfgMaxDepth < ss.maxDepth) {
		ss.maxDepth = cfgMaxDepth
	}
	for _, h := range s.Hosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		ss.hosts[h] = true
	}
	return ss
}

// allowsHost reports whether the normalised URL u is on an allowed host.
func (s *scopeSet) allowsHost(u *url.URL) bool {
	return s.hosts[u.Host] || s.hosts[u.Host+":"+defaultPort(u.Scheme)]
}

// allowsDepth reports whether a link at depth d may be followed.
func (s *scopeSet) allowsDepth(d int) bool {
	return s.maxDepth <= 0 || d <= s.maxDepth
}

// Seen is the caller's record of URLs already scheduled in a crawl, across
// batches. MarkNew atomically checks and marks url, returning true only the
// first time it is called for that url; it must be safe for concurrent use.
// Crawl calls it once per candidate URL (normalised) before enqueuing it, and
// for each in-scope redirect target before following it, and fetches only
// URLs for which it returned true.
type Seen interface {
	MarkNew(url string) bool
}

// MemorySeen is an in-memory Seen, for tests and one-shot crawls.
type MemorySeen struct {
	mu sync.Mutex
	m  map[string]struct{}
}

// NewMemorySeen returns an empty MemorySeen.
func NewMemorySeen() *MemorySeen { return &MemorySeen{m: make(map[string]struct{})} }

// MarkNew marks url and reports whether it was not marked before.
func (s *MemorySeen) MarkNew(url string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[url]; ok {
		return false
	}
	s.m[url] = struct{}{}
	return true
}

// Len returns how many URLs are marked.
func (s *MemorySeen) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

var _ Seen = (*MemorySeen)(nil)
