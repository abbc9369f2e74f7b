// Package demo generates a deterministic fake dark-web forum and marketplace
// and serves it as an http.Handler. The end-to-end tests, the benchmarks and
// `vigil up --demo` crawl it.
//
// A Site is a pure function of its Config: the same Config yields
// byte-identical pages and images. Every HTML page is reachable from "/" by
// following <a href> links (all root-relative), and the Site reports what a
// crawl should find: every page (Pages), every planted contact with its
// normalised value (Planted), the decoys that must not be reported (Decoys)
// and every image (Images). The content is fake and tame: generic services,
// jobs abroad, documents and travel ads.
//
// What a crawler meets, on purpose: fragment links ("#top", "#p3") that name
// the page they are on; out-of-scope links (https://t.me/…, https://wa.me/…,
// mailto:) that a same-site crawl must not follow; paginated boards, threads
// and categories whose pagers also jump 10 and 100 pages, so a breadth-first
// crawl of a 100,000-page site is at most ten hops deep; and decoys
// (contacts with broken checksums, prices, dates, order numbers) that are not
// contacts.
package demo

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Config sizes and shapes a demo site. Its zero value is valid and yields a
// forum and a market under one host, about 600 HTML pages in all (Seed 1,
// 150 threads of 15 posts, 60 users, 180 listings, 30 vendors, one image per
// 5 pages). Zero fields take those defaults; see ForPages for other sizes.
type Config struct {
	// Seed selects the content; 0 means 1.
	Seed int64
	// Threads is the number of forum threads; 0 means 150.
	Threads int
	// PostsPerThread is the number of posts in each thread, 10 per page;
	// 0 means 15.
	PostsPerThread int
	// Users is the number of forum users; 0 means 2/5 of Threads. It is capped
	// at Threads, because each user starts at least one thread.
	Users int
	// Vendors is the number of market vendors; 0 means 1/6 of Listings. It is
	// capped at Listings, because each vendor has at least one listing.
	Vendors int
	// Listings is the number of market listings; 0 means 180.
	Listings int
	// ImageEvery puts one image on every ImageEvery-th page; 0 means 5 and a
	// negative value means no images.
	ImageEvery int
	// NearDuplicates also serves, for every fourth image, a resized and
	// re-encoded JPEG copy on the next page, to test near-duplicate matching.
	NearDuplicates bool
	// Kind is "forum", "market" or "" for both under one host. New panics on
	// any other value.
	Kind string
}

// The fixed shape of a site.
const (
	threadsPerBoardPage  = 20
	postsPerThreadPage   = 10
	listingsPerCatPage   = 24
	maxThreadsOnProfile  = 20
	maxListingsOnProfile = 30
)

func (c Config) withDefaults() Config {
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Threads <= 0 {
		c.Threads = 150
	}
	if c.PostsPerThread <= 0 {
		c.PostsPerThread = 15
	}
	if c.Users <= 0 {
		c.Users = max(1, c.Threads*2/5)
	}
	c.Users = min(c.Users, c.Threads)
	if c.Listings <= 0 {
		c.Listings = 180
	}
	if c.Vendors <= 0 {
		c.Vendors = max(1, c.Listings/6)
	}
	c.Vendors = min(c.Vendors, c.Listings)
	if c.ImageEvery == 0 {
		c.ImageEvery = 5
	}
	switch c.Kind {
	case "", "forum", "market":
	default:
		panic(fmt.Sprintf("demo: unknown Config.Kind %q (want \"forum\", \"market\" or \"\")", c.Kind))
	}
	return c
}

func (c Config) hasForum() bool  { return c.Kind != "market" }
func (c Config) hasMarket() bool { return c.Kind != "forum" }

// PageCount is the number of HTML pages the site for c has, without
// generating it.
func (c Config) PageCount() int {
	c = c.withDefaults()
	n := 1
	if c.hasForum() {
		for b := range len(boards) {
			n += pagesOf(countStrided(c.Threads, b, len(boards)), threadsPerBoardPage)
		}
		n += c.Threads*pagesOf(c.PostsPerThread, postsPerThreadPage) + c.Users
	}
	if c.hasMarket() {
		for k := range len(categories) {
			n += pagesOf(countStrided(c.Listings, k, len(categories)), listingsPerCatPage)
		}
		n += c.Listings + c.Vendors
	}
	return n
}

// ForPages returns a Config (forum and market under one host) whose site has
// about n HTML pages: exactly n when n is at least a few dozen, and never
// fewer than the smallest possible site (a handful of pages). It scales to
// hundreds of thousands of pages.
func ForPages(n int) Config {
	k := float64(n) / 595
	c := Config{
		Seed:           1,
		Threads:        max(1, int(150*k)),
		PostsPerThread: 15,
		Users:          max(1, int(60*k)),
		Vendors:        max(1, int(30*k)),
	}
	// Listings add one page each (plus a category page now and then), so a
	// binary search on Listings lands on n or just next to it.
	lo, hi := 1, max(2, 2*n)
	for lo < hi {
		mid := (lo + hi) / 2
		c.Listings = mid
		if c.PageCount() < n {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	c.Listings = lo
	if lo > 1 {
		c.Listings = lo - 1
		below := c.PageCount()
		c.Listings = lo
		if n-below < c.PageCount()-n {
			c.Listings = lo - 1
		}
	}
	c.Vendors = min(c.Vendors, c.Listings)
	return c
}

// countStrided is how many of 0..n-1 are congruent to r modulo m.
func countStrided(n, r, m int) int {
	if r >= n {
		return 0
	}
	return (n-1-r)/m + 1
}

// pagesOf is how many pages of per items n items take; an empty list still
// has one page.
func pagesOf(n, per int) int { return max(1, (n+per-1)/per) }

// Serve serves the site for cfg on ln in a new goroutine and returns the
// server; the caller closes or shuts it down. Read and write timeouts are
// generous defaults for loopback use.
func Serve(ln net.Listener, cfg Config) *http.Server {
	srv := &http.Server{
		Handler:           New(cfg),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }() // Serve returns ErrServerClosed on Close; the caller owns the lifecycle.
	return srv
}

var _ http.Handler = (*Site)(nil)

func itoa(i int) string { return strconv.Itoa(i) }
