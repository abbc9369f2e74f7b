package web

import (
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits of the HTTP server (NewHTTPServer, LimitListener) and of request
// bodies (Config.BodyTimeout, Config.UploadTimeout).
const (
	// HeaderTimeout bounds reading a request's headers.
	HeaderTimeout = 10 * time.Second
	// BodyTimeout bounds receiving a request body (JSON, secrets).
	BodyTimeout = 30 * time.Second
	// UploadTimeout bounds receiving a photo or watchlist upload (up to
	// MaxUpload bytes).
	UploadTimeout = 5 * time.Minute
	// WriteTimeout bounds a request from its headers to the end of its
	// answer; no route streams.
	WriteTimeout = 5 * time.Minute
	// IdleTimeout closes a keep-alive connection left idle this long.
	IdleTimeout = time.Minute
	// MaxConnsPerClient bounds the connections one client address holds
	// open (LimitListener); behind a reverse proxy, every client is the
	// proxy.
	MaxConnsPerClient = 64
)

// uploadRoutes are the routes whose bodies get UploadTimeout.
var uploadRoutes = map[string]bool{"POST /api/match": true, "POST /api/watchlists": true}

// NewHTTPServer returns the http.Server of h with Vigil's timeouts. It sets
// no ReadTimeout: the Server bounds each request body itself (its
// BodyTimeout or UploadTimeout), and lifts the bound once the body is read,
// so a long request (a case purge) is not cancelled half-way.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: HeaderTimeout, WriteTimeout: WriteTimeout,
		IdleTimeout: IdleTimeout, MaxHeaderBytes: 64 << 10}
}

// limitBody gives the body of r, if it has one, a read deadline: the
// route's timeout from now, lifted when the body has been read to its end.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return
	}
	d := s.cfg.BodyTimeout
	if uploadRoutes[r.Method+" "+r.URL.Path] {
		d = s.cfg.UploadTimeout
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil {
		return // not a network connection (tests)
	}
	r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
}

// deadlineBody lifts the connection's read deadline once the body ends.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// ClientLimitListener accepts at most a fixed number of open connections
// per client address; a connection over the limit is closed at once.
type ClientLimitListener struct {
	net.Listener
	per int

	mu    sync.Mutex
	open  map[string]int
	total int
}

// LimitListener wraps ln so that each client address holds at most
// perClient connections.
func LimitListener(ln net.Listener, perClient int) *ClientLimitListener {
	return &ClientLimitListener{Listener: ln, per: perClient, open: map[string]int{}}
}

// Accept returns the next connection of a client under its limit.
func (l *ClientLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientOf(c.RemoteAddr().String())
		l.mu.Lock()
		if l.open[ip] >= l.per {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open[ip]++
		l.total++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, ip: ip}, nil
	}
}

// Open returns the number of connections open now.
func (l *ClientLimitListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

func (l *ClientLimitListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

type limitedConn struct {
	net.Conn
	l    *ClientLimitListener
	ip   string
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() { c.l.release(c.ip) })
	return c.Conn.Close()
}

// clientOf is the address part of a remote address "host:port".
func clientOf(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// Failed authentications allowed per client address: AuthFailureBurst at
// once, then one every authFailureRefill.
const (
	AuthFailureBurst  = 10
	authFailureRefill = 6 * time.Second
	maxThrottled      = 10000
)

// failureLimiter counts failed authentications per client address (a
// token bucket each, golang.org/x/time/rate). It is safe for concurrent
// use and tracks at most maxThrottled addresses.
type failureLimiter struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// blocked reports whether the client has no failure left to spend.
func (f *failureLimiter) blocked(client string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	lim, ok := f.m[client]
	return ok && lim.Tokens() < 1
}

// fail spends one of the client's failures.
func (f *failureLimiter) fail(client string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]*rate.Limiter{}
	}
	lim, ok := f.m[client]
	if !ok {
		if len(f.m) >= maxThrottled {
			for k, l := range f.m { // forget the addresses that recovered
				if l.Tokens() >= AuthFailureBurst {
					delete(f.m, k)
				}
			}
		}
		if len(f.m) >= maxThrottled {
			clear(f.m)
		}
		lim = rate.NewLimiter(rate.Every(authFailureRefill), AuthFailureBurst)
		f.m[client] = lim
	}
	lim.Allow()
}
