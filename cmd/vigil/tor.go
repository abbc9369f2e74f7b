package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"vigil/crawler/tor"
	"vigil/crawler/tor/tornet"
	"vigil/crawler/tor/torproc"
	"vigil/internal/demo"
)

// torNet is the network side of `vigil up`: the SOCKS proxy every crawl goes
// through (a running one named by --tor-socks, a managed tor, or, with
// --demo, the client of a private Tor network), or lab mode.
type torNet struct {
	socks   string
	direct  bool
	demo    bool            // --demo: the private network comes up after the API
	managed *torproc.Tor    // nil unless vigil runs its own tor
	private *tornet.Network // nil unless --demo
	logger  *slog.Logger

	mu     sync.Mutex
	warned map[string]int // crawl ID → last bootstrap progress logged
}

// startTor sets up the network side of `vigil up` according to cfg: lab mode
// with --direct; the proxy at --tor-socks; with --demo a private Tor network
// serving the demo forum and market as onion services; otherwise a managed
// tor under dir/tor. It returns without waiting for a managed tor to
// bootstrap: crawls wait for it (see transport).
func startTor(ctx context.Context, cfg config, dir string, logger *slog.Logger) (*torNet, error) {
	tn := &torNet{logger: logger, warned: map[string]int{}}
	switch {
	case cfg.Direct:
		tn.direct = true
		logger.Warn("LAB MODE (--direct): crawls go to loopback sites WITHOUT Tor; any other host is refused")
	case cfg.TorSOCKS != "":
		tn.socks = cfg.TorSOCKS
		if err := tor.CheckProxy(ctx, cfg.TorSOCKS); err != nil {
			logger.Warn("the Tor SOCKS proxy does not answer yet; crawls fail closed until it does", "error", err)
		} else {
			logger.Info("crawls go through the Tor SOCKS proxy", "socks", cfg.TorSOCKS)
		}
	case cfg.Demo:
		// The demo's private network is started by startDemo, after the API
		// is up; until then crawls wait (see transport).
		tn.demo = true
	default:
		var extra []string
		if cfg.TorConfig != "" {
			b, err := os.ReadFile(cfg.TorConfig)
			if err != nil {
				return nil, fmt.Errorf("read --tor-config: %w", err)
			}
			extra = strings.Split(strings.TrimSpace(string(b)), "\n")
		}
		mt, err := torproc.Start(ctx, torproc.Config{DataDir: filepath.Join(dir, "tor"), Torrc: extra, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("start a managed tor (or pass --tor-socks ADDR): %w", err)
		}
		tn.managed, tn.socks = mt, mt.SOCKSAddr()
		msg := "started a managed tor; search works now, crawls wait until tor has bootstrapped"
		if len(extra) == 0 {
			msg += " (a machine without Internet access never bootstraps to the public Tor network: that is expected there; use --demo for the offline private network or --tor-socks for a running tor)"
		}
		logger.Info(msg, "socks", mt.SOCKSAddr(), "control", mt.ControlAddr(), "data", filepath.Join(dir, "tor"))
	}
	return tn, nil
}

// Close stops the managed tor and the private network, if any.
func (tn *torNet) Close() {
	if tn.managed != nil {
		tn.managed.Close()
	}
	if tn.private != nil {
		tn.private.Close()
	}
}

// transport is the activities' Transport func: the fail-closed Tor transport
// with the crawl ID as isolation key. With a managed tor that has not
// bootstrapped yet, every request fails with a *tor.ProxyError saying "tor
// is still bootstrapping (NN%)": the crawler stops the batch without
// reporting pages as failed, and the activity's error is retried by the
// workflow.
func (tn *torNet) transport(crawlID string) (http.RoundTripper, error) {
	tn.mu.Lock()
	socks := tn.socks
	tn.mu.Unlock()
	if tn.demo && socks == "" {
		return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, &tor.ProxyError{Addr: "private network", Err: errors.New("the demo's private Tor network is still starting")}
		}), nil
	}
	rt, err := tor.NewTransport(tor.Config{SOCKSAddr: socks, Direct: tn.direct, IsolationKey: crawlID,
		OnRetry: func(target string, attempt int, err error) {
			tn.logger.Info("tor connection retried on a new circuit", "crawl", crawlID, "target", target, "attempt", attempt, "error", err)
		}})
	if err != nil {
		return nil, err
	}
	if tn.managed == nil {
		return rt, nil
	}
	return &bootstrapGate{tn: tn, crawlID: crawlID, next: rt}, nil
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// bootstrapGate refuses requests until the managed tor has bootstrapped.
type bootstrapGate struct {
	tn      *torNet
	crawlID string
	next    http.RoundTripper
}

func (g *bootstrapGate) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := g.tn.managed.Status()
	if err != nil || !b.Done() {
		if req.Body != nil {
			req.Body.Close()
		}
		reason := fmt.Errorf("tor is still bootstrapping (%d%%)", b.Progress)
		if err != nil {
			reason = fmt.Errorf("tor is still bootstrapping (%d%%): %w", b.Progress, err)
		}
		g.tn.noteWaiting(g.crawlID, b.Progress, reason)
		return nil, &tor.ProxyError{Addr: g.tn.managed.SOCKSAddr(), Err: reason}
	}
	return g.next.RoundTrip(req)
}

// CloseIdleConnections passes on to the Tor transport.
func (g *bootstrapGate) CloseIdleConnections() {
	if c, ok := g.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// noteWaiting logs, once per crawl and progress figure, that a crawl waits
// for tor.
func (tn *torNet) noteWaiting(crawlID string, progress int, reason error) {
	tn.mu.Lock()
	last, seen := tn.warned[crawlID]
	tn.warned[crawlID] = progress
	tn.mu.Unlock()
	if !seen || last != progress {
		tn.logger.Warn("crawl waits for tor; the batch is retried", "crawl", crawlID, "reason", reason)
	}
}

// startDemo starts the private Tor network with the demo forum and market as
// onion services (20–60 s), points crawls at its client and returns the two
// seed URLs. Progress goes to out.
func (tn *torNet) startDemo(ctx context.Context, dir string, pages int, out io.Writer) ([]string, []*demo.Site, error) {
	forumCfg, marketCfg := demo.ForPages(pages), demo.ForPages(pages)
	forumCfg.Kind, marketCfg.Kind = "forum", "market"
	forum, market := demo.New(forumCfg), demo.New(marketCfg)
	netDir := filepath.Join(dir, "tornet")
	// Keys and state of an earlier run are not reused: certificates expire
	// and consensus state would be stale. Relay keys are cached.
	if err := os.RemoveAll(netDir); err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(out, "  Demo:             starting a private Tor network on 127.0.0.1 (4 relays, 2 onion services; 20-60 s)...")
	pn, err := tornet.Start(ctx, tornet.Config{
		Dir:      netDir,
		KeyCache: filepath.Join(dir, "tornet-keys"),
		Services: []tornet.Service{{Name: "forum", Backend: forum}, {Name: "market", Backend: market}},
		Logf:     func(f string, a ...any) { tn.logger.Info(fmt.Sprintf(f, a...)) },
	})
	if err != nil {
		return nil, nil, fmt.Errorf("start the private Tor network: %w", err)
	}
	tn.mu.Lock()
	tn.private, tn.socks = pn, pn.SOCKSAddr()
	tn.mu.Unlock()
	return []string{"http://" + pn.Onion("forum") + "/", "http://" + pn.Onion("market") + "/"}, []*demo.Site{forum, market}, nil
}
