// Package tor provides the fail-closed network transport of Vigil's crawler:
// every connection goes through a SOCKS5 proxy (tor's SocksPort) with remote
// name resolution, one circuit per target host, or, in an explicit lab mode,
// directly to loopback addresses only. Nothing in this package resolves a
// host name.
//
// The SOCKS5 client is this package's own (RFC 1928 and RFC 1929, see
// socks.go), so that tor's reply codes come back structured as *SOCKSError
// and an unreachable proxy as *ProxyError.
//
// A Router hands each crawl its transport: it refuses every request while
// the network is still starting, and puts a Gate in front of a managed tor
// that has not bootstrapped yet (gate.go, router.go).
package tor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures NewTransport. Exactly one of SOCKSAddr and Direct must be
// set.
type Config struct {
	// SOCKSAddr is the host:port of tor's SocksPort. Tor should run it with
	// IsolateSOCKSAuth (the default) so that each SOCKS username gets its own
	// circuit.
	SOCKSAddr string
	// Direct is the lab mode: no proxy, and only literal loopback IPs
	// (127.0.0.0/8, ::1) and "localhost" (mapped to 127.0.0.1 without any DNS
	// lookup) may be reached. Any other host is refused before anything is
	// dialed, with an error wrapping ErrNotLoopback.
	Direct bool
	// IsolationKey prefixes every SOCKS username (IsolationKey + "/" +
	// host:port), e.g. the crawl ID, so circuits are per crawl and per site.
	IsolationKey string
	// DialTimeout bounds one attempt at connecting to the proxy, the SOCKS
	// handshake and tor's circuit and connection set-up. Zero means 30s.
	DialTimeout time.Duration
	// Retries is how many more times a connection is attempted after a
	// transient failure: a SOCKS reply that is not Permanent (0x01 general
	// failure, 0xF2 introduction failed, 0xF7 introduction timed out, ...),
	// a timeout, or the proxy hanging up mid-handshake. Each retry waits
	// RetryBackoff, doubled every time, and uses a fresh SOCKS username, so
	// tor builds a new circuit (a circuit to an onion service that went away
	// can stay silent for minutes). Permanent SOCKS errors and an unreachable
	// proxy (*ProxyError) are never retried here. Zero means 2; negative
	// means none.
	Retries int
	// RetryBackoff is the wait before the first retry. Zero means 1s.
	RetryBackoff time.Duration
	// OnRetry, if set, is called before each retry with the target
	// host:port, the attempt about to be made (2, 3, ...) and the error of
	// the previous one. It may be called from several goroutines at once.
	OnRetry func(target string, attempt int, err error)
}

// ErrNotLoopback is wrapped by the error returned for a non-loopback host in
// Direct mode.
var ErrNotLoopback = errors.New("direct mode reaches only loopback addresses (127.0.0.0/8, ::1, localhost)")

// Transport limits. Response bodies are bounded by the crawler; the
// transports bound headers and pooled connections.
const (
	maxResponseHeaderBytes = 1 << 20
	maxIdleConnsPerHost    = 16
	maxIdleConns           = 64
	idleConnTimeout        = 90 * time.Second
	tlsHandshakeTimeout    = 30 * time.Second
	maxHosts               = 1024
)

// NewTransport returns an http.RoundTripper that sends every request either
// through the SOCKS5 proxy cfg.SOCKSAddr or, with cfg.Direct, to loopback
// only. It keeps one *http.Transport per target host:port, each with its own
// SOCKS username, so tor builds a separate circuit per site. If the proxy
// cannot be reached the request fails with an error wrapping *ProxyError and
// nothing is sent anywhere else. Refusals of the proxy to connect a target
// are *SOCKSError. The returned value is safe for concurrent use and
// implements CloseIdleConnections.
func NewTransport(cfg Config) (http.RoundTripper, error) {
	switch {
	case cfg.SOCKSAddr == "" && !cfg.Direct:
		return nil, errors.New("no Tor SOCKS proxy configured: pass --tor-socks ADDR, or --direct for loopback lab sites")
	case cfg.SOCKSAddr != "" && cfg.Direct:
		return nil, errors.New("both a Tor SOCKS proxy and direct mode configured: choose one")
	}
	if cfg.SOCKSAddr != "" {
		if _, _, err := net.SplitHostPort(cfg.SOCKSAddr); err != nil {
			return nil, fmt.Errorf("tor socks address %q: %w", cfg.SOCKSAddr, err)
		}
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = defaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = defaultRetryBackoff
	}
	return &transport{cfg: cfg, hosts: make(map[string]*http.Transport)}, nil
}

type transport struct {
	cfg   Config
	mu    sync.Mutex
	hosts map[string]*http.Transport // by canonical host:port
}

// RoundTrip sends req through the transport of its target host.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	hostport, err := targetHostPort(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if t.cfg.Direct {
		if _, err := loopbackAddr(hostport); err != nil {
			closeBody(req)
			return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
		}
	}
	return t.transportFor(hostport).RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of every host's transport.
func (t *transport) CloseIdleConnections() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ht := range t.hosts {
		ht.CloseIdleConnections()
	}
}

func (t *transport) transportFor(hostport string) *http.Transport {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ht, ok := t.hosts[hostport]; ok {
		return ht
	}
	if len(t.hosts) >= maxHosts {
		// A crawl stays on its seed hosts; this only bounds memory if a
		// caller sends requests to very many hosts.
		for k, ht := range t.hosts {
			ht.CloseIdleConnections()
			delete(t.hosts, k)
		}
	}
	ht := &http.Transport{
		Proxy:                  nil,
		DialContext:            t.dialerFor(hostport),
		ForceAttemptHTTP2:      false,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		IdleConnTimeout:        idleConnTimeout,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
	}
	t.hosts[hostport] = ht
	return ht
}

func (t *transport) dialerFor(hostport string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if t.cfg.Direct {
		nd := &net.Dialer{Timeout: t.cfg.DialTimeout}
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			// Checked again here so no code path can dial a non-loopback
			// address.
			ip, err := loopbackAddr(addr)
			if err != nil {
				return nil, err
			}
			return nd.DialContext(ctx, "tcp", ip)
		}
	}
	r := &retryDialer{
		socksDialer: socksDialer{
			proxyAddr: t.cfg.SOCKSAddr,
			username:  isolationUsername(t.cfg.IsolationKey, hostport),
			password:  isolationPassword,
			timeout:   t.cfg.DialTimeout,
		},
		retries: t.cfg.Retries,
		backoff: t.cfg.RetryBackoff,
		onRetry: t.cfg.OnRetry,
	}
	return r.DialContext
}

// retryDialer retries a socksDialer's transient failures with backoff, each
// time on a fresh circuit.
type retryDialer struct {
	socksDialer
	retries int
	backoff time.Duration
	onRetry func(target string, attempt int, err error)
	mu      sync.Mutex
	fresh   int // retries so far: the suffix of the next fresh username
}

// DialContext dials addr through the proxy, retrying transient failures.
func (r *retryDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := r.socksDialer
	wait := r.backoff
	for attempt := 1; ; attempt++ {
		conn, err := d.DialContext(ctx, network, addr)
		if err == nil || attempt > r.retries || ctx.Err() != nil || !Transient(err) {
			return conn, err
		}
		if r.onRetry != nil {
			r.onRetry(addr, attempt+1, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (retry after: %v)", ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
		// A new username means a new circuit; the site keeps a username of
		// its own, so isolation between sites holds.
		r.mu.Lock()
		r.fresh++
		d.username = isolationUsername(r.socksDialer.username, strconv.Itoa(r.fresh))
		r.mu.Unlock()
	}
}

// Transient reports whether a dial error is worth retrying: a SOCKS reply
// that is not Permanent, or a failure of the connection to a proxy that did
// answer (timeout, hang-up). An unreachable proxy (*ProxyError) and
// permanent SOCKS errors are not transient.
func Transient(err error) bool {
	if err == nil || IsProxyDown(err) {
		return false
	}
	var se *SOCKSError
	if errors.As(err, &se) {
		return !se.Permanent()
	}
	var ae *addressError
	return !errors.As(err, &ae)
}

// targetHostPort returns the lower-case host:port of req's URL, with the
// scheme's default port filled in.
func targetHostPort(req *http.Request) (string, error) {
	if req.URL == nil {
		return "", errors.New("request without URL")
	}
	var defPort string
	switch req.URL.Scheme {
	case "http":
		defPort = "80"
	case "https":
		defPort = "443"
	default:
		return "", fmt.Errorf("%s: scheme %q not supported (http and https only)", req.URL.Redacted(), req.URL.Scheme)
	}
	host := strings.TrimSuffix(strings.ToLower(req.URL.Hostname()), ".")
	if host == "" {
		return "", fmt.Errorf("%s: no host", req.URL.Redacted())
	}
	port := req.URL.Port()
	if port == "" {
		port = defPort
	}
	return net.JoinHostPort(host, port), nil
}

// loopbackAddr returns the address to dial for hostport in Direct mode:
// literal loopback IPs as they are, "localhost" as 127.0.0.1. Anything else
// is refused, without any name lookup.
func loopbackAddr(hostport string) (string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", fmt.Errorf("direct dial %s: %w", hostport, err)
	}
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return net.JoinHostPort(ip.String(), port), nil
	}
	return "", fmt.Errorf("refusing %s: %w", hostport, ErrNotLoopback)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
