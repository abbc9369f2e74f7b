package tor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"vigil"
)

// connectRecord is what the fake proxy saw of one CONNECT request.
type connectRecord struct {
	Username string
	Password string
	Atyp     byte
	Host     string
	Port     uint16
}

// fakeSOCKS is a SOCKS5 server on 127.0.0.1 that records every CONNECT and
// "resolves" every name to 127.0.0.1, so tests can route names to local
// servers. Replies maps a host name to a reply code to send instead of
// connecting.
type fakeSOCKS struct {
	ln      net.Listener
	replies map[string]byte
	byUser  map[string]byte          // SOCKS username → reply code; wins over replies
	hang    map[string]chan struct{} // host → closed when its CONNECT arrived; never answered
	mu      sync.Mutex
	records []connectRecord
	wg      sync.WaitGroup
}

func newFakeSOCKS(t *testing.T) *fakeSOCKS {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSOCKS{ln: ln, replies: map[string]byte{}, byUser: map[string]byte{}, hang: map[string]chan struct{}{}}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return f
}

func (f *fakeSOCKS) Addr() string { return f.ln.Addr().String() }

func (f *fakeSOCKS) Records() []connectRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]connectRecord(nil), f.records...)
}

func (f *fakeSOCKS) serve(c net.Conn) {
	defer c.Close()
	var rec connectRecord
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil || buf[0] != 5 {
		return
	}
	methods := make([]byte, buf[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return
	}
	if strings.IndexByte(string(methods), 2) >= 0 {
		c.Write([]byte{5, 2})
		var h [2]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		u := make([]byte, h[1])
		io.ReadFull(c, u)
		var pl [1]byte
		io.ReadFull(c, pl[:])
		p := make([]byte, pl[0])
		if _, err := io.ReadFull(c, p); err != nil {
			return
		}
		rec.Username, rec.Password = string(u), string(p)
		c.Write([]byte{1, 0})
	} else {
		c.Write([]byte{5, 0})
	}
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return
	}
	rec.Atyp = req[3]
	switch req[3] {
	case 1:
		a := make([]byte, 4)
		io.ReadFull(c, a)
		rec.Host = net.IP(a).String()
	case 4:
		a := make([]byte, 16)
		io.ReadFull(c, a)
		rec.Host = net.IP(a).String()
	case 3:
		var l [1]byte
		io.ReadFull(c, l[:])
		a := make([]byte, l[0])
		io.ReadFull(c, a)
		rec.Host = string(a)
	}
	var pb [2]byte
	if _, err := io.ReadFull(c, pb[:]); err != nil {
		return
	}
	rec.Port = binary.BigEndian.Uint16(pb[:])
	f.mu.Lock()
	f.records = append(f.records, rec)
	code, hasCode := f.replies[rec.Host]
	if c, ok := f.byUser[rec.Username]; ok {
		code, hasCode = c, true
	}
	hang := f.hang[rec.Host]
	f.mu.Unlock()
	if hang != nil {
		close(hang)
		io.Copy(io.Discard, c) // until the client gives up
		return
	}
	if hasCode {
		c.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	up, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(rec.Port)))
	if err != nil {
		c.Write([]byte{5, CodeConnectionRefused, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	done := make(chan struct{})
	go func() {
		io.Copy(up, c)
		up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, up)
	c.(*net.TCPConn).CloseWrite()
	<-done
}

// countingServer is an HTTP server on 127.0.0.1 that counts the TCP
// connections it accepts.
func countingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	_, p, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func get(t *testing.T, rt http.RoundTripper, url string) (string, error) {
	t.Helper()
	return getCtx(context.Background(), rt, url)
}

func getCtx(ctx context.Context, rt http.RoundTripper, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestNewTransportRequiresAProxyOrDirectMode(t *testing.T) {
	_, err := NewTransport(Config{})
	if err == nil || !strings.Contains(err.Error(), "--tor-socks") || !strings.Contains(err.Error(), "--direct") {
		t.Fatalf("err = %v, want the no-proxy message", err)
	}
	if _, err := NewTransport(Config{SOCKSAddr: "127.0.0.1:9050", Direct: true}); err == nil {
		t.Fatal("both SOCKSAddr and Direct accepted")
	}
	if _, err := NewTransport(Config{SOCKSAddr: "no-port"}); err == nil {
		t.Fatal("SOCKSAddr without a port accepted")
	}
}

func TestSOCKSReceivesTheHostNameNeverAnIP(t *testing.T) {
	backend, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.Host)
	}))
	proxy := newFakeSOCKS(t)
	rt, err := NewTransport(Config{SOCKSAddr: proxy.Addr(), IsolationKey: "crawl-1"})
	if err != nil {
		t.Fatal(err)
	}
	p := port(t, backend)
	body, err := get(t, rt, "http://Site-A.test:"+p+"/")
	if err != nil {
		t.Fatal(err)
	}
	if body != "hello Site-A.test:"+p {
		t.Errorf("body = %q", body)
	}
	recs := proxy.Records()
	if len(recs) != 1 {
		t.Fatalf("%d CONNECTs, want 1: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.Atyp != 3 || r.Host != "site-a.test" || fmt.Sprint(r.Port) != p {
		t.Errorf("CONNECT = %+v, want ATYP 3 site-a.test:%s", r, p)
	}
	if r.Username != "crawl-1/site-a.test:"+p || r.Password == "" {
		t.Errorf("credentials = %q/%q", r.Username, r.Password)
	}
}

func TestEachTargetHostGetsItsOwnSOCKSUsername(t *testing.T) {
	backend, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	proxy := newFakeSOCKS(t)
	rt, err := NewTransport(Config{SOCKSAddr: proxy.Addr(), IsolationKey: "c9"})
	if err != nil {
		t.Fatal(err)
	}
	p := port(t, backend)
	for _, h := range []string{"a.test", "b.test", "a.test"} {
		if _, err := get(t, rt, "http://"+h+":"+p+"/x"); err != nil {
			t.Fatal(err)
		}
	}
	users := map[string]string{}
	for _, r := range proxy.Records() {
		if prev, ok := users[r.Host]; ok && prev != r.Username {
			t.Errorf("host %s used usernames %q and %q", r.Host, prev, r.Username)
		}
		users[r.Host] = r.Username
	}
	if len(users) != 2 || users["a.test"] == users["b.test"] {
		t.Fatalf("usernames per host = %v, want two distinct", users)
	}
	if users["a.test"] != "c9/a.test:"+p {
		t.Errorf("username = %q", users["a.test"])
	}
}

func TestProxyDownFailsClosedAndTheCanaryIsNeverContacted(t *testing.T) {
	canary, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "leaked")
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	rt, err := NewTransport(Config{SOCKSAddr: dead, IsolationKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{canary.URL + "/", "http://localhost:" + port(t, canary) + "/", "http://canary.test:" + port(t, canary) + "/"} {
		_, err := get(t, rt, u)
		if err == nil {
			t.Fatalf("GET %s through a dead proxy succeeded", u)
		}
		var pe *ProxyError
		if !errors.As(err, &pe) || pe.Addr != dead {
			t.Errorf("GET %s: err = %v, want a *ProxyError for %s", u, err, dead)
		}
		if !IsProxyDown(err) || vigil.ErrorCode(err) != vigil.EUNAVAILABLE {
			t.Errorf("GET %s: IsProxyDown = %v, code = %q", u, IsProxyDown(err), vigil.ErrorCode(err))
		}
		if !strings.Contains(err.Error(), "unavailable") {
			t.Errorf("error does not say the proxy is down: %v", err)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("canary received %d connections, want 0", n)
	}
}

func TestDirectModeRefusesNonLoopbackHostsWithoutDialing(t *testing.T) {
	rt, err := NewTransport(Config{Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://example.com/", "http://10.0.0.1/", "https://example.com:8443/x", "http://127.1/", "http://localhost.example/", "http://[::ffff:10.0.0.1]/"} {
		_, err := get(t, rt, u)
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("GET %s: err = %v, want ErrNotLoopback", u, err)
		}
	}
	if n := len(rt.(*transport).hosts); n != 0 {
		t.Fatalf("%d per-host transports were created for refused hosts, want 0 (nothing dialed)", n)
	}
}

func TestDirectModeReachesLoopbackAndLocalhost(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "lab")
	}))
	rt, err := NewTransport(Config{Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	p := port(t, srv)
	for _, u := range []string{"http://127.0.0.1:" + p + "/", "http://localhost:" + p + "/", "http://LOCALHOST.:" + p + "/"} {
		body, err := get(t, rt, u)
		if err != nil || body != "lab" {
			t.Errorf("GET %s = %q, %v", u, body, err)
		}
	}
	if conns.Load() == 0 {
		t.Fatal("lab server saw no connection")
	}
}

func TestARedirectToAnotherHostAlsoGoesThroughTheProxy(t *testing.T) {
	final, finalConns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "final "+r.Host)
	}))
	fp := port(t, final)
	start, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://other.test:"+fp+"/landing", http.StatusFound)
	}))
	proxy := newFakeSOCKS(t)
	rt, err := NewTransport(Config{SOCKSAddr: proxy.Addr(), IsolationKey: "r"})
	if err != nil {
		t.Fatal(err)
	}
	sp := port(t, start)
	body, err := get(t, rt, "http://start.test:"+sp+"/")
	if err != nil {
		t.Fatal(err)
	}
	if body != "final other.test:"+fp {
		t.Fatalf("body = %q", body)
	}
	recs := proxy.Records()
	if len(recs) != 2 {
		t.Fatalf("CONNECTs = %+v, want 2", recs)
	}
	if recs[0].Host != "start.test" || recs[1].Host != "other.test" || recs[1].Atyp != 3 {
		t.Errorf("CONNECT targets = %+v, want start.test then other.test by name", recs)
	}
	if recs[0].Username == recs[1].Username {
		t.Errorf("both hosts used username %q", recs[0].Username)
	}
	// The only connection the final server saw is the proxy's.
	if n := finalConns.Load(); n != 1 {
		t.Errorf("final server saw %d connections, want 1 (from the proxy)", n)
	}
}

func TestSOCKSReplyCodesAreStructured(t *testing.T) {
	proxy := newFakeSOCKS(t)
	proxy.replies["missing.onion"] = CodeOnionDescNotFound
	proxy.replies["bad.onion"] = CodeOnionInvalidAddress
	proxy.replies["down.onion"] = CodeOnionIntroFailed
	proxy.replies["flaky.onion"] = CodeGeneralFailure
	rt, err := NewTransport(Config{SOCKSAddr: proxy.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host      string
		code      byte
		permanent bool
	}{
		{"missing.onion", 0xF0, true},
		{"bad.onion", 0xF6, true},
		{"down.onion", 0xF2, false},
		{"flaky.onion", 0x01, false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			_, err := get(t, rt, "http://"+tt.host+"/")
			var se *SOCKSError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SOCKSError", err)
			}
			if se.Code != tt.code || se.Permanent() != tt.permanent {
				t.Errorf("code 0x%02X permanent %v, want 0x%02X %v", se.Code, se.Permanent(), tt.code, tt.permanent)
			}
			if IsProxyDown(err) {
				t.Error("a SOCKS reply was reported as proxy down")
			}
			if !strings.Contains(se.Error(), tt.host+":80") {
				t.Errorf("error %q does not name the target", se.Error())
			}
		})
	}
}

func TestCancellingTheContextAbortsAHangingCONNECT(t *testing.T) {
	proxy := newFakeSOCKS(t)
	arrived := make(chan struct{})
	proxy.hang["slow.onion"] = arrived
	rt, err := NewTransport(Config{SOCKSAddr: proxy.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := getCtx(ctx, rt, "http://slow.onion/")
		errc <- err
	}()
	<-arrived
	cancel()
	err = <-errc
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if IsProxyDown(err) {
		t.Error("a cancelled request was reported as proxy down")
	}
}

func TestCheckProxy(t *testing.T) {
	proxy := newFakeSOCKS(t)
	if err := CheckProxy(context.Background(), proxy.Addr()); err != nil {
		t.Errorf("CheckProxy(fake SOCKS5) = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	if err := CheckProxy(context.Background(), dead); !IsProxyDown(err) {
		t.Errorf("CheckProxy(closed port) = %v, want *ProxyError", err)
	}
	// Something that is not a SOCKS5 proxy: it answers like an HTTP server.
	notSOCKS, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer notSOCKS.Close()
	go func() {
		for {
			c, err := notSOCKS.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
			c.Close()
		}
	}()
	if err := CheckProxy(context.Background(), notSOCKS.Addr().String()); !IsProxyDown(err) || !strings.Contains(err.Error(), "not a SOCKS5 proxy") {
		t.Errorf("CheckProxy(HTTP server) = %v, want *ProxyError saying it is not SOCKS5", err)
	}
}

func TestIsolationUsernameStaysWithinSOCKSLimits(t *testing.T) {
	long := strings.Repeat("x", 300)
	a, b := isolationUsername(long, "a.onion:80"), isolationUsername(long, "b.onion:80")
	if len(a) > 255 || len(b) > 255 || a == b {
		t.Fatalf("usernames %q and %q: want distinct and ≤ 255 bytes", a, b)
	}
	if got := isolationUsername("k", "h:80"); got != "k/h:80" {
		t.Errorf("short username = %q", got)
	}
}

func TestConnectRequestEncodesNamesAsNames(t *testing.T) {
	tests := []struct {
		host string
		atyp byte
	}{
		{"example.onion", 3},
		{"127.0.0.1", 1},
		{"::1", 4},
	}
	for _, tt := range tests {
		msg, err := connectRequest(tt.host, 80)
		if err != nil {
			t.Fatal(err)
		}
		if msg[3] != tt.atyp {
			t.Errorf("%s: ATYP %d, want %d", tt.host, msg[3], tt.atyp)
		}
	}
	if _, err := connectRequest(strings.Repeat("a", 256), 80); err == nil {
		t.Error("a 256-byte host name was accepted")
	}
}
