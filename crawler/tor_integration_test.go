package crawler_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"vigil"
	"vigil/crawler"
	"vigil/crawler/tor"
)

// These tests wire the real transport of vigil/crawler/tor into the crawler,
// as the worker does.

func labSite(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var i int
		fmt.Sscanf(r.URL.Path, "/p/%d", &i)
		fmt.Fprintf(w, `<html><body><a href="/p/%d">a</a><a href="/p/%d">b</a><a href="http://example.com/">out</a></body></html>`, (2*i+1)%40, (2*i+2)%40)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestCrawlThroughTheDirectLabTransport(t *testing.T) {
	srv, hits := labSite(t)
	rt, err := tor.NewTransport(tor.Config{Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := crawler.New(crawler.Config{Transport: rt, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	// localhost is mapped to 127.0.0.1 without a lookup.
	seed := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/p/0"
	scope, frontier, err := crawler.ScopeFor([]string{seed})
	if err != nil {
		t.Fatal(err)
	}
	seen := crawler.NewMemorySeen()
	seen.MarkNew(frontier[0].URL)
	remaining, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, crawler.Handler{})
	if err != nil || len(remaining) != 0 {
		t.Fatal(err, remaining)
	}
	if stats.Pages != 40 || stats.Errors != 0 || hits.Load() != 40 {
		t.Errorf("stats %+v, %d hits; want 40 pages fetched once each", stats, hits.Load())
	}
}

func TestACrawlWithTheProxyDownFailsClosed(t *testing.T) {
	srv, hits := labSite(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	rt, err := tor.NewTransport(tor.Config{SOCKSAddr: dead, IsolationKey: "crawl-x"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := crawler.New(crawler.Config{Transport: rt, Concurrency: 4, FetchImages: true})
	if err != nil {
		t.Fatal(err)
	}
	scope, frontier, err := crawler.ScopeFor([]string{srv.URL + "/p/0", srv.URL + "/p/1"})
	if err != nil {
		t.Fatal(err)
	}
	seen := crawler.NewMemorySeen()
	for _, r := range frontier {
		seen.MarkNew(r.URL)
	}
	var onError atomic.Int64
	remaining, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, crawler.Handler{
		OnError: func(crawler.Request, error) { onError.Add(1) },
	})
	if !tor.IsProxyDown(err) || vigil.ErrorCode(err) != vigil.EUNAVAILABLE {
		t.Fatalf("err = %v, want a proxy-down error with code unavailable", err)
	}
	if len(remaining) != 2 || stats.Pages != 0 || onError.Load() != 0 {
		t.Errorf("remaining %v, stats %+v, OnError calls %d", remaining, stats, onError.Load())
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the site received %d requests with the proxy down", n)
	}
}
