package crawler

import (
	"context"
	"net/http"
	"net/url"
	"sync"

	"github.com/temoto/robotstxt"
)

// robotsCache holds each host's robots.txt for one Crawl call, fetched once
// through the crawler's transport.
type robotsCache struct {
	client *http.Client
	agent  string
	mu     sync.Mutex
	hosts  map[string]*robotsEntry
}

type robotsEntry struct {
	once  sync.Once
	group *robotstxt.Group // nil: everything allowed
}

func newRobotsCache(client *http.Client, agent string) *robotsCache {
	return &robotsCache{client: client, agent: agent, hosts: map[string]*robotsEntry{}}
}

// allowed reports whether the host's robots.txt lets the crawler's user
// agent fetch rawURL. A robots.txt that cannot be fetched or parsed, or a
// 4xx answer, allows everything; a 5xx answer disallows everything (the
// robots.txt convention for a server in trouble).
func (rc *robotsCache) allowed(ctx context.Context, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return true
	}
	rc.mu.Lock()
	e := rc.hosts[u.Host]
	if e == nil {
		e = &robotsEntry{}
		rc.hosts[u.Host] = e
	}
	rc.mu.Unlock()
	e.once.Do(func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.Scheme+"://"+u.Host+"/robots.txt", nil)
		if err != nil {
			return
		}
		req.Header.Set("User-Agent", rc.agent)
		resp, err := rc.client.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		data, err := robotstxt.FromResponse(resp)
		if err != nil {
			return
		}
		e.group = data.FindGroup(rc.agent)
	})
	if e.group == nil {
		return true
	}
	return e.group.Test(u.RequestURI())
}
