package crawler

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Politeness bounds the load a crawl puts on one host: how many of its
// requests (pages and images) are in flight at once and how long apart two
// of them start. Onion services run on one volunteer machine behind slow
// circuits and are easily knocked over, so they have limits of their own.
// Zero values mean no bound beyond Config.Concurrency.
type Politeness struct {
	HostConcurrency int           // requests in flight to one clearnet host; 0: unbounded
	HostDelay       time.Duration // least time between request starts on one clearnet host; 0: none
	// OnionConcurrency and OnionDelay apply to .onion hosts instead of
	// HostConcurrency and HostDelay; 0: unbounded and none. Vigil's `up`
	// sets gentle values (2 and 1s) unless told otherwise.
	OnionConcurrency int
	OnionDelay       time.Duration
}

func (p Politeness) limits(host string) (int, time.Duration) {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	if strings.HasSuffix(h, ".onion") {
		return p.OnionConcurrency, p.OnionDelay
	}
	return p.HostConcurrency, p.HostDelay
}

// hostGates applies a Politeness across the workers of one Crawl call.
type hostGates struct {
	p     Politeness
	mu    sync.Mutex
	hosts map[string]*hostGate
}

type hostGate struct {
	slots chan struct{} // nil: no concurrency bound
	delay time.Duration
	mu    sync.Mutex
	next  time.Time // earliest start of the next request
}

func newHostGates(p Politeness) *hostGates {
	return &hostGates{p: p, hosts: map[string]*hostGate{}}
}

// acquire waits until a request to rawURL's host may start and returns the
// function that ends it; it fails only when ctx is done.
func (g *hostGates) acquire(ctx context.Context, rawURL string) (func(), error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return func() {}, nil
	}
	g.mu.Lock()
	hg := g.hosts[u.Host]
	if hg == nil {
		conc, delay := g.p.limits(u.Host)
		hg = &hostGate{delay: delay}
		if conc > 0 {
			hg.slots = make(chan struct{}, conc)
		}
		g.hosts[u.Host] = hg
	}
	g.mu.Unlock()
	if hg.slots == nil && hg.delay <= 0 {
		return func() {}, nil
	}
	if hg.slots != nil {
		select {
		case hg.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	release := func() {
		if hg.slots != nil {
			<-hg.slots
		}
	}
	if hg.delay > 0 {
		hg.mu.Lock()
		now := time.Now()
		start := hg.next
		if start.Before(now) {
			start = now
		}
		hg.next = start.Add(hg.delay)
		hg.mu.Unlock()
		if wait := time.Until(start); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				release()
				return nil, ctx.Err()
			}
		}
	}
	return release, nil
}
