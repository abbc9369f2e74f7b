package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestPolitenessBoundsOneHost crawls 20 slow pages of one host with 8
// workers but a host limit of 2 requests in flight, started at least 50 ms
// apart: the server never sees more than 2 at once nor two starts closer
// than that, and every page is fetched.
func TestPolitenessBoundsOneHost(t *testing.T) {
	const delay = 50 * time.Millisecond
	var (
		mu       sync.Mutex
		inFlight int
		maxSeen  int
		starts   []time.Time
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		maxSeen = max(maxSeen, inFlight)
		starts = append(starts, time.Now())
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		time.Sleep(120 * time.Millisecond) // a slow onion service, not synchronisation
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/" {
			for i := range 20 {
				fmt.Fprintf(w, `<a href="/p%d">p</a>`, i)
			}
		}
	}))
	defer srv.Close()
	c := newCrawler(t, Config{Concurrency: 8, Politeness: Politeness{HostConcurrency: 2, HostDelay: delay}})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/")
	var rec recorder
	_, stats, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Pages != 21 {
		t.Fatalf("fetched %d pages, want 21", stats.Pages)
	}
	mu.Lock()
	defer mu.Unlock()
	if maxSeen != 2 {
		t.Fatalf("at most %d requests were in flight at once; want the limit, 2", maxSeen)
	}
	for i := 1; i < len(starts); i++ {
		// The server's clock sees the same spacing, less scheduling noise.
		if gap := starts[i].Sub(starts[i-1]); gap < delay-10*time.Millisecond {
			t.Fatalf("requests %d and %d started %v apart; want at least %v", i-1, i, gap, delay)
		}
	}
}

func TestPolitenessTellsOnionsApart(t *testing.T) {
	p := Politeness{HostConcurrency: 8, OnionConcurrency: 2, OnionDelay: time.Second}
	for _, tc := range []struct {
		host  string
		conc  int
		delay time.Duration
	}{
		{"abcdef.onion", 2, time.Second},
		{"abcdef.onion:8080", 2, time.Second},
		{"ABCDEF.ONION", 2, time.Second},
		{"example.com", 8, 0},
		{"127.0.0.1:9050", 8, 0},
		{"[::1]:80", 8, 0},
	} {
		if c, d := p.limits(tc.host); c != tc.conc || d != tc.delay {
			t.Errorf("limits(%s) = %d, %v; want %d, %v", tc.host, c, d, tc.conc, tc.delay)
		}
	}
}
