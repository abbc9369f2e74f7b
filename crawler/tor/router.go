package tor

import (
	"log/slog"
	"net/http"
	"sync"
)

// RouterConfig configures NewRouter. SOCKSAddr and Direct are as in Config;
// a Router without either refuses every request while Starting is set and
// otherwise fails to make a transport, until SetSOCKS names a proxy.
type RouterConfig struct {
	SOCKSAddr string
	Direct    bool
	// Managed, if set, is the tor at SOCKSAddr that vigil runs itself: the
	// transports wait for its bootstrap behind a Gate, and a crawl that
	// waits is logged once per progress figure.
	Managed BootstrapStatus
	// Starting, if set, is the refusal of every request while no SOCKS
	// address is set: a network that is still starting (each request fails
	// with a copy of it, and nothing is sent).
	Starting *ProxyError
	// Logger receives connection retries and crawls waiting for the
	// managed tor; nil means slog.Default().
	Logger *slog.Logger
}

// Router hands each crawl its fail-closed transport (see Transport): the
// network side crawls go through. Its methods are safe for concurrent use.
type Router struct {
	cfg    RouterConfig
	mu     sync.Mutex
	socks  string
	warned map[string]int // crawl ID → last bootstrap progress logged
}

// NewRouter returns a Router for cfg.
func NewRouter(cfg RouterConfig) *Router {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Router{cfg: cfg, socks: cfg.SOCKSAddr, warned: map[string]int{}}
}

// SetSOCKS points the transports made from now on at the SOCKS proxy addr,
// e.g. once a network that was Starting is up.
func (r *Router) SetSOCKS(addr string) {
	r.mu.Lock()
	r.socks = addr
	r.mu.Unlock()
}

// Transport returns the transport of one crawl: the fail-closed Tor
// transport (NewTransport) with crawlID as isolation key, retries logged.
// While a Starting network has no SOCKS address yet, every request is
// refused with a *ProxyError. With a Managed tor that has not bootstrapped
// yet, every request fails with a *ProxyError saying "tor is still
// bootstrapping (NN%)" (see Gate): the crawler stops the batch without
// reporting pages as failed, and the caller retries it later.
func (r *Router) Transport(crawlID string) (http.RoundTripper, error) {
	r.mu.Lock()
	socks := r.socks
	r.mu.Unlock()
	if r.cfg.Starting != nil && socks == "" {
		return refuse(r.cfg.Starting), nil
	}
	rt, err := NewTransport(Config{SOCKSAddr: socks, Direct: r.cfg.Direct, IsolationKey: crawlID,
		OnRetry: func(target string, attempt int, err error) {
			r.cfg.Logger.Info("tor connection retried on a new circuit", "crawl", crawlID, "target", target, "attempt", attempt, "error", err)
		}})
	if err != nil {
		return nil, err
	}
	if r.cfg.Managed == nil {
		return rt, nil
	}
	return NewGate(r.cfg.Managed, rt, func(progress int, reason error) { r.noteWaiting(crawlID, progress, reason) }), nil
}

// noteWaiting logs, once per crawl and progress figure, that a crawl waits
// for tor.
func (r *Router) noteWaiting(crawlID string, progress int, reason error) {
	r.mu.Lock()
	last, seen := r.warned[crawlID]
	r.warned[crawlID] = progress
	r.mu.Unlock()
	if !seen || last != progress {
		r.cfg.Logger.Warn("crawl waits for tor; the batch is retried", "crawl", crawlID, "reason", reason)
	}
}
