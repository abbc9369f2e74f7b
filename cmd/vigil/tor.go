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

	"vigil/crawler/tor"
	"vigil/crawler/tor/tornet"
	"vigil/crawler/tor/torproc"
	"vigil/internal/demo"
)

// torNet is the network side of `vigil up`: the router that gives every
// crawl its transport through a SOCKS proxy (a running one named by
// --tor-socks, a managed tor, or, with --demo, the client of a private Tor
// network), or lab mode.
type torNet struct {
	router  *tor.Router
	socks   string          // the SOCKS proxy crawls go through, once known
	managed *torproc.Tor    // nil unless vigil runs its own tor
	private *tornet.Network // nil unless --demo
	logger  *slog.Logger
}

// startTor sets up the network side of `vigil up` according to cfg: lab mode
// with --direct; the proxy at --tor-socks; with --demo a private Tor network
// serving the demo forum and market as onion services; otherwise a managed
// tor under dir/tor. It returns without waiting for a managed tor to
// bootstrap: crawls wait for it (see tor.Router.Transport).
func startTor(ctx context.Context, cfg config, dir string, logger *slog.Logger) (*torNet, error) {
	tn := &torNet{logger: logger}
	rc := tor.RouterConfig{Logger: logger}
	switch {
	case cfg.Direct:
		rc.Direct = true
		logger.Warn("LAB MODE (--direct): crawls go to loopback sites WITHOUT Tor; any other host is refused")
	case cfg.TorSOCKS != "":
		tn.socks, rc.SOCKSAddr = cfg.TorSOCKS, cfg.TorSOCKS
		if err := tor.CheckProxy(ctx, cfg.TorSOCKS); err != nil {
			logger.Warn("the Tor SOCKS proxy does not answer yet; crawls fail closed until it does", "error", err)
		} else {
			logger.Info("crawls go through the Tor SOCKS proxy", "socks", cfg.TorSOCKS)
		}
	case cfg.Demo:
		// The demo's private network is started by startDemo, after the API
		// is up; until then crawls are refused and retried.
		rc.Starting = &tor.ProxyError{Addr: "private network", Err: errors.New("the demo's private Tor network is still starting")}
	default:
		mt, err := startManagedTor(ctx, cfg, dir, logger)
		if err != nil {
			return nil, err
		}
		tn.managed, tn.socks = mt, mt.SOCKSAddr()
		rc.SOCKSAddr, rc.Managed = mt.SOCKSAddr(), mt
	}
	tn.router = tor.NewRouter(rc)
	return tn, nil
}

// startManagedTor starts a managed tor under dir/tor, with the torrc lines
// of --tor-config, if any.
func startManagedTor(ctx context.Context, cfg config, dir string, logger *slog.Logger) (*torproc.Tor, error) {
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
	msg := "started a managed tor; search works now, crawls wait until tor has bootstrapped"
	if len(extra) == 0 {
		msg += " (a machine without Internet access never bootstraps to the public Tor network: that is expected there; use --demo for the offline private network or --tor-socks for a running tor)"
	}
	logger.Info(msg, "socks", mt.SOCKSAddr(), "control", mt.ControlAddr(), "data", filepath.Join(dir, "tor"))
	return mt, nil
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

// transport is the activities' Transport func: the crawl's fail-closed Tor
// transport (see tor.Router.Transport).
func (tn *torNet) transport(crawlID string) (http.RoundTripper, error) {
	return tn.router.Transport(crawlID)
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
	tn.private, tn.socks = pn, pn.SOCKSAddr()
	tn.router.SetSOCKS(pn.SOCKSAddr())
	return []string{"http://" + pn.Onion("forum") + "/", "http://" + pn.Onion("market") + "/"}, []*demo.Site{forum, market}, nil
}
