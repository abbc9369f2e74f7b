package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/cases/audit"
)

// openServer is a server without any token (the loopback default) that
// says it listens on 127.0.0.1:8080.
func openServer(t *testing.T) (*Server, *audit.Log) {
	t.Helper()
	log, ts := logAndTokens(t)
	return New(Config{Store: fakeStore{}, Crawls: fakeCrawls{}, Audit: log, Tokens: ts, Addr: "127.0.0.1:8080"}), log
}

func serveHost(h http.Handler, method, path, host, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = host
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestOpenServerAnswersOnlyItsLoopbackNames: a server that needs no token
// answers only requests whose Host is 127.0.0.1, localhost or [::1] with
// its port, so a web page cannot drive it through a DNS name rebound to
// 127.0.0.1 (issue 21, finding 2).
func TestOpenServerAnswersOnlyItsLoopbackNames(t *testing.T) {
	srv, _ := openServer(t)
	for _, tc := range []struct {
		method, path, host, body string
		want                     int
	}{
		{"GET", "/api/audit", "127.0.0.1:8080", "", 200},
		{"GET", "/api/audit", "localhost:8080", "", 200},
		{"GET", "/api/audit", "[::1]:8080", "", 200},
		{"GET", "/api/audit", "rebind.example:8080", "", 403},
		{"POST", "/api/crawls", "rebind.example:8080", `{"seeds":["http://x.onion/"]}`, 403},
		{"GET", "/", "rebind.example:8080", "", 403},
		{"GET", "/api/health", "rebind.example:8080", "", 403},
		{"GET", "/api/audit", "127.0.0.1:9999", "", 403},
		{"GET", "/api/audit", "127.0.0.1", "", 403},
		{"GET", "/api/audit", "localhost.rebind.example:8080", "", 403},
	} {
		t.Run(tc.method+" "+tc.path+" for Host "+tc.host+" answers "+http.StatusText(tc.want), func(t *testing.T) {
			if w := serveHost(srv, tc.method, tc.path, tc.host, tc.body); w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
		})
	}
}

// TestExistingTokensEndTheLocalAdmin: once the token store holds a token,
// a request without one is refused on every route, loopback or not: there
// is no implicit local admin beside real tokens (issue 21, finding 2).
func TestExistingTokensEndTheLocalAdmin(t *testing.T) {
	srv, _ := openServer(t)
	if w := serveHost(srv, "GET", "/api/audit", "127.0.0.1:8080", ""); w.Code != 200 {
		t.Fatalf("before any token: GET /api/audit without a token = %d, want 200 (local admin)", w.Code)
	}
	tok, _, err := srv.cfg.Tokens.Create("alice", RoleAdmin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/audit", "/api/search?q=x", "/", "/crawls"} {
		if w := serveHost(srv, "GET", path, "127.0.0.1:8080", ""); w.Code != 401 {
			t.Errorf("with a token in the store: GET %s without a token = %d, want 401", path, w.Code)
		}
	}
	req := httptest.NewRequest("GET", "/api/audit", nil)
	req.Host = "tunnel.example:443" // a token holder may come through any name
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Errorf("with the token: GET /api/audit = %d, want 200", w.Code)
	}
}

// signIn posts token to /login and returns the answer.
func signIn(srv http.Handler, token, remote string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = remote
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w
}

func withCookie(srv http.Handler, method, path string, c *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.AddCookie(c)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w
}

// TestSignInMakesAServerSideSession: the page's cookie is a random session
// ID, not the token; it carries Max-Age, HttpOnly, SameSite=Strict, and
// Secure whenever the server is told so (not on loopback, or an https
// public URL); logging out, revoking the token or the session's end make
// the same cookie worthless (issue 21, finding 4).
func TestSignInMakesAServerSideSession(t *testing.T) {
	f := newFixture(t, true)
	w := signIn(f.srv, f.tokens["viewer"], "192.0.2.1:1000")
	cs := w.Result().Cookies()
	if w.Code != 303 || len(cs) != 1 {
		t.Fatalf("sign-in = %d, cookies %v", w.Code, cs)
	}
	c := cs[0]
	if c.Value == f.tokens["viewer"] || strings.Contains(c.Value, f.tokens["viewer"]) || len(c.Value) < 32 {
		t.Errorf("the session cookie holds the bearer token or is short: %q", c.Value)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.MaxAge <= 0 || c.MaxAge > int(SessionTTL/time.Second) || c.Secure {
		t.Errorf("cookie %+v; want HttpOnly, SameSite=Strict, Max-Age in (0, %v], not Secure on loopback", c, SessionTTL)
	}
	if w := withCookie(f.srv, "GET", "/api/search?q=x", c); w.Code != 200 {
		t.Fatalf("the session cookie is refused: %d %s", w.Code, w.Body)
	}
	if w := withCookie(f.srv, "POST", "/logout", c); w.Code != 303 {
		t.Fatalf("logout = %d", w.Code)
	}
	if w := withCookie(f.srv, "GET", "/api/search?q=x", c); w.Code != 401 {
		t.Errorf("the cookie still works after logout: %d", w.Code)
	}

	// Revoking the token ends its sessions.
	c = signIn(f.srv, f.tokens["analyst"], "192.0.2.1:1000").Result().Cookies()[0]
	if err := f.srv.cfg.Tokens.Revoke("analyst-user"); err != nil {
		t.Fatal(err)
	}
	if w := withCookie(f.srv, "GET", "/api/search?q=x", c); w.Code != 401 {
		t.Errorf("a session outlives its revoked token: %d", w.Code)
	}

	// A session ends after SessionTTL.
	c = signIn(f.srv, f.tokens["investigator"], "192.0.2.1:1000").Result().Cookies()[0]
	f.srv.sessions.now = func() time.Time { return time.Now().Add(SessionTTL + time.Minute) }
	if w := withCookie(f.srv, "GET", "/api/search?q=x", c); w.Code != 401 {
		t.Errorf("a session outlives SessionTTL: %d", w.Code)
	}
	f.srv.sessions.now = time.Now

	cfg := f.srv.cfg
	cfg.SecureCookies = true
	secure := New(cfg)
	if c := signIn(secure, f.tokens["admin"], "192.0.2.1:1000").Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("with SecureCookies the cookie is %+v; want Secure", c)
	}
}

// TestFailedSignInsAreThrottledAndAudited: each failed authentication is
// audited; after AuthFailureBurst failures from one address, its requests
// carrying credentials are refused (429) without being checked, while
// another address still signs in (issue 21, finding 5).
func TestFailedSignInsAreThrottledAndAudited(t *testing.T) {
	f := newFixture(t, true)
	bearer := func(token, remote string) int {
		req := httptest.NewRequest("GET", "/api/search?q=x", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, req)
		return w.Code
	}
	for i := range AuthFailureBurst {
		var code int
		if i%2 == 0 {
			code = bearer(fmt.Sprintf("vigil_guess%d", i), "198.51.100.7:4000")
		} else {
			code = signIn(f.srv, fmt.Sprintf("vigil_guess%d", i), "198.51.100.7:4001").Code
		}
		if code != 401 {
			t.Fatalf("guess %d = %d, want 401", i, code)
		}
	}
	if code := bearer(f.tokens["viewer"], "198.51.100.7:4002"); code != 429 {
		t.Errorf("after %d failures, even a good token from the same address = %d, want 429", AuthFailureBurst, code)
	}
	if code := signIn(f.srv, "vigil_another", "198.51.100.7:4003").Code; code != 429 {
		t.Errorf("after %d failures, a sign-in from the same address = %d, want 429", AuthFailureBurst, code)
	}
	if code := bearer(f.tokens["viewer"], "203.0.113.9:5000"); code != 200 {
		t.Errorf("another address = %d, want 200", code)
	}
	es, total, err := f.log.Search(audit.Filter{Action: "auth.fail"})
	if err != nil || total != AuthFailureBurst {
		t.Fatalf("audit auth.fail entries = %d (%v); want %d (throttled requests are not checked, so not entries)", total, err, AuthFailureBurst)
	}
	if es[0].Query["client"] != "198.51.100.7" || strings.Contains(fmt.Sprint(es), "vigil_guess") {
		t.Errorf("audit entry %+v: want the client address and never the token tried", es[0])
	}
}

// limitedServer serves srv over HTTP on 127.0.0.1 with the connection and
// body limits vigil uses, bodyTimeout and perClient connections aside.
func limitedServer(t *testing.T, srv *Server, perClient int) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener.Close()
	hs.Listener = LimitListener(ln, perClient)
	hs.Config = NewHTTPServer(srv)
	hs.Start()
	t.Cleanup(hs.Close)
	return hs
}

// TestATrickledBodyIsCutOff: a request body sent a byte at a time is
// answered 408 once the body deadline passes, long before the client would
// finish (issue 21, finding 3).
func TestATrickledBodyIsCutOff(t *testing.T) {
	f := newFixture(t, true)
	cfg := f.srv.cfg
	cfg.BodyTimeout = 300 * time.Millisecond
	hs := limitedServer(t, New(cfg), 8)
	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 2000
	fmt.Fprintf(conn, "POST /api/crawls HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{",
		hs.Listener.Addr(), f.tokens["investigator"], size)
	var mu sync.Mutex
	sent := 1
	go func() {
		tick := time.NewTicker(20 * time.Millisecond) // 2000 bytes would take 40 s
		defer tick.Stop()
		for range tick.C {
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
			mu.Lock()
			sent++
			done := sent == size
			mu.Unlock()
			if done {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a guard: the test fails, rather than hangs, without a limit
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	mu.Lock()
	defer mu.Unlock()
	if resp.StatusCode != http.StatusRequestTimeout || sent >= size {
		t.Fatalf("trickled body: %s %s after %d of %d bytes; want 408 before the body ends", resp.Status, body, sent, size)
	}
}

// TestIdleConnectionsPerClientAreBounded opens 2,000 keep-alive
// connections from one address: at most the per-client limit are served
// and stay open; the rest are closed at once (issue 21, finding 3).
func TestIdleConnectionsPerClientAreBounded(t *testing.T) {
	srv, _ := openServer(t)
	const perClient, total = 32, 2000
	hs := limitedServer(t, srv, perClient)
	addr := hs.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	srv.cfg.Addr = "127.0.0.1:" + port
	var served, refused int
	conns := make([]net.Conn, 0, total)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range total {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(30 * time.Second)) // a guard against a hang
		fmt.Fprintf(c, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n", port)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			refused++
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == 200 && !resp.Close {
			served++
		} else {
			refused++
		}
	}
	if served == 0 || served > perClient || served+refused != total {
		t.Fatalf("%d of %d keep-alive connections from one address were served and kept; want between 1 and %d", served, total, perClient)
	}
	if open := hs.Listener.(*ClientLimitListener).Open(); open > perClient {
		t.Fatalf("the server holds %d connections of one client; want at most %d", open, perClient)
	}
}
